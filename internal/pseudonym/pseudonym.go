// Package pseudonym turns Telegram ids into the keys stored in PostgreSQL:
// a keyed hash (HMAC-SHA-256) under a secret key of its own (PSEUDONYM_KEY),
// never derived from the bot token, so that replacing a leaked token
// neither breaks /forget nor lets the token's holder reverse the keys (the
// id space is small enough to try every id).
//
// Keys are rotated by making the old key one of the old keys: new records
// use the current key, a user is erased under every key still known, and
// a user's records are moved to the current key when the user comes back.
package pseudonym

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MinBytes is the shortest key accepted.
const MinBytes = 32

// Keys are the current key and the old ones still accepted for erasure.
// The zero value has no key (Valid reports false).
type Keys struct {
	current []byte
	old     [][]byte
}

// New returns keys from raw bytes; each must be at least MinBytes long.
func New(current []byte, old ...[]byte) (Keys, error) {
	if err := check(current); err != nil {
		return Keys{}, err
	}
	k := Keys{current: bytes.Clone(current)}
	for _, o := range old {
		if err := check(o); err != nil {
			return Keys{}, fmt.Errorf("an old key: %w", err)
		}
		if !bytes.Equal(o, current) {
			k.old = append(k.old, bytes.Clone(o))
		}
	}
	return k, nil
}

// ParseError says which part of the settings is wrong.
type ParseError struct {
	Old    bool // the old keys' list (else the current key)
	Reason string
}

func (e *ParseError) Error() string { return e.Reason }

// Parse reads the current key and a comma-separated list of old keys, in
// hex (as `openssl rand -hex 32` prints them).
func Parse(current, old string) (Keys, error) {
	cur, err := decode(current)
	if err != nil {
		return Keys{}, &ParseError{Reason: err.Error()}
	}
	var olds [][]byte
	for i, s := range strings.Split(old, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		o, err := decode(s)
		if err != nil {
			return Keys{}, &ParseError{Old: true, Reason: "key " + strconv.Itoa(i+1) + ": " + err.Error()}
		}
		olds = append(olds, o)
	}
	return New(cur, olds...)
}

func decode(s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("is not hexadecimal (make one with `openssl rand -hex 32`)")
	}
	return b, check(b)
}

func check(b []byte) error {
	if len(b) < MinBytes {
		return fmt.Errorf("is %d bytes long; at least %d random bytes are needed (`openssl rand -hex 32`)", len(b), MinBytes)
	}
	if bytes.Count(b, b[:1]) == len(b) {
		return errors.New("is one byte repeated, not a random key (`openssl rand -hex 32`)")
	}
	return nil
}

// Valid reports whether k has a key.
func (k Keys) Valid() bool { return len(k.current) > 0 }

// Of returns id's key under the current key.
func (k Keys) Of(id int64) string { return of(k.current, id) }

// Old returns id's keys under the old keys (records to erase or move).
func (k Keys) Old(id int64) []string {
	out := make([]string, 0, len(k.old))
	for _, o := range k.old {
		out = append(out, of(o, id))
	}
	return out
}

// All returns id's keys under every key, the current one first.
func (k Keys) All(id int64) []string { return append([]string{k.Of(id)}, k.Old(id)...) }

func of(key []byte, id int64) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strconv.FormatInt(id, 10)))
	return hex.EncodeToString(m.Sum(nil)[:16])
}
