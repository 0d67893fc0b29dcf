package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/requests"
)

// codeChars make link codes: capitals and digits that cannot be misread
// for one another (no 0/O, 1/I/L), to be typed after /link.
const codeChars = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// codeLen gives about 50 bits: a code lives hours and serves once.
const codeLen = 10

// hashCode is what is stored of a code: its SHA-256 once normalised (case,
// spaces and dashes do not matter to the person typing it).
func hashCode(code string) string {
	c := strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(code)))
	sum := sha256.Sum256([]byte(c))
	return hex.EncodeToString(sum[:])
}

func groupLang(l lang.Lang) error {
	if l != lang.FR && l != lang.AR {
		return fmt.Errorf("an organisation's cards are in fr or ar, not %q", l)
	}
	return nil
}

// NewLinkCode gives a one-time code that links a Telegram group to org,
// its cards in l (fr or ar), valid until expires. Only its hash is kept.
func (s *Store) NewLinkCode(ctx context.Context, org string, l lang.Lang, expires time.Time) (string, error) {
	if err := groupLang(l); err != nil {
		return "", err
	}
	if org == "" {
		return "", errors.New("a link code needs an organisation")
	}
	code := randomString(codeChars, codeLen)
	if _, err := s.pool.Exec(ctx, `INSERT INTO org_link_codes (code_hash, org_id, lang, expires_at) VALUES ($1, $2, $3, $4)`,
		hashCode(code), org, l, expires); err != nil {
		return "", fmt.Errorf("keeping a link code for %s: %w", org, err)
	}
	return code, nil
}

// Link uses a code in group chat: the group becomes the code's
// organisation's, in place of an earlier group of that organisation (and
// no longer another organisation's if it was). ErrNotFound for an unknown,
// used or expired code.
func (s *Store) Link(ctx context.Context, code string, chat int64, at time.Time) (requests.Group, error) {
	g := requests.Group{Chat: chat}
	err := s.tx(ctx, "linking a group", func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE org_link_codes SET used_at = $2
			WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING org_id, lang`,
			hashCode(code), at).Scan(&g.Org, &g.Lang)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("link code: %w", requests.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM org_groups WHERE chat_id = $1 AND org_id <> $2`, chat, g.Org); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO org_groups (org_id, chat_id, lang, linked_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (org_id) DO UPDATE SET chat_id = $2, lang = $3, linked_at = $4`, g.Org, chat, g.Lang, at)
		return err
	})
	if err != nil {
		return requests.Group{}, err
	}
	return g, nil
}

// GroupOf is an organisation's linked group; ErrNotFound when none.
func (s *Store) GroupOf(ctx context.Context, org string) (requests.Group, error) {
	return s.group(ctx, "org_id = $1", org)
}

// OrgOf is the organisation a group is linked to; ErrNotFound when none.
func (s *Store) OrgOf(ctx context.Context, chat int64) (requests.Group, error) {
	return s.group(ctx, "chat_id = $1", chat)
}

func (s *Store) group(ctx context.Context, where string, arg any) (requests.Group, error) {
	var g requests.Group
	err := s.pool.QueryRow(ctx, `SELECT org_id, chat_id, lang FROM org_groups WHERE `+where, arg).Scan(&g.Org, &g.Chat, &g.Lang)
	if errors.Is(err, pgx.ErrNoRows) {
		return g, fmt.Errorf("organisation group: %w", requests.ErrNotFound)
	}
	if err != nil {
		return g, fmt.Errorf("reading an organisation group: %w", err)
	}
	return g, nil
}

// MoveGroup moves the link of group chat from to chat to: Telegram gives
// a group that becomes a supergroup a new id. It does nothing when from
// is linked to no organisation (told twice: the old group's service
// message and the new one's) or when to is linked already.
func (s *Store) MoveGroup(ctx context.Context, from, to int64) error {
	if _, err := s.pool.Exec(ctx, `UPDATE org_groups SET chat_id = $2
		WHERE chat_id = $1 AND NOT EXISTS (SELECT 1 FROM org_groups WHERE chat_id = $2)`, from, to); err != nil {
		return fmt.Errorf("moving a group's link to its supergroup: %w", err)
	}
	return nil
}

// SetGroupLang changes the language of an organisation's cards;
// ErrNotFound when it has no group.
func (s *Store) SetGroupLang(ctx context.Context, org string, l lang.Lang) error {
	if err := groupLang(l); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE org_groups SET lang = $2 WHERE org_id = $1`, org, l)
	if err != nil {
		return fmt.Errorf("setting the cards' language of %s: %w", org, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("organisation group of %s: %w", org, requests.ErrNotFound)
	}
	return nil
}

// Reachable says which of orgs can receive requests: a linked group or an
// enabled partner account (staff_account, staff's migrations).
func (s *Store) Reachable(ctx context.Context, orgs []string) (map[string]bool, error) {
	out := make(map[string]bool, len(orgs))
	for _, o := range orgs {
		out[o] = false
	}
	rows, err := s.pool.Query(ctx, `SELECT org_id FROM org_groups WHERE org_id = ANY($1)
		UNION SELECT org_id FROM staff_account WHERE role = 'partner' AND NOT disabled AND org_id = ANY($1)`, orgs)
	if err != nil {
		return nil, fmt.Errorf("finding reachable organisations: %w", err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("finding reachable organisations: %w", err)
	}
	for _, o := range found {
		out[o] = true
	}
	return out, nil
}
