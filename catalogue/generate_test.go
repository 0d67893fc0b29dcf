package catalogue_test

import (
	"bytes"
	"io"
	"reflect"
	"slices"
	"testing"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/internal/vocab"
)

func TestGenerate(t *testing.T) {
	const n = 3000
	g := catalogue.Generate(n, 42)
	if len(g) != n {
		t.Fatalf("Generate gave %d services, want %d", len(g), n)
	}
	// Valid: it passes every import check and round trips.
	if back := roundTrip(t, g); !reflect.DeepEqual(back, g) {
		t.Fatal("generated catalogue does not round trip")
	}
	if !reflect.DeepEqual(catalogue.Generate(50, 42), g[:50]) {
		t.Error("same seed, different catalogue")
	}
	if reflect.DeepEqual(catalogue.Generate(50, 43), g[:50]) {
		t.Error("different seeds, same catalogue")
	}
	var regionWide, coords, openSectors, restricted int
	needs := map[string]bool{}
	orgs := map[string]bool{}
	for _, s := range g {
		if len(s.Provinces) == len(vocab.Values[vocab.Provinces]) {
			regionWide++
		}
		if s.Latitude != nil {
			coords++
		}
		if len(s.Sectors) == 0 {
			openSectors++
		}
		if len(s.Publics) > 0 {
			restricted++
		}
		for _, x := range s.Needs {
			needs[x] = true
		}
		orgs[s.Org.ID] = true
	}
	for name, c := range map[string]int{"region-wide": regionWide, "with coordinates": coords, "all sectors": openSectors, "restricted publics": restricted} {
		if c < n/10 || c > n*9/10 {
			t.Errorf("%s: %d of %d, want a realistic spread", name, c, n)
		}
	}
	for _, x := range vocab.Values[vocab.Needs] {
		if !needs[x] {
			t.Errorf("no generated service offers %s", x)
		}
	}
	if len(orgs) < n/5 || len(orgs) > n*3/4 {
		t.Errorf("%d organisations for %d services", len(orgs), n)
	}
	if !slices.IsSortedFunc(g, func(a, b *catalogue.Service) int {
		if a.ID < b.ID {
			return -1
		}
		return 1
	}) {
		t.Error("generated ids not in order")
	}
}

func BenchmarkReadCSV10k(b *testing.B) {
	var buf bytes.Buffer
	if err := catalogue.WriteCSV(&buf, catalogue.Generate(10000, 1)); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := catalogue.ReadCSV(bytes.NewReader(data), "gen.csv"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteCSV10k(b *testing.B) {
	services := catalogue.Generate(10000, 1)
	for b.Loop() {
		if err := catalogue.WriteCSV(io.Discard, services); err != nil {
			b.Fatal(err)
		}
	}
}
