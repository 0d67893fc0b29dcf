package handoff

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/catalogue"
)

// The card names services "organisation — service", reads the catalogue
// once per ttl, and lists ids when a service is unknown or the catalogue
// cannot be read.
func TestServiceNames(t *testing.T) {
	ctx := context.Background()
	reads, fail := 0, false
	list := func(context.Context) ([]*catalogue.Service, error) {
		reads++
		if fail {
			return nil, errors.New("catalogue down")
		}
		return []*catalogue.Service{
			{ID: "a", Org: catalogue.Organisation{NameFR: "Jisr"}, NameFR: "Microcrédit"},
			{ID: "b", Org: catalogue.Organisation{NameAR: "جسر"}, NameAR: "قرض"},
			{ID: "c", NameFR: "Sans organisation"},
		}, nil
	}
	names := NamesFrom(list, time.Hour)
	d, err := New(Options{API: nopCaller{}, Redis: redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), T: nopT{},
		AdvisersChatID: -1001, Pseudonyms: testKeys(), Services: names})
	if err != nil {
		t.Fatal(err)
	}
	got := d.serviceNames(ctx, []string{"a", "gone", "b", "c"})
	want := []string{"Jisr — Microcrédit", "gone", "جسر — قرض", "Sans organisation"}
	if !slices.Equal(got, want) {
		t.Fatalf("names %q, want %q", got, want)
	}
	d.serviceNames(ctx, []string{"a"})
	if reads != 1 {
		t.Fatalf("catalogue read %d times within the ttl", reads)
	}

	fail = true
	d.o.Services = NamesFrom(list, time.Hour)
	if got := d.serviceNames(ctx, []string{"a", "b"}); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("catalogue down: %q", got)
	}
	d.o.Services = nil
	if got := d.serviceNames(ctx, []string{"a"}); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("no lookup: %q", got)
	}
}
