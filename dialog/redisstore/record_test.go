package redisstore

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/dalil-tt/dalil/dialog"
)

// TestRecordEncodingMatchesEncodingJSON: the record is written by hand; it
// must be what encoding/json wrote before, so that stored records and the
// decoded-record cache agree.
func TestRecordEncodingMatchesEncodingJSON(t *testing.T) {
	for _, c := range []Conversation{
		{V: RecordVersion},
		{V: RecordVersion, State: dialog.State{V: dialog.StateVersion, Lang: "ary", Node: "need", Notes: []string{"<b>&"}},
			Seen: []int64{1, -2, 1 << 62}, Extra: json.RawMessage(` {"shown": 3, "ids": ["a<b", "c"]} `)},
		{V: 7, Seen: []int64{}, Extra: json.RawMessage(`{}`)},
	} {
		want, err := json.Marshal(&c)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.appendJSON(nil); !bytes.Equal(got, want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	}
}
