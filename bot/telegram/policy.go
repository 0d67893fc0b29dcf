package telegram

import (
	"errors"
	"strings"
	"time"
)

// Class is what the one error policy makes of a Bot API call's outcome.
// The bot's replies, the adviser desk and scheduled messages all go through
// Sender, so they all act the same on the same answer.
type Class int

const (
	// Sent: the call succeeded.
	Sent Class = iota
	// Done: Telegram refused an edit because there is nothing left to do
	// (the message already reads so, or the user deleted it).
	Done
	// Blocked: 403, the user blocked the bot or the bot left the group;
	// retrying never helps, and what is still owed to the chat is dropped.
	Blocked
	// Rejected: another 4xx (bad request, chat not found…); retrying the
	// same call cannot succeed.
	Rejected
	// RetryLater: 429 (with retry_after), 5xx or no answer at all (network,
	// timeout): the same call may succeed later.
	RetryLater
	// Migrated: 400 with migrate_to_chat_id, a group that became a
	// supergroup; the call succeeds when sent to the new id.
	Migrated
)

var classNames = [...]string{"sent", "done", "blocked", "rejected", "retry_later", "migrated"}

func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return "unknown"
}

// Verdict is a classified outcome with what the class needs to act on it.
type Verdict struct {
	Class      Class
	RetryAfter time.Duration // RetryLater on 429: how long Telegram asks to wait
	MigrateTo  int64         // Migrated: the supergroup's id
}

// Classify applies the error policy to the outcome of method.
func Classify(method string, err error) Verdict {
	if err == nil {
		return Verdict{Class: Sent}
	}
	var te *Error
	if !errors.As(err, &te) {
		return Verdict{Class: RetryLater} // no Bot API answer: network, timeout
	}
	switch {
	case te.Code == 429:
		return Verdict{Class: RetryLater, RetryAfter: te.RetryAfter}
	case te.Code >= 500:
		return Verdict{Class: RetryLater}
	case te.Code == 403:
		return Verdict{Class: Blocked}
	case te.Code == 400 && te.MigrateTo != 0:
		return Verdict{Class: Migrated, MigrateTo: te.MigrateTo}
	case te.Code == 400 && strings.HasPrefix(method, "edit") &&
		(strings.Contains(te.Message, "message is not modified") || strings.Contains(te.Message, "message to edit not found")):
		// Two quick taps on one keyboard both remove it and Telegram
		// refuses the second; or the user deleted the message.
		return Verdict{Class: Done}
	case te.Code == 0:
		return Verdict{Class: RetryLater}
	}
	return Verdict{Class: Rejected}
}

// Limit says whether a call waits for the send limits, and whether it
// counts as a message in its chat's own limit (a new message, a new topic)
// or only overall (an edit, a deletion). Reads, callback answers and chat
// actions are not limited. The one place that knows it.
func Limit(method string) (limited, countsInChat bool) {
	switch method {
	case "sendMessage", "copyMessage", "sendVenue", "sendLocation", "sendPhoto", "sendDocument", "createForumTopic":
		return true, true
	case "editMessageText", "editMessageReplyMarkup", "editForumTopic", "reopenForumTopic",
		"closeForumTopic", "deleteForumTopic", "deleteMessage":
		return true, false
	}
	return false, false
}
