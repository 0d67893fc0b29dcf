package handoff

import (
	"strings"
	"testing"

	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/locales"
)

// The advisers' card says who the person is as far as advisers need it, but
// not a disability or a migrant's situation, which the person told the bot
// only to be shown the services reserved to them.
func TestCardLeavesOutSensitivePublics(t *testing.T) {
	var st dialog.State
	st.Codes.Add("needs", "funding.grant")
	st.Codes.Add("publics", "women", "disabled", "migrants")
	text := card{name: "Amina", st: st, hours: DefaultHours(), t: locales.MustDefault()}.text()
	if !strings.Contains(text, "femmes") {
		t.Errorf("the card lost the public the person may share: %s", text)
	}
	for _, hidden := range []string{"handicap", "migrant"} {
		if strings.Contains(strings.ToLower(text), hidden) {
			t.Errorf("the card names %q: %s", hidden, text)
		}
	}
}
