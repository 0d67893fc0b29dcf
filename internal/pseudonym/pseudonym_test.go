package pseudonym

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
)

const (
	k1 = "8f3a1c5e7b9d2f4a6c8e0b1d3f5a7c9e2b4d6f8a0c1e3b5d7f9a2c4e6b8d0f1a"
	k2 = "1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90b"
)

func TestKeys(t *testing.T) {
	old, err := Parse(k1, "")
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := Parse(k2, " "+k1+" ,")
	if err != nil {
		t.Fatal(err)
	}
	const id = int64(1)<<40 + 7
	if rotated.Of(id) == old.Of(id) || rotated.Of(id) == rotated.Of(id+1) {
		t.Fatal("keys do not depend on the key and the id")
	}
	if all := rotated.All(id); len(all) != 2 || all[0] != rotated.Of(id) || all[1] != old.Of(id) {
		t.Fatalf("All: %q", all)
	}
	if strings.Contains(old.Of(id), "1099511627783") || len(old.Of(id)) != 32 {
		t.Fatalf("key %q", old.Of(id))
	}
	if (Keys{}).Valid() || !old.Valid() {
		t.Fatal("Valid")
	}
	same, _ := Parse(k1, k1)
	if len(same.Old(id)) != 0 {
		t.Fatal("the current key listed as old")
	}
}

func TestParseRefuses(t *testing.T) {
	for _, c := range []struct {
		cur, old string
		isOld    bool
		want     string
	}{
		{"", "", false, "0 bytes"},
		{"zz", "", false, "hexadecimal"},
		{k1[:62], "", false, "31 bytes"},
		{strings.Repeat("00", 32), "", false, "repeated"},
		{k1, k2 + ",abc", true, "key 2"},
	} {
		_, err := Parse(c.cur, c.old)
		var pe *ParseError
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q, %q) = %v, want %q", c.cur, c.old, err, c.want)
			continue
		}
		if ok := asParse(err, &pe); !ok || pe.Old != c.isOld {
			t.Errorf("Parse(%q, %q): %#v", c.cur, c.old, err)
		}
	}
}

func asParse(err error, pe **ParseError) bool {
	p, ok := err.(*ParseError)
	*pe = p
	return ok
}

// Before PSEUDONYM_KEY, the handoff keys were made with a secret derived
// from the bot token; that secret, in hex (SECURITY.md gives the openssl
// line), works as an old key, so /forget still finds those rows.
func TestLegacyTokenSecretAsOldKey(t *testing.T) {
	const token = "123456:TEST-token"
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("dalil handoff v1"))
	legacy := m.Sum(nil)
	const id = int64(1)<<33 + 99
	u := hmac.New(sha256.New, legacy)
	u.Write([]byte(strconv.FormatInt(id, 10)))
	oldUserKey := hex.EncodeToString(u.Sum(nil)[:16])

	// What `printf 'dalil handoff v1' | openssl dgst -sha256 -hmac "$TOKEN" -hex` prints.
	const openssl = "a29bf38829a45656518faee91d0f6895e5b7e97177b0103b1bc8ce6675b002f2"
	if hex.EncodeToString(legacy) != openssl {
		t.Fatalf("legacy secret %x", legacy)
	}
	k, err := Parse(k1, openssl)
	if err != nil {
		t.Fatal(err)
	}
	if all := k.All(id); len(all) != 2 || all[1] != oldUserKey {
		t.Fatalf("legacy rows not found: %q, want %q among them", all, oldUserKey)
	}
}
