package handoff

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot"
	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/bot/outbox"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/dialog/redisstore"
	"github.com/dalil-tt/dalil/dialog/trees"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/proctest"
	"github.com/dalil-tt/dalil/locales"
)

// live runs the real bot (engine, Redis store, sender) with the desk
// plugged into its hooks, against the fake Bot API server.
type live struct {
	t      *testing.T
	srv    *bottest.Server
	group  int64
	bopts  bot.Options
	dopts  Options
	desk   *Desk
	b      *bot.Bot
	cancel context.CancelFunc
	done   chan error
	tr     *locales.Catalog
}

func startLive(t *testing.T, forum bool, tweaks ...func(*Options)) *live {
	t.Helper()
	rdb, pool := services(t)
	srv := bottest.New(bottest.Options{})
	t.Cleanup(srv.Close)
	tree, err := dialog.Parse(trees.Default)
	if err != nil {
		t.Fatal(err)
	}
	tr := locales.MustDefault()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "test:hobot:" + hex.EncodeToString(b)
	l := &live{t: t, srv: srv, tr: tr, group: -1000000000000 - randInt(1e9)}
	srv.SetGroup(l.group, "Conseillers", forum)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	l.dopts = Options{Redis: rdb, Records: NewRecords(pool), T: tr, AdvisersChatID: l.group,
		Pseudonyms: testKeys(), Prefix: prefix + ":ho", Log: quiet, RelayBurst: 20,
		Now: func() time.Time { return casa(t, "2026-11-24 10:00") }}
	l.bopts = bot.Options{Store: redisstore.New(rdb, redisstore.Options{Prefix: prefix, LockTTL: 2 * time.Second}),
		Engine: &dialog.Engine{Tree: tree, NLU: nlu.Default(), T: tr}, T: tr,
		Matcher: catalogue.NewMemory(catalogue.Demo()), ChatInterval: time.Millisecond, ChatBurst: 5,
		Grace: 3 * time.Second, SendBackoff: 20 * time.Millisecond, SendTimeout: 2 * time.Second,
		AdvisersChatID: l.group, Log: quiet}
	for _, tw := range tweaks {
		tw(&l.dopts)
	}
	l.run()
	t.Cleanup(l.stop)
	return l
}

