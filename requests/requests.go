// Package requests holds the life of a request a person sends to an
// organisation from a referral ("Send my request"): what was shared with
// their explicit yes, the organisation's answers (accepted, declined and
// why, contacted, done), the follow-ups the person agreed to, and the
// times of each step, so that response times and outcomes per service can
// be measured. It is the domain; requests/postgres keeps it, the bot and
// the console act on it. Timing says when the timed steps fall (a
// reminder to the organisation, the lapse, the person's follow-ups) and
// Clock carries them out.
//
// A request's life:
//
//	sent ─▶ accepted ─▶ contacted ─▶ helped | not_helped        (organisation)
//	  │        └──────────────────────▶ helped | not_helped
//	  ├─▶ declined (reason)   ─▶ the person is offered the next option
//	  ├─▶ lapsed (no answer in time) ─▶ the next option; the organisation may still answer
//	  └─▶ withdrawn (/forget: the person's part erased, the organisation told)
//
// The person's own follow-up answer (reached and helped, no help, could
// not reach, not yet) is kept beside the organisation's status, not in it.
package requests

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// Status is where a request stands with the organisation.
type Status string

const (
	Sent      Status = "sent"       // waiting for the organisation's answer
	Accepted  Status = "accepted"   // the organisation will take it up
	Declined  Status = "declined"   // the organisation cannot (Reason says why)
	Contacted Status = "contacted"  // the organisation reached the person
	Helped    Status = "helped"     // done: the organisation helped
	NotHelped Status = "not_helped" // done: it could not help in the end
	Lapsed    Status = "lapsed"     // no answer in time; the person was offered another way
	Withdrawn Status = "withdrawn"  // the person asked to be forgotten
)

// Open says whether the organisation still has something to do.
func (s Status) Open() bool { return s == Sent || s == Accepted || s == Contacted || s == Lapsed }

// Overdue says whether the organisation has left r unanswered past its
// reminder or its deadline. The console's inbox shows these first: it is
// the reminder of an organisation without a Telegram group.
func (r *Request) Overdue() bool {
	return r.Status == Lapsed || (r.Status == Sent && r.Reminders > 0)
}

// Reason is why an organisation declined.
type Reason string

const (
	NotEligible Reason = "not_eligible"
	Full        Reason = "full"
	NotOurArea  Reason = "not_our_area"
	OtherReason Reason = "other"
)

// Reasons are the decline reasons, in the order the buttons show them.
var Reasons = []Reason{NotEligible, Full, NotOurArea, OtherReason}

// Action is what an organisation does to a request.
type Action string

const (
	Accept      Action = "accept"
	Decline     Action = "decline" // with a Reason
	MarkContact Action = "contacted"
	DoneHelped  Action = "helped"
	DoneNot     Action = "not_helped"
)

// Outcome is the person's answer to a follow-up.
type Outcome string

const (
	Reached    Outcome = "helped"      // reached them and it helped
	NoHelp     Outcome = "no_help"     // reached them, it did not help
	NotReached Outcome = "unreachable" // could not reach them
	NotYet     Outcome = "not_yet"     // asked again once, later
)

// Shared is exactly what leaves for the organisation, as shown to the person
// before their yes: nothing else of theirs is ever sent.
type Shared struct {
	FirstName string      // Telegram first name, as the person has it
	Lang      lang.Lang   // the language of the conversation
	Facts     vocab.Codes // their situation: the codes of the conversation they agreed to share
	Question  string      // their question in their own words; "" when none
	Phone     string      // shared with Telegram's contact button; "" when none
}

