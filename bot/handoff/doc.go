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
