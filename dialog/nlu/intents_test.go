package nlu

import (
	"strings"
	"testing"

	"github.com/dalil-tt/dalil/dialog/trees"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
)

func TestIntents(t *testing.T) {
	lx := Default()
	for _, tc := range []struct {
		text string
		want Intent
	}{
		// greetings, both Darija scripts, French, Arabic
		{"salam", IntentSalam},
		{"Slm", IntentSalam},
		{"salamo 3alaykom", IntentSalam},
		{"Salam alikom khoya", IntentSalam},
		{"السلام عليكم", IntentSalam},
		{"سلام", IntentSalam},
		{"مرحبا", IntentGreeting},
		{"Bonjour !", IntentGreeting},
		{"bonsoir", IntentGreeting},
		{"slt", IntentGreeting},
		{"cc", IntentGreeting},
		{"sba7 lkhir", IntentGreeting},
		{"صباح الخير", IntentGreeting},
		{"labas 3lik?", IntentGreeting},
		// thanks
		{"merci", IntentThanks},
		{"mrc", IntentThanks},
		{"Merci beaucoup pour votre aide !", IntentThanks},
		{"chokran", IntentThanks},
		{"choukran bzaf", IntentThanks},
		{"شكرا", IntentThanks},
		{"شكرا جزيلا", IntentThanks},
		{"بارك الله فيك", IntentThanks},
		{"الله يخليك", IntentThanks},
		{"barak llah fik", IntentThanks},
		{"allah y3tik sa7a", IntentThanks},
		{"تبارك الله عليك", IntentThanks},
		{"ok merci", IntentThanks},
		// not understanding, asking for help
		{"je ne comprends pas", IntentConfused},
		{"j'ai pas compris", IntentConfused},
		{"Je ne comprends pas la question", IntentConfused},
		{"je ne sais pas quoi répondre", IntentConfused},
		{"c'est quoi ?", IntentConfused},
		{"aide", IntentConfused},
		{"help", IntentConfused},
		{"aidez-moi svp", IntentConfused},
		{"mafhamtch", IntentConfused},
		{"ma fhemtch", IntentConfused},
		{"ما فهمتش", IntentConfused},
		{"لم أفهم", IntentConfused},
		{"لم أفهم السؤال", IntentConfused},
		{"شنو هادشي", IntentConfused},
		{"chno hada?", IntentConfused},
		{"3awnni", IntentConfused},
		{"عاوني عافاك", IntentConfused},
		{"salam, mafhamtch", IntentConfused}, // confusion outweighs a greeting
		{"comment ça marche ?", IntentConfused},
		// asking for a person
		{"je veux parler à quelqu'un", IntentAdviser},
		{"Je voudrais parler à un conseiller", IntentAdviser},
		{"un conseiller", IntentAdviser},
		{"une personne", IntentAdviser},
		{"un humain svp", IntentAdviser},
		{"bghit nhder m3a chi wa7ed", IntentAdviser},
		{"wach kayn chi 7ad nhder m3ah?", IntentAdviser},
		{"bghit mostachar", IntentAdviser},
		{"أريد التحدث مع شخص", IntentAdviser},
		{"بغيت نهضر مع شي واحد", IntentAdviser},
		{"مستشار", IntentAdviser},
		{"merci, je veux parler à un conseiller", IntentAdviser},
		{"je voudrais un rendez-vous avec un conseiller", IntentAdviser},
		{"bghit rendez-vous m3a mostachar", IntentAdviser},
		{"momkin nhder m3a chi wa7ed 3afak", IntentAdviser},
		{"واش ممكن نتواصل مع شي مستشار", IntentAdviser},
		{"هل يوجد مستشار", IntentAdviser},
	} {
		r := lx.Understand(tc.text)
		if r.Intent != tc.want {
			t.Errorf("Understand(%q).Intent = %q, want %q", tc.text, r.Intent, tc.want)
		}
		if !r.Rest.Empty() {
			t.Errorf("Understand(%q).Rest = %v, want none", tc.text, r.Rest)
		}
	}
}

// Precision first: a phrase of an intent inside a message about the
// project says nothing of the conversation.
func TestNoIntentInProjectTalk(t *testing.T) {
	lx := Default()
	for _, text := range []string{
		"je cherche une formation pour aider les femmes",
		"bghit nhder 3la l9ard",            // to talk ABOUT a loan
		"خاصني مستشار فالتسويق",            // a marketing consultant: a need
		"je veux un conseiller en gestion", // idem
		"salam, bghit credit f tanja",      // a greeting beside a need
		"Bonjour, je cherche un financement pour ma coopérative",
		"merci, j'ai besoin d'une subvention",
		"شكرا، بغيت نفتح تعاونية فتطوان",
		"je suis une personne handicapée",
		"aide financière pour les jeunes",
		"salam, 3ndi mochkil",                   // not understood: a miss, not a greeting
		"ma bghitch nhder m3a chi wa7ed",        // refused
		"je ne veux pas parler à un conseiller", // refused
		"comment créer une association",
		"كيفاش نفتح تعاونية",
		"3awnni nl9a chi tamwil",
		"j'ai besoin d'aide pour financer mon projet",
		"je suis perdu dans les démarches",
		"ressources humaines",
		"personne ne m'aide",
		"السلام عليكم، بغيت نعرف واش كاين دعم للفلاحة",
		"",
	} {
		if r := lx.Understand(text); r.Intent != "" {
			t.Errorf("Understand(%q).Intent = %q (codes %v), want none", text, r.Intent, r.Codes)
		}
	}
}

