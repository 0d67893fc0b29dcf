package handoff

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/internal/lang"
)

// What the desk posted in the group about a user is kept, with its date,
// in the sorted set {chat:U}:posted (scores: Unix seconds), as long as the
// desk's other keys: members are "c<id>" for a card, "m<id>" for anything
// else (relayed messages, notes), "l<id>" for a list naming them among
// others. /forget needs the ids (Telegram lets a
// bot delete a message for 48 hours only, and edit its own texts later)
// and nothing else.
const (
	postedCard = "c"
	postedMsg  = "m"
	postedList = "l" // a /pending or back-in-office list naming the user (among others)
)

// deleteWindow is how old a message may be for deleteMessage to be
// tried: Telegram's 48 hours, less a margin for clocks that disagree.
const deleteWindow = 47 * time.Hour

// Texts the bot leaves in the group in place of what it removes (French,
// as the rest of the group's texts).
const (
	erasedTopic = "🗑 Demande effacée"
	erasedCard  = "🗑 Demande effacée à la demande de la personne (/forget) : plus rien n'est gardé sur elle."
	erasedMsg   = "🗑 Message effacé à la demande de la personne (/forget)."
	erasedList  = "🗑 Liste retirée : une des personnes qu'elle nommait a demandé l'effacement de ses données. /pending donne la liste à jour."
)

// posted notes message id as posted in the group about chat at time at.
func (d *Desk) posted(ctx context.Context, chat, id int64, at time.Time) error {
	return d.postedAs(ctx, chat, postedMsg, id, at)
}

func (d *Desk) postedAs(ctx context.Context, chat int64, kind string, id int64, at time.Time) error {
	if id == 0 {
		return nil
	}
	k := d.ukey(chat, "posted")
	pipe := d.o.Redis.TxPipeline()
	pipe.ZAdd(ctx, k, redis.Z{Score: float64(at.Unix()), Member: kind + strconv.FormatInt(id, 10)})
	pipe.Expire(ctx, k, d.ttl())
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("noting a message posted about a user: %w", err)
	}
	return nil
}

// Forget erases what the desk keeps about chat (ForgetNotice without the
// notice).
func (d *Desk) Forget(ctx context.Context, chat int64) error {
	_, err := d.ForgetNotice(ctx, chat, lang.FR)
	return err
}

// ForgetNotice erases what the desk keeps about chat and removes the user
// from the advisers' group: the forum topic deleted (or, when the group
// does not allow it, renamed to a neutral name and closed), the messages
// posted or relayed about them deleted where Telegram allows it and
// otherwise overwritten when they are texts, every card of theirs
// rewritten to say the request was erased; then the open handoff, the
// relay maps, the records and kept texts and numbers. It returns what to
// tell the user in l beyond the bot's "all erased": that the group was
// cleaned too, or how much of it could not be.
func (d *Desk) ForgetNotice(ctx context.Context, chat int64, l lang.Lang) (string, error) {
	if l == "" {
		l = lang.FR
	}
	s, err := d.load(ctx, chat)
	if err != nil {
		return "", err
	}
	if s.open() {
		d.m.closed.WithLabelValues("forgotten").Inc()
	}
	posted, err := d.o.Redis.ZRangeWithScores(ctx, d.ukey(chat, "posted"), 0, -1).Result()
	if err != nil {
		return "", fmt.Errorf("erasing handoff state: %w", err)
	}
	// Handoffs opened before dates were kept: ids only (age unknown).
	legacy, err := d.o.Redis.SMembers(ctx, d.ukey(chat, "msgs")).Result()
	if err != nil && !isWrongType(err) {
		return "", fmt.Errorf("erasing handoff state: %w", err)
	}
	for _, m := range legacy {
		posted = append(posted, redis.Z{Member: postedMsg + m})
	}
	if s["card"] != "" && !slices.ContainsFunc(posted, func(z redis.Z) bool { return z.Member == postedCard+s["card"] }) {
		posted = append(posted, redis.Z{Member: postedCard + s["card"], Score: float64(s.int("opened"))})
	}
	cards, err := d.o.Redis.SMembers(ctx, d.ukey(chat, "cards")).Result()
	if err != nil {
		return "", fmt.Errorf("erasing handoff state: %w", err)
	}
	thread, err := d.o.Redis.Get(ctx, d.ukey(chat, "topic")).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("erasing handoff state: %w", err)
	}

	left, cleaned := d.clean(ctx, thread, posted)

	// One key per command: the user's keys and the group's live on
	// different Cluster slots.
	keys := []string{d.ukey(chat, "h"), d.ukey(chat, "posted"), d.ukey(chat, "msgs"), d.ukey(chat, "cards"),
		d.ukey(chat, "topic"), d.ukey(chat, "opening")}
	keys = append(keys, d.relayKeys(chat)...)
	for _, z := range posted { // "c<id>" or "m<id>": the relay map of message id
		keys = append(keys, d.gkey("msg:"+z.Member.(string)[1:]))
	}
	if thread != "" {
		keys = append(keys, d.gkey("thread:"+thread))
	}
	if s["cardid"] != "" && !slices.Contains(cards, s["cardid"]) {
		cards = append(cards, s["cardid"])
	}
	for _, c := range cards {
		keys = append(keys, d.gkey("card:"+c))
	}
	for _, k := range keys {
		if err := d.o.Redis.Del(ctx, k).Err(); err != nil {
			return "", fmt.Errorf("erasing handoff state: %w", err)
		}
	}
	for _, set := range []string{"open", "rdue"} {
		if err := d.o.Redis.ZRem(ctx, d.gkey(set), chat).Err(); err != nil {
			return "", fmt.Errorf("erasing handoff state: %w", err)
		}
	}
	if err := d.o.Records.forget(ctx, d.o.Pseudonyms.All(chat)); err != nil {
		return "", err
	}
	switch {
	case left > 0:
		return d.o.T.T(l, "handoff.user.forget.left", map[string]any{"Count": left}), nil
	case cleaned:
		return d.o.T.T(l, "handoff.user.forget.group", nil), nil
	}
	return "", nil
}

