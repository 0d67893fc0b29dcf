package nlu

import (
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"Bonjour", "bonjour"},
		{"  Créer   ma  COOPÉRATIVE! ", "creer ma cooperative"},
		{"Où trouver un prêt ?", "ou trouver un pret"},
		{"Cœur, Œuvre, ça", "coeur oeuvre ca"},
		{"Tétouan / Al Hoceïma", "tetouan al hoceima"},
		{"l'auto-entrepreneur", "l auto entrepreneur"},
		{"maison d’hôtes", "maison d hotes"},
		{"Cre\u0301er", "creer"},      // decomposed accent
		{"ﬁnancement", "financement"}, // ligature
		{"ＴＡＮＧＥＲ", "tanger"},          // full width
		{"M'diq", "m diq"},
		{"أريد", "اريد"},
		{"إعاقة", "اعاقه"},
		{"آلة", "اله"},
		{"ٱلله", "الله"},
		{"مُؤَسَّسَة", "موسسه"},
		{"مسؤول", "مسوول"},
		{"رئيس", "رييس"},
		{"مستشفى", "مستشفي"},
		{"الفـــلاحة", "الفلاحه"}, // tatweel
		{"شيء", "شي"},             // lone hamza
		{"مشروعی", "مشروعي"},      // Persian yeh
		{"کتاب", "كتاب"},          // Persian kaf
		{"ڭاع", "كاع"},            // Moroccan gaf
		{"ڤيلا", "فيلا"},
		{"گاراج", "كاراج"},
		{"عندي ٣٥ سنة", "عندي 35 سنه"},
		{"۲۰۲۴", "2024"},
		{"واش كاين شي دعم؟", "واش كاين شي دعم"},
		{"أولا، ثانيا؛ ثالثا", "اولا ثانيا ثالثا"},
		{"ﻻ", "لا"}, // presentation form
		{"بغيت\u200cنبدا", "بغيتنبدا"},
		{"\u200fطنجة\u200e", "طنجه"},
		{"ف tanja", "ف tanja"},
		{"فtanja", "ف tanja"},
		{"مشروع2024", "مشروع 2024"},
		{"bghit 9ard dyal 35000 dh", "bghit 9ard dyal 35000 dh"},
		{"fla7a, 3afak!!", "fla7a 3afak"},
		{"J'ai 35 ans, né en 1990.", "j ai 35 ans ne en 1990"},
		{"e-mail: a@b.ma", "e mail a b ma"},
		{"\xff\xfeabc", "abc"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

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

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", "Créer ma coopérative", "بغيت نبدا مشروع ديال الفلاحة", "9ard mn lbanka f tanja",
		"ﻻ ﷺ ﬁ", "\xff\x00", "أُرِيدُ ٣٥", "a\u0301\u0301", "İstanbul ǅ", "فtanja٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) = %q: invalid UTF-8", s, n)
		}
		if n2 := Normalize(n); n2 != n {
			t.Fatalf("not idempotent: Normalize(%q) = %q, again = %q", s, n, n2)
		}
		if len(n) > 0 && (n[0] == ' ' || n[len(n)-1] == ' ') {
			t.Fatalf("Normalize(%q) = %q: leading or trailing space", s, n)
		}
	})
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
