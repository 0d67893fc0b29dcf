// Package bot is Dalil's Telegram transport: it takes updates in (long
// polling or webhook), runs each through the dialog engine under the chat's
// lock, saves the new state and the replies owed in one atomic Redis write,
// then sends those replies under Telegram's rate limits, with retries,
// marking each one sent. A crash at any point loses no reply and doubles
// none (short of the instant between Telegram's answer and the mark); a
// restarted process sends what is still owed.
//
// # How one update flows
//
//	getUpdates / webhook ─▶ Redis stream of the chat's partition (acknowledged to Telegram once queued)
//	  ─▶ the one replica holding that partition's lease ─▶ the chat's actor (one update of a chat at a time, in order)
//	  ─▶ redisstore.Lock (conversation lock, across replicas) ─▶ duplicate update_id? drop
//	  ─▶ dialog engine Step ─▶ effects: catalogue Match (referral pages, venues), forget; the adviser
//	     handoff becomes an outbox item (dalil.handoff) instead of being carried out here
//	  ─▶ outbox.Chats.Commit (redisstore.Commit with the replies as its tail): record + outbox + unlock,
//	     atomically ─▶ XACK
//	  ─▶ sender (send lock): limits · telegram.Sender's one error policy · mark each item sent;
//	     a handoff item is carried out here, outside the conversation lock (send lock renewed);
//	     run again after a crash, under the same key (its item id), it posts no second card;
//	     a request the person said yes to (dalil.request) likewise
//
// # Requests to organisations (requests.go)
//
// With Options.Requests, Organisations and Finder set, each card of a
// service whose organisation can receive requests (Store.Reachable, once
// per page) has "send my request". The engine shows the preview and takes
// the yes (dialog/request.go); the yes becomes an outbox item
// (dalil.request) carried out by the chat's sender: the request is created
// under an id derived from the item (run again after a crash, it finds it),
// delivered to the organisation, and the person told. Bot is the
// requests.People: the news of a request (Changed, Lapsed, FollowUp) go
// through Notify, once per request and step ("req:<id>:<step>"); the
// buttons they carry (the next service, a follow-up's answers) are answered
// by the bot itself, the conversation left where it is.
//
// # Scheduled messages
//
// Bot.Post(ctx, chat, posting) puts any call (a message, an edit) in a
// chat's outbox once per key, like the desk's notices (Bot.Notify); a
// posting may keep the sent message's id under a name (an organisation's
// request card, bot/partners) and a later one refer to it by that name,
// looked up when it is sent (the edit of a card still owed finds it).
//
// Bot.Schedule(ctx, chat, at, message, key) keeps a message in Redis
// (bot/outbox) until at, once per idempotency key. Every replica runs the
// dispatcher; one at a time, the holder of a lease, moves due messages,
// oldest first, into their chats' outboxes (outbox.Chats.Enqueue, once
// per entry), where they are sent like replies: in order after what the
// chat is owed, under the same limits and error policy, once.
//
// # The adviser desk's messages
//
// Every message the desk (bot/handoff) sends goes through an outbox too,
// with Bot.Put (its notices with Bot.Notify, the same path): a relay of a
// user's message goes to the advisers' group's outbox (one list for the
// group, sent by one sender at a time under the group's 20 a minute), an
// adviser's answer to the user's, after the "an adviser answers you"
// notice in the same Put so that the two keep that order. Put is once per
// key (a relay's key is its update's): a duplicate update, a retry or
// another replica puts nothing more. An item may name an after-send hook
// (Options.AfterSend, given by the desk): the sender tells it the new
// message's id, or the error it gave up on, after Telegram answered and
// before the item is marked sent; the desk records there the relay's id
// (so that an adviser's reply to it reaches the user, and /forget can
// delete it), never before the message is out. One adviser relay:
//
//	group update ─▶ stream ─▶ the group's actor ─▶ Intercept: membership (cached),
//	  the desk's duplicate flag, the handoff's state and holder (Redis)
//	  ─▶ Put: notice + relay in the user's outbox, once per update (one script) ─▶ XACK
//	  ─▶ the user's sender: limits · telegram.Sender · after-send hook · mark sent
//
// Before, the desk called the Bot API from the group's actor: a slow send
// to one user held every other adviser's update, and a crash between the
// update's acknowledgement and the call lost the relay. Calls whose answer
// the desk needs at once stay direct and typed (handoff.Desk.do): reads,
// edits of the card, answers to button presses, topics, and the summary
// card itself, posted inside the handoff effect (an outbox item already).
//
// Polling confirms Telegram's offset once a batch is in the stream, so it
// never waits for handling; with Redis down it handles the batch at once so
// that each user is told to try again in a moment. The webhook answers 200
// only once the update is in the stream (401 on a wrong secret token, 503
// when Redis is down, so Telegram delivers again).
//
// # Order across replicas
//
// A chat's updates are handled in the order they were queued, by one
// replica at a time. The queue is split into 16 partitions (a fixed number:
// fnv32a of the chat id, modulo 16), one stream each; a partition is read by
// at most one replica, the holder of its lease (10 s, renewed every
// second, given back on a clean stop). Replicas beat a heartbeat every
// second and each holds its fair share, ceil(16 / live replicas): a replica
// that comes takes partitions the others give back (each finishes and
// acknowledges what it took from them first), one that dies without
// stopping has its partitions taken after the lease runs out (10 to 11 s),
// or at once by the process restarted in its place (same host, its
// predecessor's pid gone). A new holder first handles what the last one
// read but did not finish (the partition's pending list, one consumer name
// for all holders), in stream order, then new updates; one already handled
// is dropped as a duplicate. So throughput adds up with replicas up to 16.
// Updates left in the single queue of earlier versions (dalil:updates) are
// moved to the partitions at start.
//
// # Redis keys
//
// Per chat, all with the hash tag {chat:ID} (Redis Cluster safe):
// dalil:{chat:ID}:state (the record, JSON, with the state TTL),
// :out (replies owed, a list), :lock (conversation lock, seconds),
// :send (send lock), :enqueued and :enqueued:old (once keys of what was
// put in the outbox outside a conversation: scheduled messages, the desk's
// relays and notices; this day's and the last, see outbox.Chats.OnceWindow),
// :once:private (a group told to talk in private).
// Global: dalil:{updates:P} (partition P's stream, P = 0..15, each its own
// hash tag), dalil:{updates:P}:lease (its holder), dalil:replicas (live
// replicas by last heartbeat, a sorted set), dalil:{sched}:* (scheduled
// messages: due, body, key:K, seq, lease; see bot/outbox), dalil:sent:NAME
// (the id of a message posted with a keep name, 90 days).
//
// # Metrics (/metrics)
//
// dalil_updates_total{outcome}, dalil_update_handling_seconds (receipt to
// durable save), dalil_update_reply_seconds (receipt to first reply sent),
// dalil_botapi_requests_total{method}, dalil_botapi_errors_total{method,code}
// (code 0: network), dalil_ratelimit_waits_total{limit} and
// dalil_ratelimit_wait_seconds_total{limit} (global, chat, group,
// retry_after), dalil_messages_failed_total{reason}, dalil_effects_total{kind},
// dalil_scheduled_dispatched_total (scheduled messages this replica put in
// their chats' outboxes).
//
// Rate limits are kept per process: with several replicas, TELEGRAM_RATE_LIMIT
// should be divided among them.
package bot
