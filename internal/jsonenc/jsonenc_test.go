package jsonenc

import (
	"bytes"
	"encoding/json"
	"testing"
	"testing/quick"
)

var odd = []string{"", "a", "création", "تمويل التعاونية", `quote " and \ back`, "<b>&amp;</b>",
	"line\nbreak\ttab\r\b\f\x00\x1f\x7f", "\u2028\u2029", "bad \xff\xfe utf8", "emoji 🙂", "\u200f\u2067rtl\u2069"}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	check := func(s string) bool {
		want, _ := json.Marshal(s)
		return bytes.Equal(AppendString(nil, s), want)
	}
	for _, s := range odd {
		if !check(s) {
			t.Errorf("%q: got %s", s, AppendString(nil, s))
		}
	}
	if err := quick.Check(check, &quick.Config{MaxCount: 20000}); err != nil {
		t.Error(err)
	}
	// Every single byte and every short byte pair, valid UTF-8 or not.
	for i := range 256 {
		for j := range 256 {
			if s := string([]byte{byte(i), byte(j)}); !check(s) {
				t.Fatalf("%q: got %s", s, AppendString(nil, s))
			}
		}
	}
}

func TestAppendStrings(t *testing.T) {
	for _, v := range [][]string{nil, {}, {"a"}, odd} {
		want, _ := json.Marshal(v)
		if len(v) == 0 {
			want = []byte("[]")
		}
		if got := AppendStrings(nil, v); !bytes.Equal(got, want) {
			t.Errorf("got %s want %s", got, want)
		}
	}
}