// run starts a bot process (again, after stop: a restart).
func (l *live) run() {
	l.t.Helper()
	c, err := telegram.New(context.Background(), l.srv.Token(), l.srv.APIURL(), nil)
	if err != nil {
		l.t.Fatal(err)
	}
	do := l.dopts
	do.API = c
	var b *bot.Bot
	do.Resume = ResumeFunc(func(ctx context.Context, chat int64) error { return b.Resume(ctx, chat) })
	do.Limits = botLimits{&b} // the desk's messages under the bot's own limits, as serve wires it
	do.Outbox = botOutbox{&b}
	d, err := New(do)
	if err != nil {
		l.t.Fatal(err)
	}
	o := l.bopts
	o.Client, o.AdviserNotice, o.Intercept, o.AfterSend = c, d.OpenNotice, d.Intercept, d.AfterSend()
	o.ForgetNotice = func(ctx context.Context, chat int64, st dialog.State) (string, error) {
		return d.ForgetNotice(ctx, chat, st.Lang)
	}
	b, err = bot.New(o)
	if err != nil {
		l.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.desk, l.b, l.cancel, l.done = d, b, cancel, make(chan error, 1)
	go func() { l.done <- b.Run(ctx) }()
	go d.Run(ctx, time.Hour) // relays the users' waiting messages, as serve runs it
}

func (l *live) stop() {
	if l.cancel == nil {
		return
	}
	l.cancel()
	select {
	case <-l.done:
	case <-time.After(15 * time.Second):
		l.t.Error("bot did not stop")
	}
	l.cancel = nil
}

func (l *live) wait(chat int64, n int) []bottest.Message {
	l.t.Helper()
	ms, err := l.srv.WaitReceived(chat, n, 10*time.Second)
	if err != nil {
		l.t.Fatal(err)
	}
	return ms
}

// quiet checks that chat received nothing since it had n messages, once
// every update sent is handled and what it owes chat and the advisers'
// group is sent: what would have come has come.
func (l *live) quiet(chat int64, n int, what string) {
	l.t.Helper()
	l.settle(chat, l.group)
	if ms := l.srv.Received(chat); len(ms) > n {
		l.t.Fatalf("%s: chat got %s", what, bottest.Texts(ms[n:]))
	}
}

// settle waits until every update the fake server has is taken by the bot
// and handled (the bot deletes it from its queue partition once its outcome
// is saved) and nothing is owed to or being sent to chats. The state is
// rechecked on each Bot API call (and every few milliseconds, for Redis).
func (l *live) settle(chats ...int64) {
	l.t.Helper()
	st := l.bopts.Store
	ctx := context.Background()
	var why string
	busy := func() bool {
		if n := l.srv.Pending(); n > 0 {
			why = fmt.Sprintf("%d updates not taken", n)
			return true
		}
		pipe := st.Client().Pipeline()
		var cmds []*redis.IntCmd
		for p := range 16 { // the bot's partitions (bot/partition.go)
			cmds = append(cmds, pipe.XLen(ctx, st.GlobalKey("{updates:"+strconv.Itoa(p)+"}")))
		}
		for _, c := range chats {
			cmds = append(cmds, pipe.LLen(ctx, st.Key(c, "out")), pipe.Exists(ctx, st.Key(c, "send")))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			why = err.Error()
			return true
		}
		for _, c := range cmds {
			if c.Val() > 0 {
				why = fmt.Sprintf("%s: %d", c.Args()[1], c.Val())
				return true
			}
		}
		return false
	}
	if !l.srv.WaitFor(func() bool { return !busy() }, 10*time.Second) {
		l.t.Fatalf("not settled after 10s: %s", why)
	}
}

func (l *live) groupMsg(from int64, name string, fields map[string]any) {
	fields["from"] = map[string]any{"id": from, "is_bot": false, "first_name": name}
	l.srv.GroupMessage(l.group, from, fields)
}

// The whole path through the real bot: /adviser → card in a topic; the
// engine stays quiet while the adviser holds the conversation; /language
// still works; a restart in the middle; /close gives the user back to the
// tree; /forget erases the handoffs.
func TestThroughTheBot(t *testing.T) {
	l := startLive(t, true)
	user := 1<<33 + 400000000 + randInt(1e8)
	const karim = 6789671201
	l.srv.SetMember(l.group, karim, "member")
	l.srv.SetName(user, "Amina")

	l.srv.Text(user, "/start salon")
	m := l.wait(user, 1)
	if _, ok := l.srv.PressLabel(m[0], "Français"); !ok {
		t.Fatalf("no language button: %s", bottest.Texts(m))
	}
	l.wait(user, 2)
	n := len(l.srv.Received(user))
	l.srv.Text(user, "/adviser")
	got := l.wait(user, n+2)[n:]
	if got[0].Text != l.tr.T(lang.FR, "AdviserRequested", nil) || !strings.HasPrefix(got[1].Text, "C'est transmis") {
		t.Fatalf("/adviser: want the engine's reply then what happens next: %s", bottest.Texts(got))
	}
	g := l.wait(l.group, 1)
	card := g[0]
	if card.ThreadID == 0 || !strings.Contains(card.Text, "Venu par : salon") || !strings.Contains(card.Text, "Amina") {
		t.Fatalf("card: %+v", card)
	}

	// The user writes: it reaches the topic, the engine says nothing.
	n = len(l.srv.Received(user))
	l.srv.Text(user, "je cherche un microcrédit à Tétouan")
	if g := l.wait(l.group, 2); g[1].Text != asRelayed("je cherche un microcrédit à Tétouan") || g[1].ThreadID != card.ThreadID {
		t.Fatalf("relay to the topic: %s", bottest.Texts(g))
	}
	l.quiet(user, n, "the bot answered while an adviser holds the conversation")

	// The adviser answers in the topic.
	l.groupMsg(karim, "Karim", inTopic(card.ThreadID, map[string]any{"text": "Bonjour, je suis Karim."}))
	got = l.wait(user, n+2)[n:]
	if !strings.Contains(got[0].Text, "Karim") || got[1].Text != "Bonjour, je suis Karim." {
		t.Fatalf("adviser → user: %s", bottest.Texts(got))
	}

	// A restart of the bot in the middle of the handoff.
	l.stop()
	l.run()
	n = len(l.srv.Received(user))
	l.srv.Media(user, "photo")
	if g := l.wait(l.group, 3); g[2].Method != "copyMessage" {
		t.Fatalf("relay after restart: %s", bottest.Texts(g))
	}
	l.groupMsg(karim, "Karim", inTopic(card.ThreadID, map[string]any{"text": "Bien reçu."}))
	if got := l.wait(user, n+1)[n:]; got[0].Text != "Bien reçu." {
		t.Fatalf("adviser → user after restart: %s", bottest.Texts(got))
	}

	// /language still works; the handoff stays open.
	n = len(l.srv.Received(user))
	l.srv.Text(user, "/language")
	if got := l.wait(user, n+1)[n:]; !strings.Contains(bottest.Texts(got), "Français") {
		t.Fatalf("/language: %s", bottest.Texts(got))
	}
	if ok, _ := l.desk.Active(context.Background(), user); !ok {
		t.Fatal("/language ended the handoff")
	}

	// /close: the user is told, and the bot answers again.
	n = len(l.srv.Received(user))
	l.groupMsg(karim, "Karim", inTopic(card.ThreadID, map[string]any{"text": "/close"}))
	got = l.wait(user, n+2)[n:]
	if got[0].Text != l.tr.T(lang.FR, "handoff.user.closed", nil) || len(got[1].Buttons) == 0 {
		t.Fatalf("close: want the closing message then the question the user had reached: %s", bottest.Texts(got))
	}
	// The question asked again is live: answering it moves the tree on.
	n = len(l.srv.Received(user))
	l.srv.Press(got[1], got[1].Buttons[0][0].Data)
	if got := l.wait(user, n+1)[n:]; strings.Contains(bottest.Texts(got), l.tr.T(lang.FR, "StaleButton", nil)) {
		t.Fatalf("the question offered after close is stale: %s", bottest.Texts(got))
	}
	n = len(l.srv.Received(user))
	l.srv.Text(user, "/help")
	if got := l.wait(user, n+1)[n:]; !strings.Contains(got[0].Text, "/adviser") {
		t.Fatalf("the bot did not take the user back: %s", bottest.Texts(got))
	}

	// /forget through the bot erases the handoffs.
	key := l.desk.UserKey(user)
	n = len(l.srv.Received(user))
	l.srv.Text(user, "/forget")
	m = l.wait(user, n+1)
	if _, ok := l.srv.PressLabel(m[len(m)-1], l.tr.T(lang.FR, "ButtonYes", nil)); !ok {
		t.Fatalf("no confirm button: %s", bottest.Texts(m[n:]))
	}
	got = l.wait(user, n+3)[n+1:]
	if got[0].Text != l.tr.T(lang.FR, "Forgotten", nil) || got[1].Text != l.tr.T(lang.FR, "handoff.user.forget.group", nil) {
		t.Fatalf("/forget: want the engine's reply then what became of the advisers' group: %s", bottest.Texts(got))
	}
	for _, m := range l.srv.Received(l.group) {
		if !m.Deleted {
			t.Fatalf("left in the advisers' group after /forget: %s", bottest.Texts([]bottest.Message{m}))
		}
	}
	var count int
	if err := l.dopts.Records.pool.QueryRow(context.Background(),
		`SELECT count(*) FROM handoffs WHERE user_key = $1`, key).Scan(&count); err != nil || count != 0 {
		t.Fatalf("%d handoffs left after /forget (%v)", count, err)
	}
}

// A plain supergroup through the real bot: replies reach the user, a
// forged button and a non-member's reply do nothing, the card's Close
// button gives the user back to the tree.
func TestThroughTheBotPlainGroup(t *testing.T) {
	l := startLive(t, false)
	user := 1<<33 + 410000000 + randInt(1e8)
	const lina, stranger = 6789671301, 6789671302
	l.srv.SetMember(l.group, lina, "member")

	l.srv.Text(user, "/start")
	m := l.wait(user, 1)
	if _, ok := l.srv.PressLabel(m[0], "الدارجة"); !ok {
		t.Fatalf("no language button: %s", bottest.Texts(m))
	}
	l.wait(user, 2)
	l.srv.Text(user, "/adviser")
	got := l.wait(user, 4)[2:]
	if got[0].Text != l.tr.T(lang.ARY, "AdviserRequested", nil) || !strings.HasPrefix(got[1].Text, "وصلنا الطلب ديالك") {
		t.Fatalf("/adviser in Darija: %s", bottest.Texts(got))
	}
	card := l.wait(l.group, 1)[0]
	if card.ThreadID != 0 || !strings.Contains(card.Text, "darija") {
		t.Fatalf("card: %+v", card)
	}
	l.srv.Media(user, "photo")
	photo := l.wait(l.group, 2)[1]
	if !relayed(photo, "photo", user) || photo.Params["reply_to_message_id"] != itoa(card.ID) {
		t.Fatalf("photo → group: %+v", photo)
	}

	n := len(l.srv.Received(user))
	l.groupMsg(stranger, "X", map[string]any{"text": "hack", "reply_to_message": l.srv.Ref(photo)})
	l.srv.PressAs(card, lina, "Lina", dataClose+"forgedcardid")
	l.quiet(user, n, "a non-member's reply or a forged button")
	l.groupMsg(lina, "Lina", map[string]any{"text": "Mezyan, chno bghiti?", "reply_to_message": l.srv.Ref(photo)})
	got = l.wait(user, n+2)[n:]
	if !strings.Contains(got[0].Text, "\u2068Lina\u2069") || got[1].Text != "Mezyan, chno bghiti?" {
		t.Fatalf("adviser → user: %s", bottest.Texts(got))
	}

	n = len(l.srv.Received(user))
	l.srv.PressAs(card, lina, "Lina", card.Buttons[0][1].Data)
	got = l.wait(user, n+2)[n:]
	if got[0].Text != l.tr.T(lang.ARY, "handoff.user.closed", nil) || len(got[1].Buttons) == 0 {
		t.Fatalf("close button: %s", bottest.Texts(got))
	}

	// Three presses (the language, the forged button, Close), each answered
	// once: the desk answers those it takes, with a word, and the bot does
	// not answer them again (Telegram refuses a second answer).
	answers := func() map[string][]string {
		by := map[string][]string{}
		for _, c := range l.srv.Calls("answerCallbackQuery") {
			by[c.Params["callback_query_id"]] = append(by[c.Params["callback_query_id"]], c.Params["text"])
		}
		return by
	}
	proctest.WaitFor(5*time.Second, func() bool { return len(answers()) >= 3 })
	// A second answer would come from the bot after the desk: wait until
	// the presses are handled and the bot stopped (its senders finished).
	l.settle(user, l.group)
	l.stop()
	by := answers()
	var texts []string
	for id, ts := range by {
		if len(ts) != 1 {
			t.Errorf("press %s answered %d times: %q", id, len(ts), ts)
		}
		texts = append(texts, ts...)
	}
	slices.Sort(texts)
	if len(by) != 3 || !slices.Contains(texts, "Conversation rendue à l'assistant.") || !slices.Contains(texts, "Fiche inconnue : refusé.") {
		t.Errorf("answers to the three presses: %q", by)
	}
}

// botOutbox puts the desk's messages in the outboxes of the bot a run started.
type botOutbox struct{ b **bot.Bot }

func (o botOutbox) Put(ctx context.Context, chat int64, once string, msgs ...outbox.Message) (bool, error) {
	return (*o.b).Put(ctx, chat, once, msgs...)
}

// botLimits waits under the limits of the bot a run started.
type botLimits struct{ b **bot.Bot }

func (l botLimits) WaitTurn(ctx context.Context, chat int64, countsInChat bool) error {
	return (*l.b).WaitTurn(ctx, chat, countsInChat)
}
