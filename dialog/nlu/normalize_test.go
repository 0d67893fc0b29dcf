package nlu

import (
	"testing"
)

func TestFoldLatin(t *testing.T) {
	same := [][]string{
		{"mouwakaba", "mowakaba", "mwakaba", "muwakaba"},
		{"dyal", "dial", "diyal"},
		{"chno", "shno", "chnou", "chnu"},
		{"qard", "9ard", "9aard"},
		{"khdma", "5dma"},
		{"jam3iya", "jam3ia", "jam3iyya"},
		{"cooperative", "coperative"},
	}
	for _, group := range same {
		want := string(foldLatin(nil, group[0]))
		for _, w := range group[1:] {
			if got := string(foldLatin(nil, w)); got != want {
				t.Errorf("foldLatin(%q) = %q, want %q like %q", w, got, want, group[0])
			}
		}
	}
	for _, n := range []string{"2024", "35", "100000"} {
		if got := string(foldLatin(nil, n)); got != n {
			t.Errorf("foldLatin(%q) = %q: a number must stay itself", n, got)
		}
	}
}

func BenchmarkNormalize(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Normalize(benchMessage)
	}
}

func TestFold(t *testing.T) {
	for _, group := range [][]string{
		{"Mouwakaba", "mowakaba", "MWAKABA"},
		{"الفلاحة", "فلاحة", "الفـلاحة"},
		{"9ard dyal", "qard dial", "qard diyal"},
		{"Coopérative", "cooperative", "coperative"},
	} {
		want := Fold(group[0])
		for _, s := range group[1:] {
			if got := Fold(s); got != want {
				t.Errorf("Fold(%q) = %q, want %q like %q", s, got, want, group[0])
			}
		}
	}
	if got := Fold("  2024, 35 ans  "); got != "2024 35 ans" {
		t.Errorf("Fold of numbers = %q", got)
	}
	if Fold("") != "" || Fold("?!") != "" {
		t.Error("Fold of no word is not empty")
	}
}
