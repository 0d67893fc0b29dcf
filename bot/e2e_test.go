package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/dialog/lang"
)

func TestConversationFrench(t *testing.T) {
	h := start(t, nil, nil)
	const chat = 1001
	got := h.say(chat, "/start salon-tanger")
	m := got[len(got)-1]
	for _, want := range []string{"Français", "العربية", "الدارجة"} {
		if !strings.Contains(texts([]bottest.Message{m}), want) {
			t.Fatalf("/start: no %q button: %s", want, texts(got))
		}
	}
	got = h.press(chat, "Français")
	if !strings.Contains(texts(got), "Où en est votre projet") {
		t.Fatalf("after Français: %s", texts(got))
	}
	// The language question's keyboard was removed and the press answered.
	if len(h.srv.Calls("answerCallbackQuery")) != 1 || len(h.srv.Calls("editMessageReplyMarkup")) != 1 {
		t.Fatalf("answer/edit calls: %d/%d", len(h.srv.Calls("answerCallbackQuery")), len(h.srv.Calls("editMessageReplyMarkup")))
	}
	if ms := h.srv.Received(chat); len(ms[0].Buttons) != 0 || ms[0].Edited != 1 {
		t.Fatalf("language keyboard still there: %+v", ms[0])
	}
	all := h.walk(chat)
	if !strings.Contains(texts(all), "+212") && !strings.Contains(texts(all), "@") {
		t.Fatalf("cards show no contact: %s", texts(all))
	}
	t.Logf("conversation:%s", texts(all))
	if len(h.srv.Calls("sendChatAction")) == 0 {
		t.Error("no typing action while looking services up")
	}
	conv, found, err := h.store.Load(context.Background(), chat)
	if err != nil || !found || conv.State.Source != "salon-tanger" || conv.State.Lang != lang.FR || len(conv.State.Referred) == 0 {
		t.Fatalf("stored conversation: %+v %v %v", conv, found, err)
	}
}