// A request for a person hands over even with a need said alongside, and
// keeps the need; a bare noun that is also a need ("مستشار" is coaching)
// keeps nothing of it.
func TestAdviserRest(t *testing.T) {
	lx := Default()
	r := lx.Understand("je veux parler à un conseiller pour un crédit à Tanger")
	if r.Intent != IntentAdviser {
		t.Fatalf("intent %q, want adviser", r.Intent)
	}
	if got := r.Rest.Get(vocab.Provinces); len(got) != 1 || got[0] != "tanger-assilah" {
		t.Errorf("rest provinces %v, want tanger-assilah", got)
	}
	if !r.Rest.Has(vocab.Needs) {
		t.Errorf("rest %v: want the credit kept", r.Rest)
	}
	r = lx.Understand("مستشار")
	if r.Intent != IntentAdviser || !r.Rest.Empty() || !r.Codes.Has(vocab.Needs) {
		t.Errorf("مستشار: intent %q rest %v codes %v; want adviser, no rest, codes as ever", r.Intent, r.Rest, r.Codes)
	}
}

// The intent is kept out of `dalil understand`'s contract.
func TestIntentNotInJSON(t *testing.T) {
	r := Default().Understand("salam")
	if r.Intent == "" {
		t.Fatal("salam: no intent")
	}
	out, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"lang":"ary","codes":{"needs":[],"stages":[],"forms":[],"publics":[],"sectors":[],"provinces":[],"areas":[]}}`
	if string(out) != want {
		t.Errorf("JSON = %s, want %s", out, want)
	}
}

// A lexicon staff publish understands intents too.
func TestParsedLexiconHasIntents(t *testing.T) {
	lx, err := ParseLexicon([]byte("needs:\n  training: [formation]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r := lx.Understand("merci"); r.Intent != IntentThanks {
		t.Errorf("intent %q, want thanks", r.Intent)
	}
}

func TestParseIntentsErrors(t *testing.T) {
	if _, err := ParseIntents(trees.Intents); err != nil {
		t.Fatalf("embedded intents: %v", err)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"hello:\n  alone: {fr: [hi]}\n", `unknown key "hello"`},
		{"thanks:\n  sometimes: {fr: [merci]}\n", `unknown list "sometimes"`},
		{"thanks:\n  alone: {fr: [merci]}\ngreeting:\n  alone: {fr: [merci]}\n", "listed more than once"},
		{"thanks:\n  alone: {fr: [merci]}\n  anywhere: {fr: [merci]}\n", "listed more than once"},
		{"thanks:\n  alone: {fr: [merci], ary: [merci]}\n", "listed more than once"},
		{"thanks:\n  alone: {fr: [merci]}\nfiller: [merci]\n", "merci"},
		{"thanks: [merci]\n", "want"},
		{"thanks:\n  alone: [merci]\n", "lists by language"},
		{"thanks:\n  alone: {en: [thanks]}\n", `unknown language "en"`},
		{"thanks:\n  alone: {fr: [(merci]}\n", "without ')'"},
	} {
		_, err := ParseIntents([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseIntents(%q) = %v, want an error with %q", tc.yaml, err, tc.want)
		}
	}
}

// A message made only of intent phrases tells its language by them, for
// the first message ("ahlan" has no word that tells Darija); Arabic script
// and mixed languages are left to the words.
func TestIntentLang(t *testing.T) {
	lx := Default()
	for _, tc := range []struct {
		text string
		want lang.Lang
	}{
		{"ahlan", lang.ARY},
		{"marhba bik", lang.ARY},
		{"mafhamtch", lang.ARY},
		{"barak llah fik", lang.ARY},
		{"salam", lang.ARY},
		{"bonjour", lang.FR},
		{"merci beaucoup", lang.FR},
		{"un conseiller svp", lang.FR},
		{"مرحبا", ""},
		{"salam, merci", ""},                                  // two languages
		{"je veux parler à un conseiller pour un crédit", ""}, // more than intent phrases
	} {
		r := lx.Understand(tc.text)
		if r.Intent == "" || r.IntentLang != tc.want {
			t.Errorf("Understand(%q): intent %q lang %q, want an intent in %q", tc.text, r.Intent, r.IntentLang, tc.want)
		}
	}
}
