package main

import (
	"strings"
	"testing"

	"github.com/dalil-tt/dalil/catalogue/postgres/pgtest"
	"github.com/dalil-tt/dalil/staff"
)

// The audit added a staff account with the password aaaaaaaaaa.
func TestStaffAddRefusesWeakPasswords(t *testing.T) {
	staff.BcryptCost = 4
	env := map[string]string{"DATABASE_URL": pgtest.NewDB(t)}
	for _, pw := range []string{"aaaaaaaaaa", "1234567890", "password123", "azertyuiop"} {
		code, out, errs := runWithEnv(t, env, pw+"\n", "staff", "add", "weak@example.org", "--role", "viewer")
		if code != 1 || !strings.Contains(errs, "too easy to guess") || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Errorf("staff add with %q: exit %d, stdout %q, stderr %q; want exit 1 and one line", pw, code, out, errs)
		}
	}
	if code, out, _ := runWithEnv(t, env, "", "staff", "list"); code != 0 || strings.Contains(out, "weak@example.org") {
		t.Fatalf("an account was added anyway:\n%s", out)
	}
	if code, _, errs := runWithEnv(t, env, "Chefchaouen blue door 42\n", "staff", "add", "ok@example.org", "--role", "viewer"); code != 0 {
		t.Fatalf("a good password: %s", errs)
	}
	if code, _, errs := runWithEnv(t, env, "aaaaaaaaaa\n", "staff", "passwd", "ok@example.org"); code != 1 || !strings.Contains(errs, "too easy to guess") {
		t.Errorf("staff passwd with a weak password: exit %d %s", code, errs)
	}
}
