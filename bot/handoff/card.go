package handoff

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// The summary card and the group's notes are in French: advisers are
// staff of the regional network and work in French.

const statusWaiting = "⏳ En attente d'un conseiller — répondez ici pour prendre la conversation."

// Callback data of the card's buttons: a random card id stored in Redis
// stands for the user, so no data a client can craft names a chat.
const (
	dataTake  = "ho:t:"
	dataClose = "ho:c:"
)

func cardButtons(cardID string, taken bool) telegram.InlineKeyboard {
	take := "✋ Prendre"
	if taken {
		take = "✋ Reprendre la main"
	}
	return telegram.InlineKeyboard{InlineKeyboard: [][]telegram.InlineButton{{
		{Text: take, CallbackData: dataTake + cardID},
		{Text: "✔️ Clore", CallbackData: dataClose + cardID},
	}}}
}

var langNames = map[lang.Lang]string{lang.FR: "français", lang.AR: "arabe", lang.ARY: "darija"}

type card struct {
	name     string
	st       dialog.State
	services []string // names of the services shown (st.Referred), ids as fallback
	opened   time.Time
	hours    Hours
	t        Translator
}

func (c card) code(f vocab.Facet, code string) string {
	return c.t.T(lang.FR, "code."+string(f)+"."+code, nil)
}

func (c card) codes(f vocab.Facet) string {
	var out []string
	for _, v := range c.st.Codes.Get(f) {
		if f == vocab.Publics && sensitivePublics[v] {
			continue
		}
		out = append(out, c.code(f, v))
	}
	return strings.Join(out, ", ")
}

// sensitivePublics are asked (or understood) only to show the person the
// services reserved to them: a disability or a migrant's situation is not
// passed on to the advisers' group; the person can say it there if they wish.
var sensitivePublics = map[string]bool{"disabled": true, "migrants": true}

// label is how advisers tell requests apart: first name · language · need
// · province (the topic's name, the pending list's lines).
func (c card) label() string {
	name := c.name
	if name == "" {
		name = "Anonyme"
	}
	parts := []string{name, langNames[c.lang()]}
	if n := c.st.Codes.Get(vocab.Needs); len(n) > 0 {
		parts = append(parts, c.code(vocab.Needs, n[0]))
	}
	if p := c.st.Codes.Get(vocab.Provinces); len(p) > 0 {
		parts = append(parts, c.code(vocab.Provinces, p[0]))
	}
	return strings.Join(parts, " · ")
}

func (c card) lang() lang.Lang {
	if c.st.Lang == "" {
		return lang.FR
	}
	return c.st.Lang
}

// topicName fits Telegram's 128 characters.
func (c card) topicName() string {
	s := c.label()
	for utf8.RuneCountInString(s) > 128 {
		r := []rune(s)
		s = string(r[:127]) + "…"
	}
	return s
}

func (c card) text() string {
	var b strings.Builder
	b.WriteString("🆕 Demande de conseiller\n")
	fmt.Fprintf(&b, "Personne : %s\n", c.label())
	fmt.Fprintf(&b, "Langue : %s\n", langNames[c.lang()])
	for _, f := range vocab.Facets {
		if v := c.codes(f); v != "" {
			fmt.Fprintf(&b, "%s : %s\n", upperFirst(c.t.T(lang.FR, "facet."+string(f), nil)), v)
		}
	}
	if len(c.st.Notes) > 0 {
		b.WriteString("A écrit :\n")
		for _, n := range c.st.Notes {
			fmt.Fprintf(&b, "  « %s »\n", n)
		}
	}
	if len(c.services) > 0 {
		b.WriteString("Services déjà proposés :\n")
		for _, s := range c.services {
			fmt.Fprintf(&b, "  • %s\n", s)
		}
	} else {
		b.WriteString("Services déjà proposés : aucun\n")
	}
	if c.st.Source != "" {
		fmt.Fprintf(&b, "Venu par : %s\n", c.st.Source)
	}
	at := c.opened.In(c.hours.Loc)
	fmt.Fprintf(&b, "Demande du %s à %s", at.Format("02/01"), at.Format("15:04"))
	if !c.hours.Open(c.opened) {
		b.WriteString(" (hors heures de bureau)")
	}
	return b.String()
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return strings.ToUpper(string(r)) + s[n:]
}

// waited says how long someone has waited: "12 min", "3 h 05", "2 j 4 h".
func waited(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "moins d'une minute"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h %02d", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d j %d h", int(d.Hours())/24, int(d.Hours())%24)
}

// describeHours says the office hours in l: "du lundi au vendredi, de 9 h à 17 h".
func describeHours(t Translator, l lang.Lang, h Hours) string {
	var days []time.Weekday
	for i := 1; i <= 7; i++ { // Monday first
		if wd := time.Weekday(i % 7); h.Days[wd] {
			days = append(days, wd)
		}
	}
	var ds string
	contiguous := len(days) > 2
	for i := 1; i < len(days); i++ {
		if (int(days[i-1])+1)%7 != int(days[i]) {
			contiguous = false
		}
	}
	if contiguous {
		ds = t.T(l, "handoff.days.range", map[string]any{
			"From": t.T(l, dayID(days[0]), nil), "To": t.T(l, dayID(days[len(days)-1]), nil)})
	} else {
		var names []string
		for _, d := range days {
			names = append(names, t.T(l, dayID(d), nil))
		}
		ds = strings.Join(names, ", ")
	}
	return t.T(l, "handoff.hours", map[string]any{"Days": ds,
		"From": clockText(h.Start), "To": clockText(h.End)})
}

func dayID(d time.Weekday) string { return "handoff.day." + strings.ToLower(d.String()[:3]) }

func clockText(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
}

// describeNext says when advisers are back: "lundi à 09:00".
func describeNext(t Translator, l lang.Lang, h Hours, now time.Time) string {
	next := h.Next(now).In(h.Loc)
	today := h.Midnight(now)
	at := clockText(next.Sub(h.Midnight(next)))
	switch h.Midnight(next).Sub(today).Round(time.Hour) {
	case 0:
		return t.T(l, "handoff.next.today", map[string]any{"Time": at})
	case 24 * time.Hour:
		return t.T(l, "handoff.next.tomorrow", map[string]any{"Time": at})
	}
	return t.T(l, "handoff.next.day", map[string]any{"Day": t.T(l, dayID(next.Weekday()), nil), "Time": at})
}
