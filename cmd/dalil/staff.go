package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dalil-tt/dalil/bot/handoff"
	"github.com/dalil-tt/dalil/catalogue/postgres"
	"github.com/dalil-tt/dalil/staff"
)

const staffUsage = `usage:
  dalil staff add EMAIL --role editor|adviser|viewer   (password read from stdin, or generated and printed once)
  dalil staff add EMAIL --role partner --org ORG_ID    (a partner organisation's account: sees only its organisation)
  dalil staff list
  dalil staff passwd EMAIL                             (same password rules; ends the account's sessions)
  dalil staff role EMAIL --role editor|adviser|viewer|partner [--org ORG_ID]
  dalil staff disable EMAIL | enable EMAIL`

// runStaff manages the accounts of the staff web console.
func runStaff(ctx context.Context, args []string, s stdio) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", staffUsage)
	}
	fs := flag.NewFlagSet("staff "+args[0], flag.ContinueOnError)
	fs.SetOutput(s.err)
	roleFlag := fs.String("role", "", "editor, adviser, viewer or partner")
	orgFlag := fs.String("org", "", "the organisation (org_id of the catalogue) of a partner account")
	author := fs.String("author", defaultAuthor(s), "who makes the change (recorded)")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return exitError{2}
	}
	switch args[0] {
	case "add", "passwd":
		if len(pos) != 1 || (args[0] == "add") != (*roleFlag != "") {
			return fmt.Errorf("%s", staffUsage)
		}
		var role staff.Role
		if args[0] == "add" {
			if role, err = staff.ParseRole(*roleFlag); err != nil {
				return err
			}
			if (role == staff.RolePartner) != (*orgFlag != "") {
				return staff.ErrOrg
			}
		} else if *orgFlag != "" {
			return fmt.Errorf("%s", staffUsage)
		}
		email, err := staff.NormalizeEmail(pos[0])
		if err != nil {
			return err
		}
		password, generated, err := readPassword(s)
		if err != nil {
			return err
		}
		pool, err := openDB(ctx, s)
		if err != nil {
			return err
		}
		defer pool.Close()
		if args[0] == "add" {
			a, err := staff.AddPartner(ctx, pool, email, role, *orgFlag, password, *author)
			if err != nil {
				return err
			}
			if a.Org != "" {
				fmt.Fprintf(s.out, "added %s as %s of %s\n", a.Email, a.Role, a.Org)
			} else {
				fmt.Fprintf(s.out, "added %s as %s\n", a.Email, a.Role)
			}
		} else {
			if err := staff.SetPassword(ctx, pool, email, password, *author); err != nil {
				return err
			}
			fmt.Fprintf(s.out, "new password set for %s; its sessions are closed\n", email)
		}
		if generated {
			fmt.Fprintf(s.out, "password (shown once): %s\n", password)
		}
		return nil
	case "role", "disable", "enable":
		if len(pos) != 1 || (args[0] == "role") != (*roleFlag != "") || (args[0] != "role" && *orgFlag != "") {
			return fmt.Errorf("%s", staffUsage)
		}
		pool, err := openDB(ctx, s)
		if err != nil {
			return err
		}
		defer pool.Close()
		switch args[0] {
		case "role":
			// One err for the switch: a shadowed one here once lost
			// SetRole's errors (an unknown e-mail said "done").
			var role staff.Role
			if role, err = staff.ParseRole(*roleFlag); err != nil {
				return err
			}
			err = staff.SetPartnerRole(ctx, pool, pos[0], role, *orgFlag, *author)
		case "disable":
			err = staff.SetDisabled(ctx, pool, pos[0], true, *author)
		case "enable":
			err = staff.SetDisabled(ctx, pool, pos[0], false, *author)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(s.out, "%s: done\n", args[0])
		return nil
	case "list":
		pool, err := openDB(ctx, s)
		if err != nil {
			return err
		}
		defer pool.Close()
		as, err := staff.Accounts(ctx, pool)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "EMAIL\tROLE\tCREATED (UTC)\tDISABLED\tORG")
		for _, a := range as {
			org := a.Org
			if org == "" {
				org = "-"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%v\t%s\n", a.Email, a.Role, a.Created.UTC().Format("2006-01-02 15:04"), a.Disabled, org)
		}
		return w.Flush()
	}
	return fmt.Errorf("unknown staff command %q (want add, list, passwd, role, disable or enable)", args[0])
}

// readPassword takes the first line of stdin when it is not a terminal, or
// generates a password (generated is then true: print it once).
func readPassword(s stdio) (password string, generated bool, err error) {
	if !isTerminal(s.in) {
		line, err := bufio.NewReader(s.in).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", false, fmt.Errorf("reading the password: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	if password == "" {
		return staff.GeneratePassword(), true, nil
	}
	return password, false, nil
}

// mountConsole mounts the staff console at /admin/ on HTTP_ADDR, with
// DATABASE_URL (on Main's pool, catalogue and handoff records). Cookies are
// Secure on TLS requests; behind a TLS-terminating proxy set
// ADMIN_BEHIND_PROXY=1 (Secure cookies) and TRUSTED_PROXIES to the proxies'
// addresses, whose X-Forwarded-Proto and X-Forwarded-For are then believed.
func (m *Main) mountConsole(mux *http.ServeMux) error {
	cfg := m.Config
	if m.DB == nil {
		m.Log.Warn("DATABASE_URL not set: the staff console (/admin) is off")
		return nil
	}
	if cfg.AdminBehindProxy && len(cfg.TrustedProxies) == 0 {
		m.Log.Warn("ADMIN_BEHIND_PROXY=1 but TRUSTED_PROXIES is empty: the console's login limit counts every client as the proxy's address")
	}
	var handoffs staff.Handoffs // nil: the console says handoffs are not connected
	if m.Records != nil {
		handoffs = consoleHandoffs{m.Records}
	}
	var cards staff.Cards // nil: no group cards to edit (a nil *Partners would not be)
	if m.Partners != nil {
		cards = m.Partners
	}
	console, err := staff.New(m.DB, staff.Options{
		Catalogue: m.Catalogue, HSDS: postgres.WriteHSDS, TrustedProxies: cfg.TrustedProxies, Secure: cfg.AdminBehindProxy,
		// Work past the write deadline could not be delivered anyway.
		RequestTimeout: cfg.HTTPWriteTimeout,
		Handoffs:       handoffs,
		Requests:       m.Requests, // set whenever the console is (same pool)
		People:         mainPeople{m},
		Cards:          cards,
	})
	if err != nil {
		return err
	}
	mux.Handle("/admin/", console)
	return nil
}

// consoleHandoffs shows the handoff records on the console's page: the
// records do not know the console, the console does not know the records.
type consoleHandoffs struct{ r *handoff.Records }

func (c consoleHandoffs) Handoffs(ctx context.Context, since time.Time) ([]staff.Handoff, error) {
	hs, err := c.r.Handoffs(ctx, since)
	if err != nil {
		return nil, err
	}
	out := make([]staff.Handoff, len(hs))
	for i, h := range hs {
		out[i] = staff.Handoff(h)
	}
	return out, nil
}
