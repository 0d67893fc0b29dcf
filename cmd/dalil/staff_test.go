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

// A partner organisation's account: its organisation must be in the
// catalogue, and only a partner account has one.
func TestStaffAddPartner(t *testing.T) {
	staff.BcryptCost = 4
	env := map[string]string{"DATABASE_URL": pgtest.NewDB(t)}
	pw := "Chefchaouen blue door 42\n"
	// The sample catalogue's first organisation.
	const org = "crtt-oress"
	csv := "../../catalogue/testdata/sample.csv"
	if code, _, errs := runWithEnv(t, env, "", "catalogue", "import", csv); code != 0 {
		t.Fatalf("catalogue import: %s", errs)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"staff", "add", "p@example.org", "--role", "partner"}, "--org"},
		{[]string{"staff", "add", "p@example.org", "--role", "partner", "--org", "no-such-org"}, "no-such-org"},
		{[]string{"staff", "add", "p@example.org", "--role", "editor", "--org", "no-such-org"}, "--org"},
	} {
		if code, _, errs := runWithEnv(t, env, pw, c.args...); code != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 naming %s", c.args, code, errs, c.want)
		}
	}
	_, list, _ := runWithEnv(t, env, "", "staff", "list")
	if strings.Contains(list, "p@example.org") {
		t.Fatalf("a refused account was added:\n%s", list)
	}
	if code, out, errs := runWithEnv(t, env, pw, "staff", "add", "p@example.org", "--role", "partner", "--org", org); code != 0 || !strings.Contains(out, "partner of "+org) {
		t.Fatalf("partner add: exit %d %q %q", code, out, errs)
	}
	if code, _, errs := runWithEnv(t, env, "", "staff", "role", "p@example.org", "--role", "partner", "--org", "no-such-org"); code != 1 || !strings.Contains(errs, "no-such-org") {
		t.Fatalf("role with an unknown organisation: exit %d %q", code, errs)
	}
	if code, _, errs := runWithEnv(t, env, "", "staff", "role", "p@example.org", "--role", "viewer"); code != 0 {
		t.Fatalf("back to viewer: %s", errs)
	}
	_, list, _ = runWithEnv(t, env, "", "staff", "list")
	if !strings.Contains(list, "viewer") || strings.Contains(list, org) {
		t.Fatalf("after the role change:\n%s", list)
	}
}
