package dialog

import (
	"encoding/json"
	"hash/fnv"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// "Send my request": a referral card's button (the transport draws it for
// the services whose organisation can receive requests) opens a preview of
// exactly what would leave for the organisation; nothing leaves without
// its yes. The yes is an effect (EffectRequest) the caller carries out
// outside the conversation lock, through the outbox.
//
// The engine does no I/O: the names the preview shows (organisation,
// service) and the first name (Telegram's) come with the button press, in
// Input.Target, filled by the transport as it fills a referral's services.
// They are kept in the draft, so the preview shown again after a question
// or a phone number is added needs no second look-up, and the yes sends
// what the preview showed and nothing else.

// DataRequest prefixes the callback data of a card's "send my request"
// button: DataRequest followed by the service id.
const DataRequest = "rq:"

// Callback data of the preview's buttons: each ends with the preview's
// fingerprint (Draft.mark), so a press on an older preview (another
// service, another question) is stale, never a yes to what it no longer shows.
const (
	dataReqYes      = "rqy:"
	dataReqNo       = "rqn:"
	dataReqQuestion = "rqq:"
	dataReqFollowY  = "rqf:y:"
	dataReqFollowN  = "rqf:n:"
)

// MaxQuestionRunes bounds the question a person adds to a request.
const MaxQuestionRunes = 500

// RequestData is a card's "send my request" callback data for service id,
// "" when the id is too long for Telegram's 64 bytes (no button then).
func RequestData(service string) string {
	if d := DataRequest + service; len(d) <= MaxCallbackData {
		return d
	}
	return ""
}

// Target is what the transport knows of a "send my request" press: the
// service, its organisation and their names in the conversation's
// language, and the person's first name as Telegram gives it.
type Target struct {
	Service, Org         string
	ServiceName, OrgName string
	FirstName            string
	// Open: the person has a request for this service still open; no
	// second one is prepared (the organisation has it already).
	Open bool `json:"-"`
}

// Draft is a request being prepared: what its preview shows, which is
// exactly what the yes sends (Shared in package requests).
type Draft struct {
	Target
	Lang     lang.Lang   `json:"l"`
	Facts    vocab.Codes `json:"c"`           // the situation, as the conversation knows it
	Question string      `json:"q,omitempty"` // their own words; "" when none
	Phone    string      `json:"p,omitempty"` // shared with the contact button; "" when none
	// Writing: the next free text is the question.
	Writing bool `json:"w,omitempty"`
	// Agreed: the yes was given; the follow-up question is awaited.
	Agreed bool `json:"y,omitempty"`
	// FollowUp: the person agreed to be asked later whether it helped.
	FollowUp bool `json:"u,omitempty"`
}

func (d *Draft) clone() *Draft {
	if d == nil {
		return nil
	}
	c := *d
	c.Facts = d.Facts.Clone()
	return &c
}

// mark fingerprints what the preview shows: its buttons carry it.
func (d *Draft) mark() string {
	h := fnv.New64a()
	b, _ := json.Marshal([]any{d.Service, d.Org, d.FirstName, d.Lang, d.Facts.Normalized(), d.Question, d.Phone})
	h.Write(b)
	return strconv.FormatUint(h.Sum64()&(1<<40-1), 36)
}

// startRequest answers a card's "send my request" button: the preview.
func (st *step) startRequest(in Input) {
	if st.s.Lang == "" {
		st.chooseLanguage()
		return
	}
	t := in.Target
	if t == nil || t.Service != strings.TrimPrefix(in.Data, DataRequest) {
		// The transport could not say which service (a catalogue changed
		// since, a transport with no requests): nothing can be prepared.
		st.say(st.t("request.unavailable", nil))
		st.ask()
		return
	}
	if d := st.s.Pending.Request; d != nil && d.Agreed {
		st.sendRequest() // the yes was given to that one: it goes
	}
	if t.Open {
		st.s.Pending.Request = nil
		st.say(st.t("request.open", map[string]any{"Org": t.OrgName}))
		st.ask()
		return
	}
	st.s.Pending.Request = &Draft{Target: *t, Lang: st.s.Lang, Facts: st.s.Codes.Clone()}
	st.preview(true)
}

// request handles an input while a request is prepared; handled false
// lets the input be handled as usual (the draft then dropped, or sent if
// the yes was given).
func (st *step) request(in Input) (handled bool) {
	d := st.s.Pending.Request
	switch in.Kind {
	case InButton:
		return st.requestButton(d, in.Data)
	case InCommand:
		switch strings.ToLower(in.Command) {
		case "back", "restart":
			if d.Agreed {
				st.sendRequest()
			} else {
				st.cancelRequest()
			}
			if strings.ToLower(in.Command) == "back" {
				st.ask() // the preview undone: the conversation where it was
				return true
			}
			return false
		case "forget", "start":
			st.s.Pending.Request = nil // nothing leaves for someone who asks to be forgotten
		}
		return false // /help, /language…: answered, then the preview asked again
	case InText:
		text := strings.TrimSpace(in.Text)
		if d.Agreed {
			if yes, ok := typedYes(text); ok {
				st.s.Pending.Request.FollowUp = yes
				st.sendRequest()
				return true
			}
			st.sendRequest() // the yes stands; asked nothing more
			return false
		}
		if d.Writing {
			if utf8.RuneCountInString(text) > MaxQuestionRunes {
				text = truncateRunes(text, MaxQuestionRunes)
				st.say(st.t("request.question.long", map[string]any{"Count": MaxQuestionRunes}))
			}
			st.s.Pending.Request.Question, st.s.Pending.Request.Writing = text, false
			st.preview(false)
			return true
		}
		if yes, ok := typedYes(text); ok {
			if yes {
				st.agree()
			} else {
				st.cancelRequest()
				st.ask()
			}
			return true
		}
		// Something else: the preview is no yes; the message is read as usual.
		st.cancelRequest()
		return false
	case InContact:
		if in.What != "" {
			st.say(st.t("request.phone.notyours", nil))
			st.preview(false)
			return true
		}
		if d.Agreed {
			st.say(st.t("request.phone.late", nil))
			st.ask()
			return true
		}
		st.s.Pending.Request.Phone = truncateRunes(strings.TrimSpace(in.Text), 32)
		st.replies = append(st.replies, Reply{Text: st.t("request.phone.added", nil), RemoveKeyboard: true})
		st.preview(false)
		return true
	}
	return false // a sticker…: answered as usual, then the preview again
}

func (st *step) requestButton(d *Draft, data string) bool {
	mark := d.mark()
	switch {
	case strings.HasPrefix(data, DataRequest):
		return false // another card's button: a new draft (handle)
	case data == dataReqYes+mark && !d.Agreed:
		st.agree()
	case data == dataReqNo+mark && !d.Agreed:
		st.cancelRequest()
		st.ask()
	case data == dataReqQuestion+mark && !d.Agreed:
		st.s.Pending.Request.Writing = true
		st.say(st.t("request.question.ask", nil))
	case (data == dataReqFollowY+mark || data == dataReqFollowN+mark) && d.Agreed:
		st.s.Pending.Request.FollowUp = data == dataReqFollowY+mark
		st.sendRequest()
	case isRequestData(data):
		st.stale() // an older preview's button: asked this one again
	default:
		if d.Agreed {
			st.sendRequest()
		} else {
			st.s.Pending.Request = nil // a tree button: the conversation goes on
		}
		return false
	}
	return true
}

// isRequestData says whether data is a preview's button.
func isRequestData(data string) bool {
	for _, p := range []string{dataReqYes, dataReqNo, dataReqQuestion, dataReqFollowY, dataReqFollowN} {
		if strings.HasPrefix(data, p) {
			return true
		}
	}
	return false
}

// typedYes reads a typed yes or no ("oui", "ايه", "non merci").
func typedYes(text string) (yes, ok bool) {
	w := nlu.Normalize(text)
	if len(strings.Fields(w)) > 4 {
		return false, false
	}
	first, _, _ := strings.Cut(w, " ")
	switch {
	case yesWords[w] || yesFirst[first]:
		return true, true
	case noWords[w] || noFirst[first]:
		return false, true
	}
	return false, false
}

// agree takes the yes: before anything leaves, the one question of
// whether the person may be asked later how it went (the request is
// stored with the answer).
func (st *step) agree() {
	d := st.s.Pending.Request
	d.Agreed, d.Writing = true, false
	st.askFollowUp()
}

func (st *step) askFollowUp() {
	d := st.s.Pending.Request
	mark := d.mark()
	st.replies = append(st.replies, Reply{
		Text: st.t("request.followup.ask", map[string]any{"Org": d.OrgName}),
		Buttons: [][]Button{{
			{Label: st.t("ButtonYes", nil), Data: dataReqFollowY + mark},
			{Label: st.t("ButtonNo", nil), Data: dataReqFollowN + mark},
		}},
	})
}

// sendRequest hands the draft to the caller to send (EffectRequest); the
// caller tells the person it was sent and what happens next.
func (st *step) sendRequest() {
	d := st.s.Pending.Request
	st.s.Pending.Request = nil
	d.Writing = false
	st.effects = append(st.effects, Effect{Kind: EffectRequest, Request: d})
}

// cancelRequest drops the draft: nothing was sent.
func (st *step) cancelRequest() {
	st.s.Pending.Request = nil
	st.replies = append(st.replies, Reply{Text: st.t("request.cancelled", nil), RemoveKeyboard: true})
}

// askRequest asks again what the draft awaits: its question, the
// follow-up answer, or the yes to its preview.
func (st *step) askRequest() {
	d := st.s.Pending.Request
	switch {
	case d.Agreed:
		st.askFollowUp()
	case d.Writing:
		st.say(st.t("request.question.ask", nil))
	default:
		st.preview(false)
	}
}

// preview shows exactly what would leave, to whom, with the yes, the no
// and a button to add a question; and, while no phone is shared, the
// keyboard button that shares it (a reply keyboard: Telegram asks the
// person before it sends their own number).
func (st *step) preview(first bool) {
	d := st.s.Pending.Request
	lines := []string{
		st.t("request.preview.head", map[string]any{"Org": d.OrgName, "Service": d.ServiceName}),
		"",
		st.t("request.preview.name", map[string]any{"Name": st.isolate(orDash(d.FirstName))}),
		st.t("request.preview.lang", map[string]any{"Lang": st.t("request.lang."+string(d.Lang), nil)}),
		st.t("request.preview.facts", map[string]any{"List": orDash(st.describe(d.Facts))}),
	}
	if d.Question != "" {
		lines = append(lines, st.t("request.preview.question", map[string]any{"Question": st.isolate(d.Question)}))
	}
	if d.Phone != "" {
		lines = append(lines, st.t("request.preview.phone", map[string]any{"Phone": d.Phone}))
	}
	lines = append(lines, "", st.t("request.preview.ask", nil))
	if d.Phone == "" && first {
		st.replies = append(st.replies, Reply{Text: st.t("request.phone.hint", nil), Contact: st.t("request.button.phone", nil)})
	}
	mark := d.mark()
	question := "request.button.question"
	if d.Question != "" {
		question = "request.button.question.change"
	}
	st.replies = append(st.replies, Reply{
		Text: strings.Join(lines, "\n"),
		Buttons: [][]Button{
			{{Label: st.t("request.button.yes", nil), Data: dataReqYes + mark}, {Label: st.t("request.button.no", nil), Data: dataReqNo + mark}},
			{{Label: st.t(question, nil), Data: dataReqQuestion + mark}},
		},
	})
}

// isolate keeps a text of the person's (a Latin first name, a question in
// French) from reordering the Arabic around it (FSI … PDI, see locales).
func (st *step) isolate(s string) string {
	if !st.s.Lang.RTL() || s == "" {
		return s
	}
	return "\u2068" + s + "\u2069"
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
