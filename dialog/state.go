package dialog

import (
	"strconv"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// StateVersion is the version of State's serialised form; a stored state of
// another version is started afresh rather than misread.
const StateVersion = 1

// State is everything kept about one conversation. It is small and
// serialisable (it lives in Redis as JSON) and records the tree version it
// runs on. Short JSON names keep it small.
type State struct {
	V     int         `json:"v"`
	Tree  string      `json:"t,omitempty"` // tree version
	Lang  lang.Lang   `json:"l,omitempty"`
	Node  string      `json:"n,omitempty"` // node waiting for an answer; "" = language not chosen yet
	Hist  []Frame     `json:"h,omitempty"` // answered questions, for /back
	Codes vocab.Codes `json:"-"`           // stored packed, see statejson.go
	// Not is what is known NOT to hold of the person (a man is not
	// "women"): it stops the bot asking again and hides the services they
	// cannot use. Stored packed like Codes; /back does not undo it (it is
	// about the person, not an answer to a step of the tree).
	Not    vocab.Codes `json:"-"`
	Source string      `json:"s,omitempty"` // /start deep-link payload
	Misses int         `json:"m,omitempty"` // free texts not understood in a row
	// Notes are the last free texts the bot understood something from, kept
	// short, for the adviser's summary card.
	Notes []string `json:"x,omitempty"`
	// Pending is an answer awaited besides the tree's question (pending.go).
	// Stored as an object, read also as the string states stored before
	// it was typed held (statejson.go).
	Pending Pending `json:"-"`
	Ended   bool    `json:"e,omitempty"` // reached an end node
	// Referred lists the ids of services already shown, for the adviser.
	Referred []string `json:"r,omitempty"`
	// List is the last list of services shown, for its "more" button
	// (paging.go); nil when none. Stored packed like Codes.
	List *Listing `json:"-"`
	// Asking is the public a yes/no eligibility question awaits an answer
	// about ("women"), at a referral node; "" when none.
	Asking string `json:"q,omitempty"`
	// Resume is the question to come back to after one asked ahead of it
	// because it told the services apart better; "" when none.
	Resume string `json:"u,omitempty"`
	// YesNos counts the yes/no questions asked since the last services
	// shown (at most maxYesNo).
	YesNos int `json:"y,omitempty"`
}

// Frame is one answered question: the node asked and the codes its answer added.
type Frame struct {
	Node    string `json:"n"`
	Added   vocab.Codes
	Removed vocab.Codes // codes the answer cleared ("another need")
	// Pick is the clarification awaited when the answer came
	// (State.Pending.Pick), for /back to ask it again; nil when none was.
	// Frames stored before it existed simply lack it.
	Pick *vocab.Codes
	// YesNo is the public a yes/no question asked about, when this step
	// answered one: /back asks it again (and forgets the answer).
	YesNo string
}

// InputKind says what the user sent.
type InputKind int

const (
	InText        InputKind = iota // free text
	InButton                       // an inline button; Data holds its callback data
	InCommand                      // /command; Command holds its name, Text its argument
	InUnsupported                  // a sticker, voice note, photo… that the bot cannot read
	InCodes                        // codes the transport worked out (a shared location gives a province)
	// InShown tells which services the caller showed for a referral reply
	// (Shown, from index From of its list): no reply, only recorded.
	InShown
	// InContact is a phone contact shared: Text is its number, What is
	// "other" when it is not the person's own (someone else's card).
	InContact
)

// Input is one thing the user did.
type Input struct {
	Kind    InputKind
	Text    string
	Command string // without the slash, lower case: start, help, language, back, restart, adviser, forget
	Data    string
	Codes   vocab.Codes
	// What names the unsupported message ("sticker", "voice"…), for the reply.
	What string
	// Shown and From, on InShown: the ids of the services shown, and the
	// index in the list of the first (Reply.From).
	Shown []string
	From  int
	// Target, on a card's "send my request" button (DataRequest), is the
	// service it names, with the names the preview shows (request.go).
	Target *Target
}

// Reply is one message to send.
type Reply struct {
	Text    string
	Buttons [][]Button
	// Referral, when set, asks the caller to show here the services that
	// match the query (the engine does no I/O), from index From of the
	// matches (a page after the first), then to say which it showed with an
	// InShown input.
	Referral *catalogue.Query
	From     int
	// Node is the tree node this reply asks, when it is a question.
	Node string
	// Stale is true on the reply to a button pressed on an old message.
	Stale bool
	// YesNo, on a yes/no question, says what it asks about; its buttons
	// are Buttons[0][0] (yes) and Buttons[0][1] (no).
	YesNo *YesNo
	// Contact, when set, is the label of a keyboard button that shares the
	// person's own phone number (Telegram's contact button), shown with a
	// reply that has no inline buttons.
	Contact string
	// RemoveKeyboard takes such a keyboard away.
	RemoveKeyboard bool
}

// YesNo is what a yes/no question asks: whether the person belongs to a
// public a service is reserved to.
type YesNo struct {
	Facet vocab.Facet
	Code  string
}

// Button is one inline button.
type Button struct {
	Label string
	Data  string // callback data, at most 64 bytes
}

// EffectKind is something the caller must do besides sending replies.
type EffectKind int

const (
	// EffectAdviser: hand the conversation to an adviser.
	EffectAdviser EffectKind = iota + 1
	// EffectForget: erase everything kept about the user, everywhere.
	EffectForget
	// EffectRequest: send the request of Effect.Request (the person said
	// yes to its preview), then tell them it was sent.
	EffectRequest
	// EffectRequests: list the person's requests and where each stands.
	EffectRequests
	// EffectStop: no more follow-ups (or alerts); the data is kept.
	EffectStop
)

// String names the effect ("adviser", "forget"), for logs and test scripts.
func (k EffectKind) String() string {
	switch k {
	case EffectAdviser:
		return "adviser"
	case EffectForget:
		return "forget"
	case EffectRequest:
		return "request"
	case EffectRequests:
		return "requests"
	case EffectStop:
		return "stop"
	}
	return "effect(" + strconv.Itoa(int(k)) + ")"
}

// Effect is one thing for the caller to carry out.
type Effect struct {
	Kind EffectKind
	// Request is the request to send, on EffectRequest: exactly what its
	// preview showed, and whether the person may be followed up.
	Request *Draft
}

// Understander turns free text into a language and codes (dialog/nlu).
type Understander interface {
	Understand(text string) nlu.Result
}

// Translator gives the fixed UI strings (locales).
type Translator interface {
	T(l lang.Lang, id string, data map[string]any) string
}
