package handoff

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/internal/lang"
)

// Fifty users ask for an adviser at once. The group's limit (20 messages
// per window, a topic and a card per request) makes the last cards wait
// far longer than a conversation lock lives (2s here); the window is
// shortened from Telegram's minute to one second to compress time, the
// ratio of waits to lock life staying that of production. Every user is
// told what happens next, nobody gets "technical error", every card is
// posted once.
func TestBurstOfAdviserRequests(t *testing.T) {
	const users = 50
	l := startLive(t, true)
	l.stop()
	l.bopts.GroupWindow = time.Second
	l.run()
	base := 1<<33 + 600000000 + randInt(1e8)
	technical := l.tr.T(lang.FR, "TechnicalError", nil)
	errs := make(chan error, users)
	var wg sync.WaitGroup
	for i := range users {
		user := base + int64(i)
		l.srv.SetName(user, fmt.Sprintf("Usager%02d", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.srv.Text(user, "/start")
			m, err := l.srv.WaitReceived(user, 1, 20*time.Second)
			if err != nil {
				errs <- err
				return
			}
			if _, ok := l.srv.PressLabel(m[0], "Français"); !ok {
				errs <- fmt.Errorf("user %d: no language button: %s", i, bottest.Texts(m))
				return
			}
			if m, err = l.srv.WaitReceived(user, 2, 20*time.Second); err != nil {
				errs <- err
				return
			}
			n := len(m)
			l.srv.Text(user, "/adviser")
			got, err := l.srv.WaitReceived(user, n+2, 60*time.Second)
			if err != nil {
				errs <- fmt.Errorf("user %d: %w", i, err)
				return
			}
			got = got[n:]
			if got[0].Text != l.tr.T(lang.FR, "AdviserRequested", nil) || !strings.HasPrefix(got[1].Text, "C'est transmis") {
				errs <- fmt.Errorf("user %d: want the engine's reply then what happens next: %s", i, bottest.Texts(got))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	cards := map[string]int{}
	for _, m := range l.srv.Received(l.group) {
		for i := range users {
			if name := fmt.Sprintf("Usager%02d", i); strings.Contains(m.Text, name) {
				cards[name]++
			}
		}
	}
	for i := range users {
		name := fmt.Sprintf("Usager%02d", i)
		if cards[name] != 1 {
			t.Errorf("%s: %d cards in the group, want 1", name, cards[name])
		}
		for _, m := range l.srv.Received(base + int64(i)) {
			if m.Text == technical {
				t.Errorf("%s was told %q", name, technical)
			}
		}
	}
}
