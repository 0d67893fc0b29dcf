package staff

import (
	"strings"
	"testing"
)

func TestConsoleStringsParity(t *testing.T) {
	for id, fr := range messages["fr"] {
		ar, ok := messages["ar"][id]
		if !ok {
			t.Errorf("%s: no Arabic", id)
			continue
		}
		if strings.Count(fr, "%s") != strings.Count(ar, "%s") {
			t.Errorf("%s: %d placeholders in French, %d in Arabic", id, strings.Count(fr, "%s"), strings.Count(ar, "%s"))
		}
	}
	for id := range messages["ar"] {
		if _, ok := messages["fr"][id]; !ok {
			t.Errorf("%s: no French", id)
		}
	}
}

func TestFlashOnlyKnownMessages(t *testing.T) {
	for done, want := range map[string]string{
		"published.3":        "Version 3 publiée",
		"saved":              "Service enregistré.",
		"published.<script>": "",
		"<b>hi</b>":          "",
		"nothing":            "",
		"":                   "",
	} {
		got := flash("fr", done)
		if (want == "" && got != "") || (want != "" && !strings.HasPrefix(got, want)) {
			t.Errorf("flash(%q) = %q", done, got)
		}
	}
}
