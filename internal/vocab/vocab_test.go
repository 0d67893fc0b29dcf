package vocab

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestNeedCovers(t *testing.T) {
	cases := []struct {
		q, s string
		want bool
	}{
		{"funding", "funding.grant", true},
		{"funding.grant", "funding", true},
		{"funding.grant", "funding.grant", true},
		{"funding.grant", "funding.loan", false},
		{"funding", "fundingx", false},
		{"training", "coaching", false},
	}
	for _, c := range cases {
		if got := NeedCovers(c.q, c.s); got != c.want {
			t.Errorf("NeedCovers(%q, %q) = %v", c.q, c.s, got)
		}
	}
}

func TestAddKeepsTheMostPreciseNeed(t *testing.T) {
	var c Codes
	c.Add(Needs, "funding")
	c.Add(Needs, "funding.grant")
	c.Add(Needs, "funding")
	c.Add(Needs, "training", "training")
	if !slices.Equal(c.Needs, []string{"funding.grant", "training"}) {
		t.Fatalf("needs = %v", c.Needs)
	}
}

func TestRemoveUndoesAdd(t *testing.T) {
	var c, added Codes
	c.Add(Provinces, "tetouan")
	added.Add(Sectors, "crafts")
	added.Add(Provinces, "larache")
	c.Merge(added)
	c.Remove(added)
	if !slices.Equal(c.Provinces, []string{"tetouan"}) || c.Has(Sectors) {
		t.Fatalf("after Remove: %+v", c)
	}
}

func TestNormalizedHasEveryFacetForJSON(t *testing.T) {
	var c Codes
	c.Add(Sectors, "tourism", "crafts")
	b, _ := json.Marshal(c.Normalized())
	want := `{"needs":[],"stages":[],"forms":[],"publics":[],"sectors":["crafts","tourism"],"provinces":[],"areas":[]}`
	if string(b) != want {
		t.Fatalf("got %s", b)
	}
}

func TestValidateNamesBadCodes(t *testing.T) {
	var c Codes
	c.Add(Needs, "funding.grant")
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.Add(Provinces, "rabat")
	if err := c.Validate(); err == nil || err.Error() != `codes outside the vocabulary: provinces "rabat"` {
		t.Fatalf("got %v", err)
	}
}

func TestEveryCodeIsLowerASCII(t *testing.T) {
	for f, codes := range Values {
		for _, code := range codes {
			for _, r := range code {
				if !(r >= 'a' && r <= 'z' || r == '.' || r == '-' || r == '_') {
					t.Errorf("%s code %q is not lower case ASCII", f, code)
				}
			}
		}
	}
}