// Request is one request sent to one organisation for one service.
type Request struct {
	ID      string // short and random, fits in callback data ("r" + 10 base-36 characters)
	Service string // the catalogue's service_id
	Org     string // the catalogue's org_id
	// Chat is the person's Telegram chat, kept only to tell them what
	// became of the request and to follow up; 0 once erased.
	Chat     int64
	Shared   Shared
	FollowUp bool // the person agreed to be asked later whether it helped

	Status Status
	Reason Reason // when Declined
	Note   string // the organisation's words on a decline "other"; optional

	SentAt      time.Time
	AnsweredAt  time.Time // accepted or declined; zero while unanswered
	ContactedAt time.Time
	DoneAt      time.Time
	LapsedAt    time.Time

	Outcome   Outcome   // the person's last follow-up answer; "" when none
	FollowUps int       // follow-ups sent (at most 2)
	Reminders int       // reminders sent to the organisation
	NextAt    time.Time // when the next timed step is due (reminder, lapse, follow-up); zero: none
	NextKind  Due       // which
	Stopped   bool      // the person said /stop: no more follow-ups
}

// Due is a timed step of a request.
type Due string

const (
	DueReminder Due = "reminder" // remind the organisation of an unanswered request
	DueLapse    Due = "lapse"    // no answer in time: offer the person another way
	DueFollowUp Due = "followup" // ask the person whether it helped
)

// ErrNotFound is returned for an unknown request, organisation group or
// link code.
var ErrNotFound = errors.New("not found")

// TransitionError is an action that does not apply to a request's status
// (accepting a request already declined, marking done one withdrawn…).
type TransitionError struct {
	From   Status
	Action Action
}

// Already says whether the request is already where the action leads (a
// double press, or two members pressing at once): nothing to report.
func (e *TransitionError) Already() bool {
	to, err := Next(Sent, e.Action) // every action applies to a request just sent
	return err == nil && to == e.From
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("cannot %s a request that is %s", e.Action, e.From)
}

// Next is the status an organisation's action leads to from s, or a
// *TransitionError. An answer after the deadline is still taken (Lapsed
// is open): late help is help.
func Next(s Status, a Action) (Status, error) {
	ok := false
	var to Status
	switch a {
	case Accept:
		to, ok = Accepted, s == Sent || s == Lapsed
	case Decline:
		to, ok = Declined, s == Sent || s == Lapsed || s == Accepted
	case MarkContact:
		to, ok = Contacted, s == Sent || s == Lapsed || s == Accepted
	case DoneHelped:
		to, ok = Helped, s == Accepted || s == Contacted || s == Sent || s == Lapsed
	case DoneNot:
		to, ok = NotHelped, s == Accepted || s == Contacted || s == Sent || s == Lapsed
	}
	if !ok {
		return s, &TransitionError{From: s, Action: a}
	}
	return to, nil
}

// Group is an organisation's Telegram group, linked with a one-time code.
type Group struct {
	Org  string
	Chat int64
	Lang lang.Lang // the language of its cards: fr or ar
}

// Counts are an organisation's requests by status, for its digest and
// the console.
type Counts map[Status]int

