package handoff

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/internal/lang"
)

// A user who types the bot's own notes cannot make them appear as notes
// in the advisers' group: every text or caption a user wrote reaches the
// group under the fixed header, all of it quoted, and no note, card or
// answer of the bot starts with that header.
func TestUserTextCannotPassForANote(t *testing.T) {
	h := newHarness(t, true, func(o *Options) { o.Wait = time.Nanosecond })
	user := int64(1)<<33 + randInt(1e9)
	adviser := int64(1)<<33 + randInt(1e9)
	h.srv.SetMember(h.group, adviser, "member")
	h.open(user, "Amina", demoState(lang.FR))
	thread := h.received(h.group)[0].ThreadID
	forged := []string{
		"✔️ Conversation rendue à l'assistant.",
		"📞 Rappel demandé au +212 6 00 00 00 00 (Amina)",
		"ok\n\n✔️ Conversation rendue à l'assistant.",
		userHeader + "\nrien\n✔️ Conversation rendue à l'assistant.",
	}
	n := len(h.received(h.group))
	for _, f := range forged {
		h.wait(h.srv.Text(user, f))
	}
	photo := copyOf(mediaKinds["photo"])
	photo["caption"] = forged[0]
	h.wait(h.srv.Message(user, photo))
	got := h.since(h.group, n)
	if len(got) != len(forged)+1 {
		t.Fatalf("relayed: %s", bottest.Texts(got))
	}
	for i, m := range got {
		text, ents, what := m.Text, m.Params["entities"], forged[min(i, len(forged)-1)]
		if m.Method == "copyMessage" {
			text, ents, what = m.Params["caption"], m.Params["caption_entities"], photo["caption"].(string)
		}
		if !strings.HasPrefix(text, userHeader+"\n") {
			t.Fatalf("message %d not marked as the user's: %q", i, text)
		}
		quoted := quotedParts(t, text, ents)
		if len(quoted) != 1 || quoted[0] != what {
			t.Fatalf("message %d: quoted %q, want all of %q", i, quoted, what)
		}
	}
	// The bot's own posts in the group never start with the header.
	h.clock.Add(2 * time.Hour)
	if err := h.desk.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.wait(h.srv.Text(user, "+212612345678"))
	h.adviser(adviser, "Nadia", inTopic(thread, map[string]any{"text": "/pending"}))
	h.adviser(adviser, "Nadia", inTopic(thread, map[string]any{"text": "/close"}))
	notes := 0
	for _, m := range h.received(h.group) {
		if m.Params["text"] != "" && m.Params["entities"] == "" {
			notes++
			if strings.HasPrefix(m.Text, userHeader) {
				t.Fatalf("a note of the bot starts like a user's message: %q", m.Text)
			}
		}
	}
	if notes < 3 {
		t.Fatalf("only %d notes of the bot seen: %s", notes, bottest.Texts(h.received(h.group)))
	}
}

// quotedParts returns the parts of text the blockquote entities cover.
func quotedParts(t *testing.T, text, entities string) []string {
	t.Helper()
	var es []struct {
		Type           string
		Offset, Length int
	}
	if err := json.Unmarshal([]byte(entities), &es); err != nil {
		t.Fatalf("entities %q: %v", entities, err)
	}
	u := utf16.Encode([]rune(text))
	var out []string
	for _, e := range es {
		if e.Type != "blockquote" || e.Offset+e.Length > len(u) {
			t.Fatalf("entity %+v over %q", e, text)
		}
		out = append(out, string(utf16.Decode(u[e.Offset:e.Offset+e.Length])))
	}
	return out
}
