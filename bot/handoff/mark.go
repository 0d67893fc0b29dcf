package handoff

import (
	"encoding/json"
	"strings"
	"unicode/utf16"
)

// userHeader opens every text (or caption) a user wrote, as relayed to the
// advisers; what the user wrote follows in a quote. None of the bot's own
// notes, cards or answers in the group starts so, and a user's text can
// only ever appear inside the quote under this line: a user cannot post
// something that looks like "✔️ Conversation rendue à l'assistant.".
const userHeader = "💬 La personne écrit :"

// marked returns the text to post for what a user wrote (one message, or
// several merged), and the entities that quote each part. Entities are
// sent apart from the text (no parse mode), so the user's text cannot
// carry markup of its own.
func marked(parts []string) (text string, entities string) {
	var b strings.Builder
	b.WriteString(userHeader)
	type entity struct {
		Type   string `json:"type"`
		Offset int    `json:"offset"`
		Length int    `json:"length"`
	}
	var es []entity
	off := utf16Len(userHeader)
	for _, p := range parts {
		b.WriteString("\n")
		off++
		n := utf16Len(p)
		es = append(es, entity{Type: "blockquote", Offset: off, Length: n})
		b.WriteString(p)
		off += n
	}
	raw, _ := json.Marshal(es)
	return b.String(), string(raw)
}

// utf16Len is a text's length as Telegram counts entity offsets.
func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }
