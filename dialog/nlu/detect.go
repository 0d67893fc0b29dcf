package nlu

import (
	"strings"

	"github.com/dalil-tt/dalil/internal/lang"
)

// DetectLang recognises the language of a message: Arabic script is Modern
// Standard Arabic or Darija by their marker words, Latin script is French or
// Darija in Arabizi by French function words against Darija words and
// Arabizi digits inside words. When nothing tells, the script decides:
// Arabic script → ar, Latin script (or no letters) → fr.
func DetectLang(s string) lang.Lang {
	sc := getScratch()
	defer putScratch(sc)
	return detectNormalized(Normalize(withoutLinks(s)), sc)
}

// Marker weights: a strong marker is a word only one of the two languages
// uses; a weak one leans to one side but is met in the other too.
const (
	weak   = 1
	strong = 2
)

// darijaArabic are words of Darija in Arabic script, written as people
// write them (normalised at start).
var darijaArabic = mergeMarkers(markers(strong, `ديال ديالي ديالك ديالو ديالها ديالنا ديالهم ديالكم
	نتاع بغيت بغيتي بغينا باغي باغيه بغا بغات نبغي كنبغي تنبغي كانبغي شنو اشنو شنهو شنوما واش فين فاين
	منين كيفاش علاش علاه شحال دابا بزاف ماشي حيت نتا نتي نتوما حنا هادي هادا هاد هادو ديك داك هاديك
	هاداك كاين كاينه كاينين غادي غانبدا باش بحال شويه مزيان واخا عافاك والو صافي كنقلب كانقلب تانقلب
	كنخدم نقلب نخدم ندير نديرو كندير خويا ختي الدراري دراري فلوس لفلوس نبدا نفتح نكبر نزيد ليا ليك
	معايا بيا كيخدم كتخدم خدام خدامه مابغيتش ماعنديش ماكاينش نقدر تقدر عندكم ياك زعما مرا لمرا يلاه
	عاوني عاونوني عاونيني شنوا دبا لاباس بصح كيداير كيدايرة فاش مزيانة راجل`),
	markers(weak, `شي بلا دير ولا غير`))

// msaArabic are words of Modern Standard Arabic that Darija does not use
// (shared words such as مشروع, عندي, في, شكرا are left out).
var msaArabic = mergeMarkers(markers(strong, `أريد نريد أرغب نرغب أود نود الذي التي الذين اللذين هذا هذه
	ذلك تلك ماذا لماذا أين كيف كيفية لدي لدينا لديه لديها أحتاج نحتاج أبحث نبحث أستطيع يمكنني يمكنكم
	هل ليس لست سوف لأن أيضا جدا الآن فقط يوجد توجد أعمل نعمل امرأة الحصول بشأن أنني إنني لكي لقد منذ
	عندما حيث بواسطة أرجو الرجاء نرجو مساعدتي ساعدني أعيش أقطن أسكن`),
	markers(weak, `إلى ثم قد حول الخاص الخاصة إنشاء`))

// darijaLatin are Darija words as written in Arabizi.
var darijaLatin = mergeMarkers(markers(strong, `bghit bghiti bghina baghi baghya bgha nbghi kanbghi
	kanbghiw tanbghi dyal dyali dyalna dyalk dyalo dial diali chno chnou achno chnahowa wach wesh mnin
	kifach kifash 3lach 3lah ch7al chhal daba bzaf machi 7it nta nti ntouma 7na hna hadi hada had hadou
	dik dak kayn kayna kaynin ghadi bach bash b7al chwiya mzyan mzyana wakha 3afak walo safi kan9leb
	kankhdem n9leb nkhdem ndir ndiro nakhod nakhd nakhdo khdma khedma flous lflous mochro3 machrou3
	mchrou3 machro3 mochro3i 3andi 3ndi 3endi 3ndna ma3ndich makaynch mabghitch n9der t9der 3ndkom
	yak m3a 3la 3nd mn wla wlla khoya khti drari mra lmra nbda nebda nft7 nfte7 nkbbr nkbr nzid liya
	m3aya fla7a lfla7a tanja lmdina lbadiya l3roubiya ana 3awnni 3awnouni sahbi hnaya temma
	bghite labas kidayr kidayra wakha 3lik bsa7 bs7 fach wach`),
	markers(weak, `f fi fin b ila ga3 gha chi bla men hit lik salam chokran choukran inchallah hamdolah`))

// frenchLatin are French function words (strong) and the French nouns of
// the domain (weak: Arabizi writers borrow them, "bghit formation").
var frenchLatin = mergeMarkers(markers(strong, `le la les de des du un une je j est et pour avec dans
	en sur au aux mon mes que qui pas ne suis ai veux voudrais souhaite souhaiterais cherche besoin
	bonjour merci comment quoi quel quelle quels quelles avoir faire creer monter trouver vous nous il
	elle ce cette ces mais donc car par chez tres plus aussi peux pouvez se sa son ses votre vos notre
	nos leur leurs sont etait etre fait peut dois doit faut comment combien pourquoi quand oui non bien
	bonne tout tous toute toutes autre meme encore deja trouve beaucoup`),
	markers(weak, `merci svp oui non projet entreprise formation financement aide credit subvention cooperative association`))

