// Package partners is the organisations' side of a request in Telegram
// (issue 17): it links an organisation's group with a one-time code
// (/link CODE), posts each request sent to the organisation there as a
// card with buttons (accept, decline and why, contacted, done), records
// each press (requests.Store.Act) and tells the person
// (requests.People.Changed), edits the card when the person withdraws
// (/forget), when the organisation answers in the console or the request
// lapses (Refresh, Lapsed: the press's edit, once per status), reminds the group of requests left unanswered, and sends each
// organisation a weekly digest. It implements requests.Organisations. An
// organisation without a group is reminded by the console's inbox, which
// shows requests unanswered past their reminder first, marked overdue.
//
// Everything it says goes through the bot's one outbox (Outbox: once per
// key, in order, under the group's limit of 20 messages a minute, across
// replicas and restarts); a card's message id is kept by an after-send
// hook (AfterSend) once the card is out. Only the answer to a button
// press, which is no message, goes at once. Members who press are recorded under a
// pseudonymous key, never their Telegram id.
//
// Redis keys (Options.Prefix, default dalil:partners): :up:ID (an update
// already handled, a day), :guess:CHAT (link codes tried by a group, an
// hour), :card:CHAT:ID (a card's message id, kept by its after-send hook,
// 90 days), :withdrawn:ID (a withdrawal, for a card still owed, 90 days),
// :digest:WEEK:ORG (the week's digest posted, 8 days). Outbox once keys
// start with "partners:".
package partners