// Store keeps requests, their events and the organisations' groups.
// Every method that changes a request records an event with its time.
type Store interface {
	// Create records a request just sent (Status Sent, SentAt set by the
	// caller) with its first timed step.
	Create(ctx context.Context, r *Request) error
	Get(ctx context.Context, id string) (*Request, error)
	// Act applies an organisation's action atomically (Next), with who did
	// it (a pseudonymous key of the member or the console account) and the
	// reason or note, and sets the next timed step; it returns the request
	// after the change, or a *TransitionError.
	Act(ctx context.Context, id string, a Action, reason Reason, note, by string, at time.Time) (*Request, error)
	// Answer records the person's follow-up answer.
	Answer(ctx context.Context, id string, o Outcome, at time.Time) (*Request, error)
	// ForChat lists a person's requests, newest first (/requests).
	ForChat(ctx context.Context, chat int64) ([]Request, error)
	// Stop turns the person's follow-ups off (/stop); it returns how many
	// requests had some still to come.
	Stop(ctx context.Context, chat int64) (int, error)
	// Forget erases the person's part of every request of theirs (chat,
	// shared fields), marks the open ones Withdrawn and returns every
	// request erased (closed ones keep their status), for the
	// organisations' cards to lose the data.
	Forget(ctx context.Context, chat int64, at time.Time) ([]Request, error)
	// Due returns up to limit requests whose next timed step is due at
	// now, oldest first, each to one caller (until Done, or until a lease
	// runs out when the caller crashed).
	Due(ctx context.Context, now time.Time, limit int) ([]Request, error)
	// Done records that step was carried out at at and sets the following
	// one (zero: none).
	Done(ctx context.Context, id string, step Due, at time.Time, next Due, nextAt time.Time) error
	// Release gives back a step handed out by Due that its caller did not
	// carry out because it is stopping: due again at once for any caller,
	// the claim not counted as a failed attempt. Nothing when step is no
	// longer the request's next.
	Release(ctx context.Context, id string, step Due) error
	// Postpone moves step, still the request's next, to until without
	// carrying it out (a follow-up that fell due at night); the lease ends.
	Postpone(ctx context.Context, id string, step Due, until time.Time) error
	// Purge erases the person's part of requests whose life has ended
	// (no step to come) and that have not changed since before.
	Purge(ctx context.Context, before time.Time) (int, error)

	// ForOrg lists an organisation's requests, newest first (its inbox).
	ForOrg(ctx context.Context, org string, limit int) ([]Request, error)
	// Counts are an organisation's requests by status since a time.
	Counts(ctx context.Context, org string, since time.Time) (Counts, error)

	// NewLinkCode gives a one-time code that links a Telegram group to
	// org, valid until expires.
	NewLinkCode(ctx context.Context, org string, l lang.Lang, expires time.Time) (string, error)
	// Link uses a code in group chat: the group becomes the organisation's
	// (replacing an earlier one); ErrNotFound for an unknown, used or
	// expired code.
	Link(ctx context.Context, code string, chat int64, at time.Time) (Group, error)
	// GroupOf is an organisation's linked group; ErrNotFound when none.
	GroupOf(ctx context.Context, org string) (Group, error)
	// OrgOf is the organisation a group is linked to; ErrNotFound when none.
	OrgOf(ctx context.Context, chat int64) (Group, error)
	// MoveGroup moves a group's link from chat from to chat to (a group
	// that became a supergroup has a new id); nothing when from is not
	// linked or to is.
	MoveGroup(ctx context.Context, from, to int64) error
	// SetGroupLang changes the language of an organisation's cards.
	SetGroupLang(ctx context.Context, org string, l lang.Lang) error
	// Reachable says which of orgs can receive requests: those with a
	// linked group or a partner account in the console. "Send my request"
	// is offered only for their services.
	Reachable(ctx context.Context, orgs []string) (map[string]bool, error)
}

// Organisations is how requests reach the organisations (their Telegram
// group, bot/partners; an organisation without one reads its inbox in the
// console). Each call goes through the outbox, once per request and step:
// called again after a crash, it sends nothing twice.
type Organisations interface {
	// Deliver posts the request's card to the organisation's group, if it
	// has one.
	Deliver(ctx context.Context, r *Request) error
	// Withdraw tells the organisation that the person had a request's
	// data erased (/forget): withdrawn when it was open; the card loses
	// the person's data, whatever the request's status.
	Withdraw(ctx context.Context, r *Request) error
	// Remind reminds the organisation of a request still unanswered (the
	// n-th reminder). One without a group is reminded by its console
	// inbox, where the request shows as overdue (Request.Overdue).
	Remind(ctx context.Context, r *Request, n int) error
	// Lapsed tells the organisation a request went unanswered in time and
	// the person was offered another way (the clock calls it after
	// People.Lapsed); its answer is still taken.
	Lapsed(ctx context.Context, r *Request) error
}

// People is how the person hears back, in their language, through the
// outbox, once per request and step.
type People interface {
	// Changed tells the person what the organisation did (accepted,
	// declined and why with the next way offered, contacted, done).
	Changed(ctx context.Context, r *Request) error
	// Lapsed tells the person the organisation has not answered in time
	// and offers the next way (another service, an adviser).
	Lapsed(ctx context.Context, r *Request) error
	// FollowUp asks the person whether they reached the organisation and
	// whether it helped (the n-th follow-up, at most 2).
	FollowUp(ctx context.Context, r *Request, n int) error
}
