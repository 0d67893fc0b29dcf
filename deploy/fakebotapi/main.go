// Command fakebotapi is a stand-in for Telegram's Bot API (bot/bottest's
// fake server) for trying a deployment before it has a real token: point
// `dalil serve` at it, then type as a user. Each line of stdin is a message
// from one private chat; "!N" presses button N of the last message that has
// buttons. What the bot sends is printed with its buttons numbered.
//
//	go run ./deploy/fakebotapi            # prints TELEGRAM_API_URL and TELEGRAM_BOT_TOKEN
//
// It works in long polling and in webhook mode (it posts updates to the URL
// the bot registered, with its secret, as Telegram does).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/dalil-tt/dalil/bot/bottest"
)

func main() {
	chat := flag.Int64("chat", 1001, "id of the private chat you type in")
	flag.Parse()
	run(os.Stdin, os.Stdout, *chat, func(srv *bottest.Server) {
		fmt.Fprintf(os.Stdout, "TELEGRAM_API_URL=%s\nTELEGRAM_BOT_TOKEN=%s\n", srv.APIURL(), srv.Token())
		fmt.Fprintln(os.Stdout, "# type messages; !N presses button N of the last message with buttons; Ctrl-D quits")
	})
}

func run(in io.Reader, out io.Writer, chat int64, started func(*bottest.Server)) {
	var mu sync.Mutex
	srv := bottest.New(bottest.Options{OnSend: func(chatID int64, m *bottest.Message) {
		if chatID != chat {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(out, "bot [%s]: %s\n", m.Method, m.Text)
		n := 0
		for _, row := range m.Buttons {
			for _, b := range row {
				n++
				fmt.Fprintf(out, "   %d. %s\n", n, b.Text)
			}
		}
	}})
	defer srv.Close()
	started(srv)
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimPrefix(line, "!")); strings.HasPrefix(line, "!") && err == nil {
			m, ok := srv.LastWithButtons(chat)
			var data []string
			for _, row := range m.Buttons {
				for _, b := range row {
					data = append(data, b.Data)
				}
			}
			if !ok || n < 1 || n > len(data) {
				fmt.Fprintf(out, "# no button %d\n", n)
				continue
			}
			srv.Press(m, data[n-1])
			continue
		}
		srv.Text(chat, line)
	}
}
