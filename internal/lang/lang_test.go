package lang

import "testing"

func TestParse(t *testing.T) {
	for _, s := range []string{"fr", "ar", "ary"} {
		if l, err := Parse(s); err != nil || string(l) != s {
			t.Errorf("Parse(%q) = %q, %v", s, l, err)
		}
	}
	if _, err := Parse("en"); err == nil {
		t.Error("Parse(en) accepted")
	}
}

func TestTextFallsBack(t *testing.T) {
	tx := Text{FR: "bonjour", AR: "مرحبا"}
	if tx.In(ARY) != "مرحبا" || tx.In(AR) != "مرحبا" || (Text{FR: "x"}).In(AR) != "x" {
		t.Fatal("fallback order is ary → ar → fr")
	}
	if !ARY.RTL() || !AR.RTL() || FR.RTL() {
		t.Fatal("RTL")
	}
}
