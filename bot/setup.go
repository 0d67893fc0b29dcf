package bot

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/dialog/lang"
)

// commandNames are the commands of the menu, in its order.
var commandNames = []string{"start", "help", "language", "back", "restart", "adviser", "forget"}

// Setup publishes the command menus and descriptions: French by default
// and for French apps, Arabic for Arabic apps (Telegram has no Darija
// language code: Darija speakers use Arabic apps).
func (b *Bot) Setup(ctx context.Context) error {
	for _, v := range []struct {
		code string
		l    lang.Lang
	}{{"", lang.FR}, {"fr", lang.FR}, {"ar", lang.AR}} {
		type command struct {
			Command     string `json:"command"`
			Description string `json:"description"`
		}
		cmds := make([]command, 0, len(commandNames))
		for _, c := range commandNames {
			cmds = append(cmds, command{c, b.o.T.T(v.l, "cmd."+c, nil)})
		}
		raw, _ := json.Marshal(cmds)
		p := telegram.Params{"commands": string(raw)}
		desc := b.o.T.T(v.l, "bot.description", nil)
		short := b.o.T.T(v.l, "bot.short", nil)
		if v.code != "" {
			p["language_code"] = v.code
		} else {
			// The default description is read before any language is
			// chosen: both scripts.
			desc += "\n\n" + b.o.T.T(lang.ARY, "bot.description", nil)
		}
		if _, err := b.client.Call(ctx, "setMyCommands", p); err != nil {
			return fmt.Errorf("setMyCommands %q: %w", v.code, err)
		}
		dp := telegram.Params{"description": desc}
		sp := telegram.Params{"short_description": short}
		if v.code != "" {
			dp["language_code"], sp["language_code"] = v.code, v.code
		}
		if _, err := b.client.Call(ctx, "setMyDescription", dp); err != nil {
			return fmt.Errorf("setMyDescription %q: %w", v.code, err)
		}
		if _, err := b.client.Call(ctx, "setMyShortDescription", sp); err != nil {
			return fmt.Errorf("setMyShortDescription %q: %w", v.code, err)
		}
	}
	return nil
}
