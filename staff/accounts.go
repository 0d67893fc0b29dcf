// Package staff is the web console of the platform's staff, served under
// /admin: question tree and lexicon versions (edit, check, draw, simulate,
// publish, diff, roll back), the catalogue (search, edit, import, export,
// rows not checked for long), handoffs, the requests people sent to
// organisations (each organisation's inbox, its Telegram group's link code
// and language), and the audit log. A partner account sees only its own
// organisation's requests and group. Accounts, sessions and login
// throttling are kept in PostgreSQL.
package staff

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver for sql.Open
	"golang.org/x/crypto/bcrypt"

	"github.com/dalil-tt/dalil/dialog/treestore"
	"github.com/dalil-tt/dalil/internal/pgmigrate"
)

// Role is what an account may do.
type Role string

const (
	// RoleEditor may change trees, the lexicon and the catalogue, and
	// link an organisation's Telegram group.
	RoleEditor Role = "editor"
	// RoleAdviser sees everything, works on handoffs and answers
	// organisations' requests for them; changes nothing else.
	RoleAdviser Role = "adviser"
	// RoleViewer only reads (organisations' inboxes without the person's
	// data).
	RoleViewer Role = "viewer"
	// RolePartner is a partner organisation's account: it sees its own
	// organisation's requests and group settings, nothing else.
	RolePartner Role = "partner"
)

// ParseRole accepts editor, adviser, viewer and partner.
func ParseRole(s string) (Role, error) {
	switch Role(s) {
	case RoleEditor, RoleAdviser, RoleViewer, RolePartner:
		return Role(s), nil
	}
	return "", fmt.Errorf("unknown role %q (want editor, adviser, viewer or partner)", s)
}

// ErrOrg is returned for a partner account without an organisation, or
// another role with one.
var ErrOrg = errors.New("a partner account needs its organisation (--org ORG_ID), and only a partner account has one")

func checkOrg(role Role, org string) error {
	if (role == RolePartner) != (org != "") {
		return ErrOrg
	}
	return nil
}