// markers normalises a space-separated word list into a weight table,
// Latin words through foldLatin like every matched token.
func markers(w int, words string) map[string]int {
	m := map[string]int{}
	for _, word := range strings.Fields(words) {
		for _, tok := range strings.Fields(Normalize(word)) {
			m[markerKey(tok)] = w
		}
	}
	return m
}

func mergeMarkers(ms ...map[string]int) map[string]int {
	out := map[string]int{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = max(out[k], v)
		}
	}
	return out
}

func markerKey(tok string) string {
	if isArabicToken(tok) {
		return tok
	}
	return string(foldLatin(nil, tok))
}

// arabiziDigits reports whether a Latin token uses digits as letters
// ("9ard", "fla7a", "3afak"), as opposed to a number with a unit or an
// ordinal ("35ans", "2eme", "10h", "5000dh").
func arabiziDigits(tok string) bool {
	i := 0
	for i < len(tok) && '0' <= tok[i] && tok[i] <= '9' {
		i++
	}
	if i > 0 {
		switch tok[i:] {
		case "", "e", "er", "eme", "em", "ere", "h", "dh", "mad", "km", "kg", "m", "ans", "an", "k", "min", "ha", "g", "l":
			return false
		}
	}
	if !hasASCIILetter(tok) {
		return false
	}
	for j := 0; j < len(tok); j++ {
		switch tok[j] {
		case '2', '3', '5', '7', '8', '9':
			return true
		}
	}
	return false
}

// detectNormalized is DetectLang on normalised text.
func detectNormalized(s string, sc *scratch) lang.Lang {
	var ls langScore
	for tok := range strings.SplitSeq(s, " ") {
		if tok == "" {
			continue
		}
		if isArabicToken(tok) {
			ls.addArabic(tok)
			continue
		}
		sc.buf = foldLatin(sc.buf[:0], tok)
		ls.addLatin(tok, sc.buf)
	}
	return ls.lang()
}

// langScore gathers the evidence for a language, token by token.
type langScore struct {
	arabicLetters, latinLetters int
	arDarija, arMSA             int
	latDarija, latFrench        int
}

func (ls *langScore) addArabic(tok string) {
	ls.arabicLetters += len(tok) / 2
	d, m := darijaArabic[tok], msaArabic[tok]
	if d == 0 && m == 0 {
		// و glued to a marker: وبغيت (فين is itself a marker)
		if rest, ok := strings.CutPrefix(tok, "و"); ok && len(rest) >= 4 {
			d, m = darijaArabic[rest], msaArabic[rest]
		}
	}
	if d == 0 && m == 0 {
		d = darijaMorphology(tok)
	}
	ls.arDarija += d
	ls.arMSA += m
}

// addLatin counts a non-Arabic token; key is its foldLatin form.
func (ls *langScore) addLatin(tok string, key []byte) {
	if !hasASCIILetter(tok) {
		return
	}
	ls.latinLetters += len(tok)
	switch tok { // folded alike, told apart as written
	case "w":
		ls.latDarija += weak
		return
	case "ou":
		ls.latFrench += weak
		return
	}
	if w := darijaLatin[string(key)]; w > 0 {
		ls.latDarija += w
	} else if arabiziDigits(tok) {
		ls.latDarija += strong
	}
	ls.latFrench += frenchLatin[string(key)]
}

func (ls *langScore) lang() lang.Lang {
	switch {
	case ls.arabicLetters == 0 && ls.latinLetters == 0:
		return lang.FR
	case 2*ls.arabicLetters >= ls.latinLetters:
		// Arabic-script writers often put a French word in ("بغيت formation");
		// Arabizi writers seldom switch to Arabic script. A tie goes to
		// Darija: Darija writers borrow MSA words, MSA writers do not write
		// كيفاش.
		if d := ls.arDarija + ls.latDarija; d > 0 && d >= ls.arMSA {
			return lang.ARY
		}
		return lang.AR
	default:
		if ls.latDarija+ls.arDarija > ls.latFrench {
			return lang.ARY
		}
		return lang.FR
	}
}

// darijaMorphology scores Darija verb and negation shapes: the present
// prefixes كن/كي (كنقلب، كيخدم) and the negation ما…ش (ماعنديش). The
// prefixes تن/كت/كان are left out: MSA has too many words so shaped
// (تنمية، كتابة، كانوا).
func darijaMorphology(tok string) int {
	n := len(tok) / 2 // Arabic letters are two bytes
	if n >= 5 && strings.HasPrefix(tok, "ما") && strings.HasSuffix(tok, "ش") {
		return strong
	}
	if n >= 5 && !strings.HasPrefix(tok, "كيف") && (strings.HasPrefix(tok, "كن") || strings.HasPrefix(tok, "كي")) {
		return weak
	}
	// "د" and "ف" glued to the article: دالفلاحة (of the), فالمدينة (in
	// the); MSA writes "في المدينة" and has only a few فال… words.
	if n >= 5 && strings.HasPrefix(tok, "دال") {
		return strong
	}
	if n >= 5 && strings.HasPrefix(tok, "فال") {
		return weak
	}
	return 0
}
