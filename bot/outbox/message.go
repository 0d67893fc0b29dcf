package outbox

import (
	"context"

	"github.com/dalil-tt/dalil/bot/telegram"
)

// Message is one Bot API call that a part other than the conversation (the
// adviser desk's relays and notices) puts in a chat's outbox, to be sent
// like a reply: saved first, in order after what the chat is owed, under
// the rate limits and the sender's one error policy, once.
type Message struct {
	Request telegram.Request
	// After names the AfterSend hook the sender tells once the message is
	// sent or given up on; "" for none.
	After string
	// Note is the hook's own small data, kept with the message until it is
	// sent (ids, never a text).
	Note map[string]string
	// Ref, when set, names a message kept earlier (bot.Posting.Keep) that
	// this call is about, looked up when the call is sent: an edit gets its
	// message_id, a message replies to it.
	Ref string
}

// Sent is what an AfterSend hook is told of one message.
type Sent struct {
	Chat int64 // the chat the message went to
	// MessageID is the new message's id, 0 when it was not sent.
	MessageID int64
	// Err is the sender's *telegram.SendError when it gave up (blocked,
	// rejected, retries spent); nil when sent.
	Err  error
	Note map[string]string
}

// AfterSend is told by the chat's sender what became of a message, after
// the Bot API answered and before the message is marked sent: what it
// records (a relay's message id, to map a reply back to the user) is
// recorded once the message is out, never before. A crash between the two
// sends the message again and tells the hook again, with the new id. It
// runs in the sender's loop: it must be short (a few Redis writes).
type AfterSend func(ctx context.Context, s Sent)