// clean removes from the group what was posted about a user: the topic,
// the messages, the cards. It returns how many messages are left that
// advisers can still read, and whether there was anything to clean.
func (d *Desk) clean(ctx context.Context, thread string, posted []redis.Z) (left int, cleaned bool) {
	now := d.o.Now()
	if thread != "" {
		cleaned = true
		topic, _ := strconv.ParseInt(thread, 10, 64)
		if _, err := d.do(ctx, telegram.TopicAction{Action: "deleteForumTopic", ChatID: d.o.AdvisersChatID, ThreadID: topic}); err == nil {
			// Every message of the topic went with it, whatever its age;
			// lists posted elsewhere (the General topic) remain to clean.
			posted = slices.DeleteFunc(slices.Clone(posted), func(z redis.Z) bool {
				return !strings.HasPrefix(z.Member.(string), postedList)
			})
		} else {
			d.log.Warn("deleting a forgotten user's forum topic; renaming it", "err", err)
			if _, err := d.do(ctx, telegram.EditForumTopic{ChatID: d.o.AdvisersChatID, ThreadID: topic, Name: erasedTopic}); err != nil {
				d.m.fail(failNotify)
				d.log.Warn("renaming a forgotten user's forum topic", "err", err)
			}
			if _, err := d.do(ctx, telegram.TopicAction{Action: "closeForumTopic", ChatID: d.o.AdvisersChatID, ThreadID: topic}); err != nil {
				d.log.Debug("closing a forgotten user's forum topic", "err", err)
			}
		}
	}
	for _, z := range posted {
		cleaned = true
		member := z.Member.(string)
		if id, ok := strings.CutPrefix(member, postedCard); ok {
			// A card is the bot's own text: it can be rewritten at any age.
			if !d.overwrite(ctx, id, erasedCard) {
				left++
			}
			continue
		}
		id, replace := member[1:], erasedMsg
		if strings.HasPrefix(member, postedList) {
			replace = erasedList
		}
		sent := time.Unix(int64(z.Score), 0)
		if z.Score == 0 || now.Sub(sent) < deleteWindow {
			msg, _ := strconv.ParseInt(id, 10, 64)
			_, err := d.do(ctx, telegram.DeleteMessage{ChatID: d.o.AdvisersChatID, MessageID: msg})
			if err == nil || gone(err) {
				continue
			}
			d.log.Info("deleting a forgotten user's message in the group; overwriting it", "err", err)
		}
		// Too old to delete: a text the bot sent can still be overwritten;
		// a copied photo, voice or file cannot.
		if !d.overwrite(ctx, id, replace) {
			left++
		}
	}
	return left, cleaned
}

// overwrite replaces the text of the group's message id (and its buttons);
// it reports whether nothing of the old content is left to read.
func (d *Desk) overwrite(ctx context.Context, id, text string) bool {
	msg, _ := strconv.ParseInt(id, 10, 64)
	_, err := d.do(ctx, telegram.EditMessageText{ChatID: d.o.AdvisersChatID, MessageID: msg, Text: text})
	if err == nil || gone(err) || strings.Contains(strings.ToLower(err.Error()), "not modified") {
		return true
	}
	d.log.Warn("overwriting a forgotten user's message in the group", "err", err)
	return false
}

// gone reports a Bot API error saying the message no longer exists (an
// adviser deleted it).
func gone(err error) bool {
	e := strings.ToLower(err.Error())
	return telegram.Code(err) == 400 && strings.Contains(e, "not found")
}

func isWrongType(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "WRONGTYPE") }

// relayKeys are the user's keys of the relay limit (see limit.go).
func (d *Desk) relayKeys(chat int64) []string {
	return []string{d.ukey(chat, "rl"), d.ukey(chat, "rb")}
}
