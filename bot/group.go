package bot

import (
	"context"
	"strings"
	"time"

	"github.com/dalil-tt/dalil/bot/outbox"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/internal/lang"
)

// groupNoticeTTL is how long a group, once told, is not told again.
const groupNoticeTTL = 30 * 24 * time.Hour

// group answers a group the bot was added to or addressed in: once, it
// asks people to talk to it in private, with a button that opens the
// private chat. Everything else said in groups is ignored (conversations
// are personal).
func (b *Bot) group(ctx context.Context, up *telegram.Update) {
	chat := up.ChatID()
	addressed := false
	switch {
	case up.MyChatMember != nil:
		s := up.MyChatMember.NewChatMember.Status
		addressed = s == "member" || s == "administrator"
	case up.Message != nil && up.Message.Chat.Type != "channel":
		m := up.Message
		addressed = strings.HasPrefix(m.Text, "/") ||
			(b.name != "" && strings.Contains(strings.ToLower(m.Text), "@"+strings.ToLower(b.name))) ||
			(m.ReplyToMessage != nil && m.ReplyToMessage.From != nil && m.ReplyToMessage.From.ID == b.client.Self.ID)
	case up.CallbackQuery != nil:
		addressed = true
	}
	if !addressed {
		b.m.updates.WithLabelValues("ignored").Inc()
		return
	}
	first, err := b.out.Once(ctx, chat, "private", groupNoticeTTL)
	if err != nil {
		b.log.Warn("group notice flag", "err", err)
		return
	}
	b.m.updates.WithLabelValues("group").Inc()
	if !first {
		return
	}
	// People in a group read different languages: the notice is in French
	// and in Darija.
	text := b.o.T.T(lang.FR, "bot.group.private", nil) + "\n\n" + b.o.T.T(lang.ARY, "bot.group.private", nil)
	if b.requestsOn() {
		// The group may be a partner organisation's, which adds the bot
		// before linking: say how, in the organisations' two languages.
		text += "\n\n" + b.o.T.T(lang.FR, "bot.group.link", nil) + "\n\n" + b.o.T.T(lang.AR, "bot.group.link", nil)
	}
	r := telegram.SendMessage{ChatID: chat, Text: text}
	if b.name != "" {
		r.Keyboard = &telegram.InlineKeyboard{InlineKeyboard: [][]telegram.InlineButton{{{
			Text: b.o.T.T(lang.FR, "bot.group.button", nil) + " · " + b.o.T.T(lang.ARY, "bot.group.button", nil),
			URL:  "https://t.me/" + b.name + "?start=group"}}}}
	}
	if _, err := b.Put(ctx, chat, "group:private", outbox.Message{Request: r}); err != nil {
		b.log.Warn("telling a group to talk in private", "err", err)
	}
}
