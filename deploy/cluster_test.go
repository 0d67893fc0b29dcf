package deploy

import (
	"testing"

	"github.com/dalil-tt/dalil/dialog/redisstore"
)

// crc16 is Redis Cluster's key hash (CRC16-CCITT, XMODEM).
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// slot is CLUSTER KEYSLOT: the hash of the first non-empty {…} if any.
func slot(key string) uint16 {
	for i := 0; i < len(key); i++ {
		if key[i] == '{' {
			for j := i + 1; j < len(key); j++ {
				if key[j] == '}' {
					if j > i+1 {
						key = key[i+1 : j]
					}
					return crc16([]byte(key)) % 16384
				}
			}
			break
		}
	}
	return crc16([]byte(key)) % 16384
}

func TestSlot(t *testing.T) {
	// Values from the Redis Cluster specification and CLUSTER KEYSLOT.
	if got := crc16([]byte("123456789")); got != 0x31C3 {
		t.Fatalf("crc16 = %#x, want 0x31c3", got)
	}
	for key, want := range map[string]uint16{"foo": 12182, "bar": 5061, "{user1000}.following": slot("user1000"), "foo{}{bar}": slot("foo{}{bar}")} {
		if got := slot(key); got != want {
			t.Errorf("slot(%q) = %d, want %d", key, got, want)
		}
	}
}

// Under Redis Cluster a Lua script may only touch keys of one slot: every
// key of one chat (conversation lock, record, outbox, send lock, notice
// flags) must share it, and different chats must spread over the cluster.
func TestRedisKeysWorkUnderCluster(t *testing.T) {
	s := redisstore.New(nil, redisstore.Options{})
	parts := []string{"lock", "state", "out", "send", "once:group"}
	slots := map[uint16]bool{}
	for _, chat := range []int64{1, 42, 987654321, -1001234567890, 5_000_000_000} {
		want := slot(s.Key(chat, parts[0]))
		for _, p := range parts[1:] {
			if got := slot(s.Key(chat, p)); got != want {
				t.Errorf("chat %d: key %s is in slot %d, %s in slot %d", chat, s.Key(chat, p), got, s.Key(chat, parts[0]), want)
			}
		}
		slots[want] = true
	}
	if len(slots) < 4 {
		t.Errorf("five chats fall in %d slot(s): the hash tag does not spread chats over the cluster", len(slots))
	}
	t.Logf("chat keys look like %s; the update queue is one key, %s", s.Key(42, "state"), s.GlobalKey("updates"))
}
