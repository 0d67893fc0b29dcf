package nlu

import (
	"testing"

	"github.com/dalil-tt/dalil/internal/lang"
)

func TestDetectLang(t *testing.T) {
	tests := []struct {
		text string
		want lang.Lang
	}{
		// nothing to go on: Latin script or none → fr
		{"", lang.FR},
		{"123 456", lang.FR},
		{"?!", lang.FR},
		{"ok", lang.FR},
		{"Tanger", lang.FR},
		// French
		{"Bonjour, je cherche un financement pour mon projet", lang.FR},
		{"je veux créer une coopérative", lang.FR},
		{"J'ai 35 ans et je suis au chômage depuis 2024", lang.FR},
		{"quelle formation pour les femmes à Tétouan ?", lang.FR},
		{"Le 2ème rendez-vous est à 10h", lang.FR},
		{"Formation, crédit, subvention", lang.FR},
		{"salam, je suis à la recherche d'un local", lang.FR},
		{"où se trouve votre bureau ?", lang.FR},
		{"ok, merci, je vais réfléchir", lang.FR},
		{"merci bzaf khouya", lang.ARY},
		{"salam labas 3lik", lang.ARY},
		{"chokran", lang.ARY},
		{"شنوا خاصني دبا", lang.ARY},
		{"mafhemtch, 3awd 3afak", lang.ARY},
		// Darija in Latin letters
		{"bghit 9ard", lang.ARY},
		{"salam khoya, chno khasni ndir?", lang.ARY},
		{"wach kayn chi formation f tanja", lang.ARY},
		{"ana mra w bghit nbda mochro3", lang.ARY},
		{"3afak", lang.ARY},
		{"fla7a", lang.ARY},
		{"bghit financement l projet dyali", lang.ARY},
		{"kifash ndir l'auto entrepreneur", lang.ARY},
		{"Bghit nakhod kridi mn lbanka daba", lang.ARY},
		// Modern Standard Arabic
		{"أريد الحصول على قرض", lang.AR},
		{"ما هي الوثائق المطلوبة لإنشاء تعاونية؟", lang.AR},
		{"هل يمكنني الحصول على منحة؟", lang.AR},
		{"أبحث عن تكوين في المحاسبة", lang.AR},
		{"كيف أسجل مقاولتي", lang.AR},
		{"لدي مشروع في الفلاحة", lang.AR},
		// Arabic script, no marker: the script decides
		{"تمويل", lang.AR},
		{"طنجة", lang.AR},
		{"مشروع فلاحي", lang.AR},
		{"تنمية المشاريع القروية", lang.AR},
		{"كتابة مخطط الأعمال", lang.AR},
		// Darija in Arabic script
		{"بغيت قرض", lang.ARY},
		{"شنو خاصني ندير؟", lang.ARY},
		{"واش كاين شي دعم", lang.ARY},
		{"فين نلقى تكوين فطنجة", lang.ARY},
		{"كيفاش نبدا المشروع ديالي", lang.ARY},
		{"ماعنديش الفلوس", lang.ARY},
		{"كنقلب على خدمة", lang.ARY},
		{"مشروعي ديال الفلاحة", lang.ARY},
		{"وبغيت نعرف", lang.ARY},
		{"أريد نعرف كيفاش", lang.ARY},
		{"مشروع فلاحي فالبادية", lang.ARY},
		{"تكوين دالخياطة", lang.ARY},
		// mixed scripts: the script with more letters decides, markers of both count
		{"bghit قرض", lang.ARY},
		{"أريد crédit", lang.AR},
	}
	for _, tt := range tests {
		if got := DetectLang(tt.text); got != tt.want {
			t.Errorf("DetectLang(%q) = %s, want %s", tt.text, got, tt.want)
		}
	}
}

func TestArabiziDigits(t *testing.T) {
	for tok, want := range map[string]bool{
		"9ard": true, "fla7a": true, "3afak": true, "mochro3": true, "l7out": true, "5dma": true,
		"2024": false, "35": false, "2eme": false, "10h": false, "5000dh": false, "35ans": false,
		"1er": false, "bonjour": false, "mp3": true, "4x4": false,
	} {
		if got := arabiziDigits(tok); got != want {
			t.Errorf("arabiziDigits(%q) = %v, want %v", tok, got, want)
		}
	}
}

func TestCandidates(t *testing.T) {
	lx := Default()
	// clitics and articles glued to a lexicon word still find it
	for text, want := range map[string]string{
		"والفلاحة":           "agriculture",
		"بالفلاحة":           "agriculture",
		"للفلاحة":            "agriculture",
		"وللفلاحة":           "agriculture",
		"فالفلاحة":           "agriculture",
		"دالفلاحة":           "agriculture",
		"lfla7a":             "agriculture",
		"elfla7a":            "agriculture",
		"ffla7a":             "agriculture",
		"fl7out":             "fishing",
		"والصناعة التقليدية": "crafts",
	} {
		if got := lx.Understand(text).Codes.Sectors; len(got) != 1 || got[0] != want {
			t.Errorf("Understand(%q).Sectors = %v, want [%s]", text, got, want)
		}
	}
	// whole tokens only: short words never match inside others
	for _, text := range []string{"fantastique", "bonjour tout le monde", "informatiquement parlant",
		"مرحبا", "السلام عليكم", "شكرا بزاف", "صباح الخير", "lol", "ok merci", "d'accord", "Tanger-Tétouan-Al Hoceïma",
		"الله يخليك", "بالتوفيق", "c'est fermé le dimanche ?", "où se trouve votre bureau ?",
		"wach hadchi b flous wla fabor?", "واش هادشي بالفلوس ولا فابور؟", "est-ce que c'est gratuit ?",
		"je veux parler à quelqu'un", "بغيت نهضر مع شي واحد", "bghit nhdr m3a chi wa7ed", "mon numéro est 0612345678",
		"Quels sont vos horaires ?", "écrivez à contact@cooperative-tanger.ma ou www.site-web.ma",
		"https://tanger.example/formation", "واش خدامين نهار السبت؟", "شكرا جزيلا على المساعدة"} {
		if r := lx.Understand(text); !r.Codes.Normalized().Empty() {
			t.Errorf("Understand(%q) = %v (matched %q), want nothing", text, r.Codes, r.Matched)
		}
	}
}
