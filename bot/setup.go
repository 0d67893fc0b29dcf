package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/internal/lang"
)

// commandNames are the commands of the menu, in its order.
var commandNames = []string{"start", "help", "language", "back", "restart", "adviser", "forget"}

// Setup publishes the command menus and descriptions: French by default
// and for French apps, Arabic for Arabic apps (Telegram has no Darija
// language code: Darija speakers use Arabic apps). Every call is tried even
// when another fails (an older Bot API server may lack one method); the
// errors are returned together.
func (b *Bot) Setup(ctx context.Context) error {
	var errs []error
	call := func(method string, p telegram.Params, code string) {
		if _, err := b.client.Call(ctx, method, p); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", method, code, err))
		}
	}
	for _, v := range []struct {
		code string
		l    lang.Lang
	}{{"", lang.FR}, {"fr", lang.FR}, {"ar", lang.AR}} {
		type command struct {
			Command     string `json:"command"`
			Description string `json:"description"`
		}
		menu := commandNames
		if b.requestsOn() { // before "forget", the last
			menu = append(slices.Clone(menu[:len(menu)-1]), "requests", "stop", menu[len(menu)-1])
		}
		cmds := make([]command, 0, len(menu))
		for _, c := range menu {
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
		call("setMyCommands", p, v.code)
		dp := telegram.Params{"description": desc}
		sp := telegram.Params{"short_description": short}
		if v.code != "" {
			dp["language_code"], sp["language_code"] = v.code, v.code
		}
		call("setMyDescription", dp, v.code)
		call("setMyShortDescription", sp, v.code)
	}
	return errors.Join(errs...)
}
