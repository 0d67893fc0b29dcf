// Package handoff hands a conversation to a person in the advisers'
// Telegram group and back (issue 5).
//
// The bot calls Desk.OpenNotice on the engine's EffectAdviser, gives every
// update to Desk.Intercept first, and Desk.ForgetNotice on /forget (which
// also removes the user from the advisers' group); Desk.Run
// does what time brings (the waiting-time message, the requests of the
// closed hours shown when advisers come back, the retention purge).
// Records lists handoffs (Summary) for the staff console, through cmd/dalil.
//
// Every message the desk sends goes through a chat's outbox
// (Options.Outbox, bot.Bot.Put): a user's messages to the advisers' group,
// an adviser's answers (after the "an adviser answers you" notice, in the
// same Put) and the desk's notices to the user, its notes and lists in
// the group. Each is saved before it is sent, sent once per key (a relay's
// key is its update's) across replicas, restarts and crashes, in order per
// chat, under the bot's limits and its sender's one error policy. What the
// desk must record of a sent message (a relay's id, mapped to the user for
// replies and noted for /forget; a refusal to tell the adviser) is done in
// its after-send hooks (AfterSend, given to the bot), once the message is
// out. Only the calls whose answer is needed at once stay direct and typed
// (see Desk.do). Without an outbox (the desk run alone, in its tests)
// messages are sent at once, through the same hooks.
//
// State lives in Redis and PostgreSQL only, so handoffs survive restarts
// and work with several replicas. Redis keys (prefix "dalil:ho"), each with
// a hash tag so they work under Redis Cluster:
//
//	{chat:U}:h            hash: the open handoff of user U (id, card, topic,
//	                      holder, language, flags)
//	{chat:U}:topic        U's forum topic, reused when U comes back
//	{chat:U}:posted       sorted set: group messages posted or relayed about U,
//	                      with their dates ("c<id>" cards, "m<id>" the rest),
//	                      for /forget (deleted within 48 h, else overwritten)
//	{chat:U}:cards        ids of U's cards, open or closed (for /forget)
//	{chat:U}:opening      hash: the opening in progress (the bot's effect
//	                      key, record, card id, topic, then the posted card's
//	                      message id), so an effect run again after a crash
//	                      posts no second card
//	up:N                  update N relayed (drops a redelivery); one key,
//	                      naming no chat, so /forget leaves nothing behind
//	{chat:G}:msg:M        group message M stands for user …  (replies)
//	{chat:G}:thread:T     forum topic T is user …
//	{chat:G}:card:C       card id C (in the buttons' data) is user …
//	{chat:G}:open         sorted set of users with an open handoff
//	{chat:G}:member:A     getChatMember answer for A, cached a minute
//
// Every key expires within STATE_TTL (HANDOFF_RETENTION when shorter).
// G is the advisers' group. Buttons carry a random card id, never a chat
// id, so crafted callback data cannot reach another user; only members of
// the group are relayed.
package handoff
