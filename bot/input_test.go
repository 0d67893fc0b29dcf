package bot

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/dialog"
)

func TestNearestProvince(t *testing.T) {
	for _, c := range []struct {
		lat, lon float64
		want     string
	}{
		{35.7673, -5.7999, "tanger-assilah"}, // Tanger, Boulevard Pasteur
		{35.5711, -5.3724, "tetouan"},        // Tétouan médina
		{35.1714, -5.2697, "chefchaouen"},    // Chefchaouen
		{35.2446, -3.9321, "al-hoceima"},     // Al Hoceïma port
		{35.1900, -6.1500, "larache"},        // Larache
		{34.7980, -5.5700, "ouezzane"},       // Ouezzane
		{35.8460, -5.3600, "mdiq-fnideq"},    // Fnideq
		{33.5731, -7.5898, ""},               // Casablanca: outside the region
	} {
		if got := nearestProvince(c.lat, c.lon); got != c.want {
			t.Errorf("(%v,%v): got %q, want %q", c.lat, c.lon, got, c.want)
		}
	}
}

func TestInput(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	dec := func(s string) *telegram.Update {
		var u telegram.Update
		if err := json.Unmarshal([]byte(s), &u); err != nil {
			t.Fatal(err)
		}
		return &u
	}
	cases := []struct {
		name, js string
		ok       bool
		want     dialog.Input
	}{
		{"text", `{"message":{"text":"bghit n7al coop","chat":{"id":1,"type":"private"}}}`, true, dialog.Input{Kind: dialog.InText, Text: "bghit n7al coop"}},
		{"start payload", `{"message":{"text":"/start salon2026","chat":{"id":1,"type":"private"}}}`, true, dialog.Input{Kind: dialog.InCommand, Command: "start", Text: "salon2026"}},
		{"command to me", `{"message":{"text":"/Help@dalil_test_bot","chat":{"id":1}}}`, true, dialog.Input{Kind: dialog.InCommand, Command: "help"}},
		{"command to another bot", `{"message":{"text":"/help@other_bot","chat":{"id":1}}}`, false, dialog.Input{}},
		{"button", `{"callback_query":{"id":"q","data":"c:ab12:need:grant"}}`, true, dialog.Input{Kind: dialog.InButton, Data: "c:ab12:need:grant"}},
		{"sticker", `{"message":{"sticker":{"file_id":"x"},"chat":{"id":1}}}`, true, dialog.Input{Kind: dialog.InUnsupported, What: "sticker"}},
		{"voice", `{"message":{"voice":{"file_id":"x"},"chat":{"id":1}}}`, true, dialog.Input{Kind: dialog.InUnsupported, What: "voice"}},
		{"photo with caption", `{"message":{"photo":[{"file_id":"x"}],"caption":"hada","chat":{"id":1}}}`, true, dialog.Input{Kind: dialog.InUnsupported, What: "photo"}},
		// A contact is a phone number for a request; only the sender's own counts as theirs.
		{"contact", `{"message":{"contact":{"phone_number":"+2126"},"chat":{"id":1}}}`, true, dialog.Input{Kind: dialog.InContact, Text: "+2126", What: "other"}},
		{"own contact", `{"message":{"contact":{"phone_number":"+2126","user_id":8589934609},"from":{"id":8589934609},"chat":{"id":8589934609}}}`, true,
			dialog.Input{Kind: dialog.InContact, Text: "+2126"}},
		{"someone else's contact", `{"message":{"contact":{"phone_number":"+2127","user_id":5},"from":{"id":8589934609},"chat":{"id":8589934609}}}`, true,
			dialog.Input{Kind: dialog.InContact, Text: "+2127", What: "other"}},
		{"far location", `{"message":{"location":{"latitude":48.85,"longitude":2.35},"chat":{"id":1}}}`, true, dialog.Input{Kind: dialog.InUnsupported, What: "location"}},
		{"members joined", `{"message":{"new_chat_members":[{"id":3}],"chat":{"id":-5}}}`, false, dialog.Input{}},
		{"recent edit", `{"edited_message":{"text":"tanger","date":1799999990,"edit_date":1799999995,"chat":{"id":1}}}`, true, dialog.Input{Kind: dialog.InText, Text: "tanger"}},
		{"edit without dates", `{"edited_message":{"text":"tanger","chat":{"id":1}}}`, true, dialog.Input{Kind: dialog.InText, Text: "tanger"}},
		{"old edit", `{"edited_message":{"text":"tanger","date":1799990000,"edit_date":1799999995,"chat":{"id":1}}}`, false, dialog.Input{}},
	}
	for _, c := range cases {
		got, ok := input(dec(c.js), "dalil_test_bot", now)
		if ok != c.ok || got.Kind != c.want.Kind || got.Text != c.want.Text || got.Command != c.want.Command || got.Data != c.want.Data || got.What != c.want.What {
			t.Errorf("%s: got %+v %v, want %+v %v", c.name, got, ok, c.want, c.ok)
		}
	}
	got, ok := input(dec(`{"message":{"location":{"latitude":35.57,"longitude":-5.37},"chat":{"id":1}}}`), "b", now)
	if !ok || got.Kind != dialog.InCodes || len(got.Codes.Provinces) != 1 || got.Codes.Provinces[0] != "tetouan" {
		t.Errorf("location: %+v", got)
	}
}