// nullable is "" as SQL NULL.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// OrgExists says whether org is an organisation of the catalogue.
func OrgExists(ctx context.Context, pool *pgxpool.Pool, org string) (bool, error) {
	var ok bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM organization WHERE id = $1)`, org).Scan(&ok); err != nil {
		return false, fmt.Errorf("looking the organisation up: %w", err)
	}
	return ok, nil
}

// CanEdit reports whether the role may publish, roll back and edit.
func (r Role) CanEdit() bool { return r == RoleEditor }

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate creates or updates the tables of the console: the tree versions
// and audit log (treestore) and the accounts, sessions and login failures.
func Migrate(ctx context.Context, databaseURL string) error {
	if err := treestore.Migrate(ctx, databaseURL); err != nil {
		return err
	}
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return fmt.Errorf("opening database for staff migrations: %w", err)
	}
	defer db.Close()
	return MigrateDB(ctx, db)
}

// MigrateDB creates or updates the accounts, sessions and login failures
// tables only, on an open database: the caller runs treestore.MigrateDB
// before it (the console reads the tree versions).
func MigrateDB(ctx context.Context, db *sql.DB) error {
	return pgmigrate.Up(ctx, db, pgmigrate.Schema{Name: "staff", Files: pgmigrate.Sub(migrations, "migrations"), Table: "staff_goose_version", LockID: 5887940537704921960})
}

// Account is one staff member.
type Account struct {
	ID       int64
	Email    string
	Role     Role
	Org      string // a partner's organisation (org_id); "" for staff
	Disabled bool
	Created  time.Time
}

// Password rules: bcrypt reads at most 72 bytes.
const (
	MinPassword = 10
	maxPassword = 72
)

// BcryptCost is the work factor of new password hashes (about 50 ms a
// check on a server core). Tests lower it.
var BcryptCost = 11

// ErrExists is returned when adding an e-mail that has an account.
var ErrExists = errors.New("an account with this e-mail already exists")

// NormalizeEmail checks an e-mail address and lower-cases it.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s, "@") {
		return "", fmt.Errorf("%q is not an e-mail address", s)
	}
	return s, nil
}

// GeneratePassword returns a random 20-character password.
func GeneratePassword() string {
	b := make([]byte, 15)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// AddAccount creates a staff account and records it in the audit log as
// done by actor (AddPartner for a partner's).
func AddAccount(ctx context.Context, pool *pgxpool.Pool, email string, role Role, password, actor string) (Account, error) {
	return AddPartner(ctx, pool, email, role, "", password, actor)
}

// AddPartner creates an account of role with its organisation (org, for
// the partner role only: checked against the catalogue) and records it in
// the audit log as done by actor.
func AddPartner(ctx context.Context, pool *pgxpool.Pool, email string, role Role, org, password, actor string) (Account, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return Account{}, err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return Account{}, err
	}
	if err := checkOrg(role, org); err != nil {
		return Account{}, err
	}
	if org != "" {
		ok, err := OrgExists(ctx, pool, org)
		if err != nil {
			return Account{}, err
		}
		if !ok {
			return Account{}, fmt.Errorf("no organisation %q in the catalogue", org)
		}
	}
	if err := CheckPassword(password, email); err != nil {
		return Account{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	if err != nil {
		return Account{}, fmt.Errorf("hashing the password: %w", err)
	}
	a := Account{Email: email, Role: role, Org: org}
	detail := email + " as " + string(role)
	if org != "" {
		detail += " of " + org
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO staff_account (email, role, org_id, password_hash) VALUES ($1, $2, $3, $4) RETURNING id, created_at`,
			email, string(role), nullable(org), string(hash)).Scan(&a.ID, &a.Created)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			return ErrExists
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit (actor, action, detail) VALUES ($1, 'staff.add', $2)`, actor, detail)
		return err
	})
	if errors.Is(err, ErrExists) {
		return Account{}, err
	}
	if err != nil {
		return Account{}, fmt.Errorf("adding the account: %w", err)
	}
	return a, nil
}

// Accounts lists every account by e-mail.
func Accounts(ctx context.Context, pool *pgxpool.Pool) ([]Account, error) {
	rows, err := pool.Query(ctx, `SELECT id, email, role, coalesce(org_id, ''), disabled, created_at FROM staff_account ORDER BY email`)
	if err != nil {
		return nil, fmt.Errorf("listing accounts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Account, error) {
		var a Account
		var role string
		err := r.Scan(&a.ID, &a.Email, &role, &a.Org, &a.Disabled, &a.Created)
		a.Role = Role(role)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing accounts: %w", err)
	}
	return out, nil
}

// ErrNoAccount is returned for an e-mail without an account.
var ErrNoAccount = errors.New("no account with this e-mail")

// update changes one account in a transaction, ends its sessions when
// endSessions, and records action in the audit log.
func update(ctx context.Context, pool *pgxpool.Pool, email, actor, action, detail, sql string, endSessions bool, args ...any) error {
	email, err := NormalizeEmail(email)
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, sql, append([]any{email}, args...)...).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNoAccount
		}
		if err != nil {
			return err
		}
		if endSessions {
			if _, err := tx.Exec(ctx, `DELETE FROM staff_session WHERE account_id = $1`, id); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit (actor, action, detail) VALUES ($1, $2, $3)`, actor, action, email+detail)
		return err
	})
	if errors.Is(err, ErrNoAccount) {
		return err
	}
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	return nil
}

// SetPassword replaces an account's password and ends its sessions.
func SetPassword(ctx context.Context, pool *pgxpool.Pool, email, password, actor string) error {
	if err := CheckPassword(password, email); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	if err != nil {
		return fmt.Errorf("hashing the password: %w", err)
	}
	return update(ctx, pool, email, actor, "staff.password", "", `UPDATE staff_account SET password_hash = $2 WHERE email = $1 RETURNING id`, true, string(hash))
}

// SetDisabled turns an account off (ending its sessions) or back on.
func SetDisabled(ctx context.Context, pool *pgxpool.Pool, email string, disabled bool, actor string) error {
	action := "staff.enable"
	if disabled {
		action = "staff.disable"
	}
	return update(ctx, pool, email, actor, action, "", `UPDATE staff_account SET disabled = $2 WHERE email = $1 RETURNING id`, disabled, disabled)
}

// SetRole changes a staff account's role; its sessions end so the new
// role applies at once (SetPartnerRole for a partner's).
func SetRole(ctx context.Context, pool *pgxpool.Pool, email string, role Role, actor string) error {
	return SetPartnerRole(ctx, pool, email, role, "", actor)
}

// SetPartnerRole changes an account's role and organisation (org for the
// partner role only, checked against the catalogue); its sessions end.
func SetPartnerRole(ctx context.Context, pool *pgxpool.Pool, email string, role Role, org, actor string) error {
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	if err := checkOrg(role, org); err != nil {
		return err
	}
	detail := " as " + string(role)
	if org != "" {
		ok, err := OrgExists(ctx, pool, org)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("no organisation %q in the catalogue", org)
		}
		detail += " of " + org
	}
	return update(ctx, pool, email, actor, "staff.role", detail, `UPDATE staff_account SET role = $2, org_id = $3 WHERE email = $1 RETURNING id`, true, string(role), nullable(org))
}
