package nlu

import (
	"slices"
	"strings"
	"testing"

	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
)

func TestUnderstandFrench(t *testing.T) {
	checkUnderstand(t, []understandCase{
		{"Bonjour, je veux un microcrédit pour créer ma coopérative à Tanger", lang.FR,
			[]string{"needs:funding.microcredit", "stages:creation", "forms:cooperative", "provinces:tanger-assilah"}},
		{"Je cherche une subvention pour mon projet d'élevage de chèvres près de Chefchaouen", lang.FR,
			[]string{"needs:funding.grant", "sectors:agriculture", "provinces:chefchaouen"}},
		{"J'ai besoin d'un prêt bancaire pour agrandir mon atelier de poterie à Tétouan", lang.FR,
			[]string{"needs:funding.loan", "stages:development", "sectors:crafts", "provinces:tetouan"}},
		{"Où trouver une formation en comptabilité ? Je suis une femme de 28 ans à Larache", lang.FR,
			[]string{"needs:training", "needs:management", "publics:women", "publics:youth", "provinces:larache"}},
		{"Je voudrais ouvrir une maison d'hôtes dans un douar près d'Al Hoceïma", lang.FR,
			[]string{"stages:creation", "sectors:tourism", "publics:rural", "areas:rural", "provinces:al-hoceima"}},
		{"Comment obtenir la carte d'auto-entrepreneur ? Je vends du miel à Ouezzane", lang.FR,
			[]string{"needs:legal", "forms:auto_entrepreneur", "sectors:agrifood", "provinces:ouezzane"}},
		{"Je suis jeune diplômé et j'ai une idée d'application mobile", lang.FR,
			[]string{"publics:youth", "publics:graduates", "stages:idea", "sectors:digital"}},
		{"Notre association cherche un local à M'diq pour un projet de recyclage", lang.FR,
			[]string{"forms:association", "needs:premises", "provinces:mdiq-fnideq", "sectors:environment"}},
		{"Je travaille dans l'informel, je veux régulariser ma situation", lang.FR,
			[]string{"forms:informal", "needs:legal"}},
		{"Accompagnement pour répondre aux marchés publics, société SARL à Fnideq", lang.FR,
			[]string{"needs:coaching", "needs:procurement", "forms:company", "provinces:mdiq-fnideq"}},
		{"Je suis pêcheur à Ksar Sghir et je veux du financement", lang.FR,
			[]string{"sectors:fishing", "provinces:fahs-anjra", "needs:funding"}},
		{"Je suis une femme en situation de handicap et je veux vendre mes produits du terroir", lang.FR,
			[]string{"publics:women", "publics:disabled", "needs:marketing", "sectors:agrifood"}},
		{"Migrant subsaharien à Tanger, je cherche des informations pour monter un commerce", lang.FR,
			[]string{"publics:migrants", "provinces:tanger-assilah", "needs:information", "stages:creation", "sectors:commerce"}},
		{"La région Tanger-Tétouan-Al Hoceïma soutient l'économie sociale et solidaire", lang.FR,
			[]string{"sectors:social"}},
		{"Je suis titulaire d'un master et je veux créer ma startup à Tétouan", lang.FR,
			[]string{"publics:graduates", "stages:creation", "provinces:tetouan"}},
		{"Nous sommes une coopérative agricole à Ksar El Kébir, nous cherchons un financement pour une unité de transformation", lang.FR,
			[]string{"forms:cooperative", "sectors:agriculture", "sectors:agrifood", "provinces:larache", "needs:funding"}},
		{"Je suis auto-entrepreneur à Tanger, comment accéder aux marchés publics ?", lang.FR,
			[]string{"forms:auto_entrepreneur", "provinces:tanger-assilah", "needs:procurement"}},
		{"J'aimerais savoir comment domicilier mon entreprise à Assilah", lang.FR,
			[]string{"needs:information", "needs:premises", "provinces:tanger-assilah"}},
		{"Je cherche des partenaires pour exporter mes tapis", lang.FR,
			[]string{"needs:networking", "needs:marketing", "sectors:crafts"}},
		{"Agricultrice à Imzouren, je veux développer mon élevage de vaches", lang.FR,
			[]string{"publics:women", "sectors:agriculture", "provinces:al-hoceima", "stages:development"}},
		{"Besoin d'aide pour faire mon business plan et ma comptabilité", lang.FR, []string{"needs:management"}},
		{"Y a-t-il des incubateurs pour les startups du numérique à Tanger ?", lang.FR,
			[]string{"needs:premises", "stages:creation", "sectors:digital", "provinces:tanger-assilah"}},
		{"Je suis réfugiée et je fais de la couture à la maison", lang.FR, []string{"publics:migrants", "publics:women", "sectors:crafts"}},
		{"Gîte rural à Akchour : comment obtenir l'autorisation ?", lang.FR,
			[]string{"sectors:tourism", "provinces:chefchaouen", "needs:legal"}},
		{"Je vends des msemen devant chez moi, je veux être en règle", lang.FR, []string{"sectors:agrifood", "needs:legal"}},
		{"Comment devenir fournisseur de l'État ?", lang.FR, []string{"needs:procurement"}},
		{"Je cherche un local pour ouvrir une crèche à Tanger", lang.FR,
			[]string{"needs:premises", "stages:creation", "sectors:services", "provinces:tanger-assilah"}},
		{"Je suis handicapé moteur, existe-t-il des aides pour créer un projet ?", lang.FR,
			[]string{"publics:disabled", "needs:funding.grant", "stages:creation"}},
		{"Nous voulons créer une association pour les jeunes du quartier", lang.FR,
			[]string{"stages:creation", "forms:association", "publics:youth", "areas:urban"}},
		{"J'ai 35 ans et 2 enfants", lang.FR, []string{"publics:youth"}},
		{"J'ai 45 ans et 2 enfants", lang.FR, nil},
		{"Artisan depuis 20 ans", lang.FR, []string{"sectors:crafts"}},
		{"Bonjour", lang.FR, nil},
	})
}

func TestUnderstandArabic(t *testing.T) {
	checkUnderstand(t, []understandCase{
		// The accusative alef (تكويناً) after a stem ending in ن: not نا.
		{"أريد تكويناً", lang.AR, []string{"needs:training"}},
		{"أريد الحصول على تمويل لمشروعي في الفلاحة بتطوان", lang.AR,
			[]string{"needs:funding", "sectors:agriculture", "provinces:tetouan"}},
		{"أبحث عن قرض صغير لإنشاء تعاونية نسائية في شفشاون", lang.AR,
			[]string{"needs:funding.microcredit", "stages:creation", "forms:cooperative", "publics:women", "provinces:chefchaouen"}},
		{"هل توجد منحة للشباب حاملي الشهادات في طنجة؟", lang.AR,
			[]string{"needs:funding.grant", "publics:youth", "publics:graduates", "provinces:tanger-assilah"}},
		{"أود تطوير مقاولتي في الصناعة التقليدية والحصول على تكوين في التسويق", lang.AR,
			[]string{"stages:development", "sectors:crafts", "needs:training", "needs:marketing"}},
		{"ماذا يجب علي فعله للحصول على بطاقة المقاول الذاتي؟", lang.AR,
			[]string{"needs:legal", "forms:auto_entrepreneur"}},
		{"لدي فكرة مشروع سياحي في العالم القروي بإقليم الحسيمة", lang.AR,
			[]string{"stages:idea", "sectors:tourism", "publics:rural", "areas:rural", "provinces:al-hoceima"}},
		{"أنا امرأة في وضعية إعاقة وأحتاج إلى مواكبة", lang.AR,
			[]string{"publics:women", "publics:disabled", "needs:coaching"}},
		{"نحن جمعية تعمل في مجال البيئة وإعادة التدوير بالمضيق", lang.AR,
			[]string{"forms:association", "sectors:environment", "provinces:mdiq-fnideq"}},
		{"كيف يمكنني المشاركة في الصفقات العمومية؟", lang.AR, []string{"needs:procurement"}},
		{"أبحث عن محل تجاري في المدينة بالعرائش", lang.AR,
			[]string{"needs:premises", "areas:urban", "provinces:larache"}},
		{"أُرِيدُ قَرْضًا بَنْكِيًّا لِلصَّيْدِ البَحْرِيِّ", lang.AR, []string{"needs:funding.loan", "sectors:fishing"}},
		{"أريد أن أفتح مطعما في أصيلة", lang.AR,
			[]string{"stages:creation", "sectors:tourism", "provinces:tanger-assilah"}},
		{"نحن مجموعة من الشباب نريد تأسيس شركة في مجال التكنولوجيا بطنجة", lang.AR,
			[]string{"publics:youth", "stages:creation", "forms:company", "sectors:digital", "provinces:tanger-assilah"}},
		{"أرغب في الحصول على دعم لمشروعي في تربية النحل بإقليم وزان", lang.AR,
			[]string{"needs:funding.grant", "sectors:agriculture", "provinces:ouezzane"}},
		{"أنا مقاول ذاتي وأحتاج إلى تكوين في المحاسبة", lang.AR,
			[]string{"forms:auto_entrepreneur", "needs:training", "needs:management"}},
		{"ما هي شروط الاستفادة من برنامج انطلاقة؟", lang.AR, []string{"needs:information", "needs:funding.loan"}},
		{"أبحث عن شركاء لتسويق منتوجات التعاونية في الأسواق", lang.AR,
			[]string{"needs:networking", "needs:marketing", "forms:cooperative"}},
		{"هل هناك حاضنة للمقاولات الناشئة في تطوان؟", lang.AR, []string{"needs:premises", "provinces:tetouan"}},
		{"أريد معرفة الإجراءات لتأسيس شركة ذات مسؤولية محدودة", lang.AR,
			[]string{"needs:information", "stages:creation", "forms:company"}},
		{"أرغب في توسيع ورشتي للنجارة في تطوان", lang.AR, []string{"stages:development", "sectors:crafts", "provinces:tetouan"}},
		{"أبحث عن تمويل لمشروع في مجال الطاقة الشمسية", lang.AR, []string{"needs:funding", "sectors:environment"}},
		{"مهاجر مقيم بالقصر الكبير يبحث عن معلومات حول التجارة الإلكترونية", lang.AR,
			[]string{"publics:migrants", "provinces:larache", "needs:information", "sectors:digital"}},
	})
}

func TestUnderstandDarijaArabicScript(t *testing.T) {
	checkUnderstand(t, []understandCase{
		{"بغيت ناخد قرض باش نبدا مشروع ديال الفلاحة فشفشاون", lang.ARY,
			[]string{"needs:funding.microcredit", "stages:creation", "sectors:agriculture", "provinces:chefchaouen"}},
		{"واش كاين شي دعم للعيالات فالدوار؟", lang.ARY,
			[]string{"needs:funding.grant", "publics:women", "publics:rural", "areas:rural"}},
		{"شنو خاصني باش نقاد الوراق ديال التعاونية؟", lang.ARY,
			[]string{"needs:information", "needs:legal", "forms:cooperative"}},
		{"عندي حانوت فطنجة وبغيت نكبرو", lang.ARY,
			[]string{"stages:development", "sectors:commerce", "provinces:tanger-assilah"}},
		{"أنا شاب وعندي فكرة ديال مشروع فالمعلوميات", lang.ARY,
			[]string{"publics:youth", "stages:idea", "sectors:digital"}},
		{"فين نلقى شي تكوين فالخياطة فتطوان؟", lang.ARY,
			[]string{"needs:training", "sectors:crafts", "provinces:tetouan"}},
		{"كنخدم بلا وراق وبغيت نولي أوطو أونتروبرونور", lang.ARY,
			[]string{"forms:informal", "needs:legal", "forms:auto_entrepreneur"}},
		{"بغيت كريدي من البنك باش نشري فلوكة", lang.ARY,
			[]string{"needs:funding.loan", "sectors:fishing"}},
		{"عندنا جمعية فالحسيمة وبغينا نبيعو العسل ديالنا", lang.ARY,
			[]string{"forms:association", "stages:development", "provinces:al-hoceima", "needs:marketing", "sectors:agrifood"}},
		{"بغيت شي بلاصة نخدم فيها فوزان", lang.ARY,
			[]string{"needs:premises", "provinces:ouezzane"}},
		{"بغيت نحل مطعم فمرتيل", lang.ARY, []string{"stages:creation", "sectors:tourism", "provinces:mdiq-fnideq"}},
		// "nhal" is how many write نحل without digits: "to open" after bghit,
		// bees otherwise.
		{"bghit nhal chi mchrou3 dyal l7lwa f tanja", lang.ARY, []string{"stages:creation", "sectors:agrifood", "provinces:tanger-assilah"}},
		{"3ndi nhal f chefchaouen", lang.ARY, []string{"sectors:agriculture", "provinces:chefchaouen"}},
		// Spellings without digits or with other vowels, as people type them.
		{"salam, ana chab 3ndi 24 3am w bghit ndir projet dyal lhlwa f tetouan", lang.ARY,
			[]string{"stages:creation", "publics:youth", "sectors:agrifood", "provinces:tetouan"}},
		{"ana m3a9 w bghit ndir mchrou3", lang.ARY, []string{"publics:disabled", "stages:creation"}},
		{"kanskon f l3arobia w 3ndi mchrou3 khdam", lang.ARY, []string{"publics:rural", "areas:rural", "stages:development"}},
		{"عندي كوبيراتيف ديال العسل فتارجيست وبغيت نلقى فين نبيع", lang.ARY,
			[]string{"forms:cooperative", "sectors:agrifood", "provinces:al-hoceima", "needs:marketing"}},
		{"أنا خياطة فالدار بغيت نخدم بالقانون", lang.ARY, []string{"sectors:crafts", "needs:legal"}},
		{"بغيت نعرف واش كاين شي تمويل للمعاقين", lang.ARY, []string{"needs:information", "needs:funding", "publics:disabled"}},
		{"بغيت نكري محل فالفنيدق باش ندير الحلاقة", lang.ARY,
			[]string{"needs:premises", "provinces:mdiq-fnideq", "sectors:services"}},
		{"واش كاين شي سلف بلا فايدة للدراري فالقصر الكبير؟", lang.ARY,
			[]string{"needs:funding.microcredit", "publics:youth", "provinces:larache"}},
		{"السلام عليكم، بغيت نسول واش كاينين شي جمعيات كيعطيو السلف للعيالات فالعرائش", lang.ARY,
			[]string{"needs:information", "needs:funding.microcredit", "forms:association", "publics:women", "provinces:larache"}},
		{"خويا بغيت ندير مشروع صغير ديال الدجاج فالبلاد ولكن ماعنديش الفلوس", lang.ARY,
			[]string{"stages:creation", "sectors:agriculture", "needs:funding"}},
		{"أختي عندها تعاونية ديال الطرز فشفشاون، كيفاش تلقى فين تبيع السلعة ديالها؟", lang.ARY,
			[]string{"forms:cooperative", "sectors:crafts", "provinces:chefchaouen", "needs:marketing"}},
		{"واش ممكن تعاونوني نخرج البطاقة ديال المقاول الذاتي؟", lang.ARY, []string{"needs:legal", "forms:auto_entrepreneur"}},
		{"كنخدم فالبناء بلا تصريح، بغيت نولي قانوني", lang.ARY, []string{"sectors:services", "forms:informal", "needs:legal"}},
		{"بغيت نفتح محل ديال الحلاقة للنسا فالمضيق", lang.ARY,
			[]string{"stages:creation", "needs:premises", "sectors:services", "publics:women", "provinces:mdiq-fnideq"}},
		{"أنا طالب فالجامعة وعندي فكرة ديال تطبيق", lang.ARY, []string{"publics:youth", "stages:idea", "sectors:digital"}},
		{"بغيت نتعلم كيفاش نسير الحسابات ديال الحانوت", lang.ARY, []string{"needs:training", "needs:management", "sectors:commerce"}},
		{"عمري 22 عام وبغيت نخدم فالتجارة", lang.ARY, []string{"publics:youth", "sectors:commerce"}},
		{"مرا من العروبية بغات تدير الكسيبة", lang.ARY,
			[]string{"publics:women", "publics:rural", "areas:rural", "sectors:agriculture"}},
	})
}

func TestUnderstandDarijaLatin(t *testing.T) {
	checkUnderstand(t, []understandCase{
		{"bghit nakhod 9ard bach nbda mochro3 dyal lfla7a f chefchaouen", lang.ARY,
			[]string{"needs:funding.microcredit", "stages:creation", "sectors:agriculture", "provinces:chefchaouen"}},
		{"Bghit qard mn lbanka bach nkbbr l7anout dyali f tanja", lang.ARY,
			[]string{"needs:funding.loan", "stages:development", "sectors:commerce", "provinces:tanger-assilah"}},
		{"wach kayn chi da3m l3yalat f douar?", lang.ARY,
			[]string{"needs:funding.grant", "publics:women", "publics:rural", "areas:rural"}},
		{"ana mra 3ndi t3awniya dyal l3ssel f ouezzane", lang.ARY,
			[]string{"publics:women", "stages:development", "forms:cooperative", "sectors:agrifood", "provinces:ouezzane"}},
		{"chno khasni bach ndir l'auto entrepreneur?", lang.ARY,
			[]string{"needs:information", "forms:auto_entrepreneur"}},
		{"salam, bghit tkwin f tasyir w mouwakaba, ana chab diplome mn tetwan", lang.ARY,
			[]string{"needs:training", "needs:management", "needs:coaching", "publics:youth", "publics:graduates", "provinces:tetouan"}},
		{"3ndi fikra dyal application f lmdina", lang.ARY,
			[]string{"stages:idea", "sectors:digital", "areas:urban"}},
		{"kankhdem f l7out f mdi9, bghit kridi", lang.ARY,
			[]string{"sectors:fishing", "provinces:mdiq-fnideq", "needs:funding.microcredit"}},
		{"bghina nft7o jam3iya dyal sna3a t9lidiya f l7ouceima", lang.ARY,
			[]string{"stages:creation", "forms:association", "sectors:crafts", "provinces:al-hoceima"}},
		{"machrou3 dyal siya7a f lbadiya 9rib l larache", lang.ARY,
			[]string{"sectors:tourism", "publics:rural", "areas:rural", "provinces:larache"}},
		{"bghit nbi3 lmontoj dyali f facebook", lang.ARY, []string{"needs:marketing"}},
		{"kifach ndkhol l sfa9at? 3andi charika f tanja", lang.ARY,
			[]string{"needs:procurement", "stages:development", "forms:company", "provinces:tanger-assilah"}},
		{"bghit nakhod flous bla fayda", lang.ARY, []string{"needs:funding"}},
		{"bghit nakhod kard bach nebda machrou dyal flaha f chefchaouen", lang.ARY,
			[]string{"needs:funding.microcredit", "stages:creation", "sectors:agriculture", "provinces:chefchaouen"}},
		{"bghit qard bach nftah machro3 dyal l7lwa f tetouan", lang.ARY,
			[]string{"needs:funding.microcredit", "stages:creation", "sectors:agrifood", "provinces:tetouan"}},
		{"Ana khdama f lkhyata f dar, bghit ndir chi t3awniya m3a lbnat dyal derb", lang.ARY,
			[]string{"sectors:crafts", "stages:creation", "forms:cooperative", "publics:women"}},
		{"3andi ferma dyal lbgar f l3rayech w bghit nkbbarha", lang.ARY,
			[]string{"stages:development", "sectors:agriculture", "provinces:larache"}},
		{"kanbghi nsawe9 zit zitoun dyal ta3awniya dyalna f ouazzane", lang.ARY,
			[]string{"needs:marketing", "sectors:agrifood", "forms:cooperative", "provinces:ouezzane"}},
		{"salam, bghit formation f marketing digital, ana f tanger", lang.ARY,
			[]string{"needs:training", "needs:marketing", "sectors:digital", "provinces:tanger-assilah"}},
		{"wach kayn chi mounadama katmwel les projets dyal lbnat f lqoura?", lang.ARY,
			[]string{"needs:funding", "publics:women", "publics:rural", "areas:rural"}},
		{"bghit nft7 cyber f lmdina l9dima d tanja", lang.ARY,
			[]string{"stages:creation", "sectors:digital", "areas:urban", "provinces:tanger-assilah"}},
		{"bghit ndir recyclage dyal plastique f lhoceima", lang.ARY, []string{"sectors:environment", "provinces:al-hoceima"}},
		{"wach momkin nakhod da3m mn INDH?", lang.ARY, []string{"needs:funding.grant"}},
		{"ana jeune diplômé, bghit nbda mochro3 f tourisme rural f chaouen", lang.ARY,
			[]string{"publics:youth", "publics:graduates", "stages:creation", "sectors:tourism", "provinces:chefchaouen"}},
		{"bghit nchri mkina dyal l7lib l ferma dyali f wazzan", lang.ARY, []string{"sectors:agriculture", "provinces:ouezzane"}},
		{"kayn chi aide l chabab li bghaw ykhdmo f fla7a?", lang.ARY,
			[]string{"needs:funding.grant", "publics:youth", "sectors:agriculture"}},
		{"ana men targist, bghit nakhod 9ard bach nchri tomobil dyal transport", lang.ARY,
			[]string{"provinces:al-hoceima", "needs:funding.microcredit", "sectors:services"}},
		{"3andi diplome f l'informatique w bghit ndir startup", lang.ARY,
			[]string{"publics:graduates", "sectors:digital", "stages:creation"}},
		{"bghit nbi3 lmontojat dyal t3awniya f l'internet", lang.ARY,
			[]string{"needs:marketing", "forms:cooperative", "sectors:digital"}},
		{"bghit nshri flouka w chbak f l7ouceima", lang.ARY, []string{"sectors:fishing", "provinces:al-hoceima"}},
		{"wach kayn chi formation dial l7ilaqa f fnidq?", lang.ARY, []string{"needs:training", "sectors:services", "provinces:mdiq-fnideq"}},
		{"salam, 3andi 24 3am w bghit n9ra chi 7aja", lang.ARY, []string{"publics:youth", "needs:training"}},
		{"3afak fin kayn chi local f fnideq?", lang.ARY, []string{"needs:premises", "provinces:mdiq-fnideq"}},
	})
}

func TestUnderstandPlaces(t *testing.T) {
	lx := Default()
	for province, names := range map[string][]string{
		"tanger-assilah": {"Tanger", "Tangier", "طنجة", "tanja", "Assilah", "Asilah", "أصيلة", "f tanja", "فطنجة", "Gueznaya", "Bni Makada"},
		"tetouan":        {"Tétouan", "تطوان", "tetwan", "Oued Laou", "Azla"},
		"mdiq-fnideq":    {"M'diq", "Mdiq", "المضيق", "mdi9", "Fnideq", "الفنيدق", "Castillejos", "Belyounech", "Cabo Negro", "Martil", "مرتيل"},
		"larache":        {"Larache", "العرائش", "l3rayech", "Ksar El Kebir", "القصر الكبير", "Laaouamra", "Moulay Bousselham Larache"},
		"chefchaouen":    {"Chefchaouen", "Chaouen", "شفشاون", "الشاون", "chawn", "Bab Berred", "Akchour", "El Jebha", "Kaa Asras", "قاع أسراس"},
		"ouezzane":       {"Ouezzane", "وزان", "Ouazzane", "Mokrisset", "wazzan"},
		"al-hoceima":     {"Al Hoceima", "Al Hoceïma", "الحسيمة", "l7ouceima", "Imzouren", "إمزورن", "Targuist", "Ketama", "Bni Bouayach"},
		"fahs-anjra":     {"Fahs-Anjra", "الفحص أنجرة", "Ksar Sghir", "القصر الصغير", "Tanger Med", "Ksar Es-Seghir"},
	} {
		for _, name := range names {
			if got := lx.Understand(name).Codes.Provinces; len(got) != 1 || got[0] != province {
				t.Errorf("Understand(%q).Provinces = %v, want [%s]", name, got, province)
			}
		}
	}
	for area, names := range map[string][]string{
		"rural": {"village", "douar", "دوار", "لبادية", "campagne", "f l3roubiya", "فالدوار", "en milieu rural"},
		"urban": {"ville", "المدينة", "lmdina", "en ville", "فالمدينة", "centre ville"},
	} {
		for _, name := range names {
			if got := lx.Understand(name).Codes.Areas; len(got) != 1 || got[0] != area {
				t.Errorf("Understand(%q).Areas = %v, want [%s]", name, got, area)
			}
		}
	}
}

// TestUnderstandBriefWords checks the words the lexicon was first asked to
// know, one by one.
func TestUnderstandBriefWords(t *testing.T) {
	lx := Default()
	for code, words := range map[string][]string{
		"needs:funding.microcredit": {"microcrédit", "قرض صغير", "سلف", "كريدي", "kridi", "9ard", "qard", "kard"},
		"needs:funding.grant":       {"subvention", "منحة", "دعم", "da3m", "l'aide"},
		"needs:funding.loan":        {"prêt bancaire", "قرض بنكي", "9ard mn lbanka"},
		"needs:funding":             {"financement", "تمويل", "الفلوس", "flous", "tmwil"},
		"needs:training":            {"formation", "تكوين", "tkwin"},
		"needs:coaching":            {"accompagnement", "مواكبة", "mouwakaba", "coaching"},
		"needs:legal":               {"statut", "carte auto-entrepreneur"},
		"forms:auto_entrepreneur":   {"auto-entrepreneur", "المقاول الذاتي", "l'auto", "carte auto-entrepreneur"},
		"forms:cooperative":         {"coopérative", "تعاونية", "t3awniya", "cooperative"},
		"forms:association":         {"association", "جمعية", "jam3iya"},
		"forms:company":             {"société", "SARL", "شركة", "charika"},
		"forms:informal":            {"informel", "غير مهيكل", "bla papiers", "noir"},
		"needs:premises":            {"local", "محل", "mahal", "domiciliation"},
		"needs:procurement":         {"marchés publics", "صفقات عمومية", "sfa9at"},
		"stages:idea":               {"idée", "فكرة", "fikra"},
		"stages:creation":           {"créer", "démarrer", "بغيت نبدا", "nbda", "nft7"},
		"stages:development":        {"développer", "agrandir", "كبر", "توسيع", "nkbbr", "nwasse3"},
		"publics:women":             {"femme", "امرأة", "mra", "mra9", "bent"},
		"publics:youth":             {"jeune", "شاب", "chab", "chabab"},
		"publics:graduates":         {"diplômé", "diplome", "مجاز"},
		"publics:disabled":          {"handicap", "إعاقة"},
		"publics:migrants":          {"migrant", "مهاجر"},
		"sectors:agriculture":       {"agriculture", "الفلاحة", "fla7a", "lfla7a", "ferme", "olives", "zitoun"},
		"sectors:fishing":           {"pêche", "الصيد البحري", "l7out"},
		"sectors:crafts":            {"artisanat", "الصناعة التقليدية", "sna3a t9lidiya", "tissage", "poterie"},
		"sectors:tourism":           {"tourisme", "gîte", "maison d'hôtes"},
		"sectors:agrifood":          {"agroalimentaire", "fromage", "miel", "l3ssel"},
		"sectors:commerce":          {"commerce", "تجارة", "tijara", "hanout"},
		"sectors:services":          {"services"},
		"sectors:industry":          {"industrie"},
		"sectors:digital":           {"numérique", "informatique", "application", "site web"},
		"sectors:culture":           {"culture"},
		"sectors:environment":       {"environnement", "recyclage"},
		"sectors:social":            {"social", "économie sociale"},
	} {
		f, c, _ := strings.Cut(code, ":")
		for _, w := range words {
			if got := lx.Understand(w).Codes.Get(vocab.Facet(f)); !slices.Contains(got, c) {
				t.Errorf("Understand(%q).%s = %v, want %s", w, f, got, c)
			}
		}
	}
	// words of other meanings that look alike
	for _, text := range []string{"c'est fermé le dimanche", "vous êtes fermés ?", "au niveau local", "كبر السن"} {
		if r := lx.Understand(text); !r.Codes.Normalized().Empty() {
			t.Errorf("Understand(%q) = %v (matched %q), want nothing", text, r.Codes, r.Matched)
		}
	}
}

func TestUnderstandMisc(t *testing.T) {
	checkUnderstand(t, []understandCase{
		// common misspellings
		{"je veux un finencement pour mon projet", lang.FR, []string{"needs:funding"}},
		{"jai besoin dune subvension pour ma cooperatif", lang.FR, []string{"needs:funding.grant", "forms:cooperative"}},
		{"formasion en comptabilite a tanger svp", lang.FR, []string{"needs:training", "needs:management", "provinces:tanger-assilah"}},
		// English, for migrants who write it
		{"hello, I need a loan from the bank for my small business in Tetouan", "",
			[]string{"needs:funding.loan", "provinces:tetouan"}},
		{"we are refugee women looking for training in sewing", "",
			[]string{"publics:migrants", "publics:women", "needs:training", "sectors:crafts"}},
		// no word is read inside another one
		{"business", lang.FR, nil},
	})
}

func TestUnderstandMore(t *testing.T) {
	checkUnderstand(t, []understandCase{
		{"ana mra mtal9a w 3andi 3 drari, bghit nkhdem f darna", lang.ARY, []string{"publics:women"}},
		{"عندي جوج دراري وبغيت نخدم", lang.ARY, nil},
		{"3tini chi ma3lomat 3la chorout dyal da3m", lang.ARY, []string{"needs:information", "needs:funding.grant"}},
		{"kankhdem m3a rasi f lkhyata", lang.ARY, []string{"forms:individual", "sectors:crafts"}},
		{"Quelles sont les conditions pour être éligible ?", lang.FR, []string{"needs:information"}},
		{"bonsoir je suis étudiant en master et je souhaite créer une entreprise de conseil", lang.FR,
			[]string{"publics:youth", "publics:graduates", "stages:creation", "sectors:services"}},
		{"Nous avons besoin d'un terrain pour construire un hangar agricole", lang.FR,
			[]string{"needs:premises", "sectors:agriculture"}},
		{"Pouvez-vous m'aider à trouver un comptable ?", lang.FR, []string{"needs:management"}},
		{"salam, 3ndi mahal dyal lhlaqa f m'diq, bghit nwase3o", lang.ARY,
			[]string{"stages:development", "sectors:services", "provinces:mdiq-fnideq"}},
		{"عندي مشروع ديال تربية الماعز فالجبل وبغيت نبيع الجبن", lang.ARY,
			[]string{"sectors:agriculture", "sectors:agrifood", "needs:marketing", "publics:rural", "areas:rural"}},
		{"هل يمكن للجمعيات الاستفادة من الدعم العمومي؟", lang.AR, []string{"forms:association", "needs:funding.grant"}},
		{"سلام عليكم، أنا عندي 28 عام، ساكن فبني بوعياش، بغيت نحل محل ديال الإصلاح ديال التيليفونات", lang.ARY,
			[]string{"publics:youth", "provinces:al-hoceima", "stages:creation", "needs:premises", "sectors:services", "sectors:digital"}},
	})
}

// TestUnderstandSpellings holds messages as project holders of the region type
// them, with spellings and words the lexicon first missed.
func TestUnderstandSpellings(t *testing.T) {
	checkUnderstand(t, []understandCase{
		// Places as people spell them.
		{"wach kayn chi tamwil l chi mochro3 dyal siya7a f l7ocima", lang.ARY,
			[]string{"needs:funding", "sectors:tourism", "provinces:al-hoceima"}},
		{"ana mn azila, bghit ndir maison d'hote", lang.ARY, []string{"sectors:tourism", "provinces:tanger-assilah"}},
		{"ana fellah f bni arous, bghit nakhod da3m", lang.ARY,
			[]string{"needs:funding.grant", "sectors:agriculture", "provinces:larache"}},
		{"bghit nkhdem f siya7a jabaliya f talassemtane", lang.ARY,
			[]string{"sectors:tourism", "provinces:chefchaouen"}},
		// Darija in Latin letters without digits or with other vowels.
		{"bghit nkhdem f lfilaha f wazan", lang.ARY, []string{"sectors:agriculture", "provinces:ouezzane"}},
		{"chkon li kay3ti tamwil l mchari3 dyal lfalaha", lang.ARY, []string{"needs:funding", "sectors:agriculture"}},
		{"ana chab mn titwan, bghit ndir projet dyal tatbik", lang.ARY,
			[]string{"stages:creation", "publics:youth", "sectors:digital", "provinces:tetouan"}},
		{"ana mra mn lqsar lkbir bghit ndir mchrou dyal lhlwa", lang.ARY,
			[]string{"stages:creation", "publics:women", "sectors:agrifood", "provinces:larache"}},
		{"andi ferma dyal lbgar f laraych", lang.ARY,
			[]string{"stages:development", "sectors:agriculture", "provinces:larache"}},
		{"andna cooperative dial zit f ouazzane bghina nbi3o barra", lang.ARY,
			[]string{"needs:marketing", "stages:development", "forms:cooperative", "sectors:agrifood", "provinces:ouezzane"}},
		{"3ndi ma7al d lmakla f tetwan w bghit nwsse3o", lang.ARY,
			[]string{"stages:development", "sectors:agrifood", "provinces:tetouan"}},
		{"bghit n3rf wach kayn chi 9rd bla fayda l chabab f wazzan", lang.ARY,
			[]string{"needs:information", "needs:funding.microcredit", "publics:youth", "provinces:ouezzane"}},
		{"bghit nfhm kifach nakhod da3m dyal lindh", lang.ARY, []string{"needs:information", "needs:funding.grant"}},
		{"bghit nt3arf m3a nas li khdamin f nafs lmajal", lang.ARY, []string{"needs:networking"}},
		{"ana mhajir mn mali, bghit n9ra l7ila9a", lang.ARY,
			[]string{"needs:training", "publics:migrants", "sectors:services"}},
		{"kayn chi ta2tir l nissa f l3alam l9arawi?", lang.ARY,
			[]string{"needs:coaching", "publics:women", "publics:rural", "areas:rural"}},
		// Words of the North: the bank (Spanish banco), the free zone.
		{"bghit nakhod credit mn lbanco bach nchri kamion", lang.ARY, []string{"needs:funding.loan"}},
		{"bghit nkhdem f zone franche f tanja", lang.ARY, []string{"sectors:industry", "provinces:tanger-assilah"}},
		// Arabic plurals and loanwords.
		{"هل توجد برامج لدعم النساء القرويات في وزان؟", lang.AR,
			[]string{"needs:funding.grant", "publics:women", "publics:rural", "provinces:ouezzane", "areas:rural"}},
		{"واش كاين شي برنامج ديال التمويل للعيالات فالبوادي؟", lang.ARY,
			[]string{"needs:funding", "publics:women", "publics:rural", "areas:rural"}},
		{"واش كاينين شي فورماسيونات فالطبخ فتطوان؟", lang.ARY,
			[]string{"needs:training", "sectors:agrifood", "provinces:tetouan"}},
		{"بغيت نصاوب سيت ويب للتعاونية ديالنا", lang.ARY,
			[]string{"needs:marketing", "forms:cooperative", "sectors:digital"}},
		{"واش خاصني السجل التجاري باش نبيع فالأنترنيت؟", lang.ARY,
			[]string{"needs:legal", "needs:marketing", "sectors:digital"}},
		{"أنا مهندس فالمعلوميات وبغيت نخلق ستارت أب فطنجة", lang.ARY,
			[]string{"stages:creation", "publics:graduates", "sectors:digital", "provinces:tanger-assilah"}},
		// French as typed on a phone, and words that were missing.
		{"jai 19 ans je veux travailler dans la mecanique auto a tanger", lang.FR,
			[]string{"publics:youth", "sectors:services", "provinces:tanger-assilah"}},
		{"bonjour jai 28 ans jsuis au chomage je veux monter un projet a tetouan", lang.FR,
			[]string{"stages:creation", "publics:youth", "provinces:tetouan"}},
		{"bonjour est ce que vous financez les projets de tourisme rural a akchour", lang.FR,
			[]string{"needs:funding", "sectors:tourism", "provinces:chefchaouen"}},
		{"j'ai juste une idée pour le moment, un food truck a tanger", lang.FR,
			[]string{"stages:idea", "sectors:tourism", "provinces:tanger-assilah"}},
		{"Je voudrais ouvrir un centre de langues au centre ville de Tétouan", lang.FR,
			[]string{"stages:creation", "sectors:services", "provinces:tetouan", "areas:urban"}},
		{"je fabrique des meubles en bois a Tetouan", lang.FR, []string{"sectors:crafts", "provinces:tetouan"}},
		{"Nous sommes 3 jeunes diplomes au chomage a Al Hoceima, on veut creer une cooperative de recyclage", lang.FR,
			[]string{"stages:creation", "forms:cooperative", "publics:youth", "publics:graduates", "sectors:environment", "provinces:al-hoceima"}},
		// Children are no youth programme, "3ndi" written without its digit too.
		{"andi 2 drari", lang.ARY, nil},
		// More villages, words of trades and of people.
		{"ana mn bni hdifa, kanrbi lma3z", lang.ARY, []string{"sectors:agriculture", "provinces:al-hoceima"}},
		{"kayn chi programme l chabab f jbha?", lang.ARY, []string{"publics:youth", "provinces:chefchaouen"}},
		{"ana sakn f douar f jbel l7bib", lang.ARY, []string{"publics:rural", "provinces:tetouan", "areas:rural"}},
		{"je veux un credit pour acheter une machine a coudre", lang.FR,
			[]string{"needs:funding.microcredit", "sectors:crafts"}},
		{"salam bghit nbda projet dyal tbakh l3ers f tanja", lang.ARY,
			[]string{"stages:creation", "sectors:agrifood", "provinces:tanger-assilah"}},
		{"أحتاج إلى قرض لشراء آلة لعصر الزيتون", lang.AR, []string{"needs:funding.microcredit", "sectors:agrifood"}},
		{"بغيت نحل شي بيرو ديال الترجمة فطنجة", lang.ARY,
			[]string{"needs:premises", "stages:creation", "sectors:services", "provinces:tanger-assilah"}},
		{"بغيت نخدم فالديليفري فتطوان", lang.ARY, []string{"sectors:services", "provinces:tetouan"}},
		{"أنا معاق وأرغب في فتح كشك", lang.AR, []string{"stages:creation", "publics:disabled", "sectors:commerce"}},
		{"bghit nakhod 9ard l tlamid dyal jami3a", lang.ARY, []string{"needs:funding.microcredit", "publics:youth"}},
		{"bghit ntlaqa m3a mostatmirin", lang.ARY, []string{"needs:networking", "needs:funding"}},
		{"bghit nsjjel charika dyali f tanja", lang.ARY,
			[]string{"needs:legal", "forms:company", "provinces:tanger-assilah"}},
	})
}

// TestUnderstandFeminine checks that a woman is heard from the feminine form
// she uses of herself (étudiante, طالبة, m3a9a, ana khdama).
func TestUnderstandFeminine(t *testing.T) {
	checkUnderstand(t, []understandCase{
		// French and Arabic feminine nouns.
		{"je suis etudiante a tetouan et je veux creer une appli", lang.FR,
			[]string{"stages:creation", "publics:youth", "publics:women", "sectors:digital", "provinces:tetouan"}},
		{"أنا طالبة في الماستر وأفكر في مشروع في مجال الطاقات المتجددة", lang.AR,
			[]string{"stages:idea", "publics:youth", "publics:women", "publics:graduates", "sectors:environment"}},
		{"أنا مقاولة شابة من تطوان وأبحث عن تمويل لتوسيع مشروعي", lang.AR,
			[]string{"needs:funding", "stages:development", "publics:women", "publics:youth", "provinces:tetouan"}},
		{"السلام، أنا مهاجرة من الكوت ديفوار، عايشة فطنجة وكنطيب الماكلة", lang.AR,
			[]string{"publics:migrants", "publics:women", "sectors:agrifood", "provinces:tanger-assilah"}},
		// Darija: feminine adjectives and verbs, "my wife".
		{"ana m3a9a w kankhayet f dar", lang.ARY, []string{"publics:disabled", "publics:women", "sectors:crafts"}},
		{"mrati katkhyat w bghat tbi3 f facebook", lang.ARY,
			[]string{"needs:marketing", "publics:women", "sectors:crafts"}},
		{"ana khdama f lkhiyata bla papiers f fnidaq", lang.ARY,
			[]string{"needs:legal", "forms:informal", "publics:women", "sectors:crafts", "provinces:mdiq-fnideq"}},
		{"ana chaba 3andi 26 3am mn tetouan, bghit nft7 salon de coiffure", lang.ARY,
			[]string{"stages:creation", "publics:youth", "publics:women", "sectors:services", "provinces:tetouan"}},
		// Women who carried goods from Ceuta: informal work.
		{"kont khdama f tahrib f bab sebta w daba bghit ndir mchrou f fnideq", lang.ARY,
			[]string{"stages:creation", "forms:informal", "publics:women", "provinces:mdiq-fnideq"}},
		{"كنت خدامة فالتهريب المعيشي وبغيت نبدا مشروع فالفنيدق", lang.ARY,
			[]string{"stages:creation", "forms:informal", "publics:women", "provinces:mdiq-fnideq"}},
		// French past participles in -ée, kept apart from -é.
		{"je suis diplômée en gestion et je cherche un financement", lang.FR,
			[]string{"needs:funding", "needs:management", "publics:graduates", "publics:women"}},
		{"nous sommes diplômées et voulons créer une coopérative", lang.FR,
			[]string{"stages:creation", "forms:cooperative", "publics:graduates", "publics:women"}},
		{"je suis handicapée et je veux ouvrir une épicerie", lang.FR,
			[]string{"stages:creation", "publics:disabled", "publics:women", "sectors:commerce"}},
		// The masculine says no woman, where -ée used to read as -é.
		{"je suis diplômé en gestion et je cherche un financement", lang.FR,
			[]string{"needs:funding", "needs:management", "publics:graduates"}},
		{"je suis divorcé et je veux créer une entreprise", lang.FR, []string{"stages:creation"}},
	})
}

// TestUnderstandPlainPhrases checks stages, forms and needs said with plain
// verbs ("ndir t3awniya", "j'ai une entreprise", "je voudrais savoir").
func TestUnderstandPlainPhrases(t *testing.T) {
	checkUnderstand(t, []understandCase{
		// Creating, said with a plain verb or with a typo.
		{"slt je ve cree une cooperative de femme a chefchaouen", lang.FR,
			[]string{"stages:creation", "forms:cooperative", "publics:women", "provinces:chefchaouen"}},
		{"je veux faire un projet d'elevage de poulets a Asilah", lang.FR,
			[]string{"stages:creation", "sectors:agriculture", "provinces:tanger-assilah"}},
		{"Quelles aides pour les personnes à mobilité réduite qui veulent entreprendre ?", lang.FR,
			[]string{"needs:funding.grant", "stages:creation", "publics:disabled"}},
		{"ختي معاقة وبغات تدير مشروع فالدار", lang.ARY,
			[]string{"stages:creation", "publics:disabled", "publics:women"}},
		// Making a cooperative, an association or a company is creating one.
		{"بغينا نديرو تعاونية ديال الزيت البلدية فوزان", lang.ARY,
			[]string{"stages:creation", "forms:cooperative", "sectors:agrifood", "provinces:ouezzane"}},
		{"bghina nsawbo jamiya f douar dyalna", lang.ARY,
			[]string{"stages:creation", "forms:association", "publics:rural", "areas:rural"}},
		{"bghina nkawno t3awniya dyal nsa f bab taza", lang.ARY,
			[]string{"stages:creation", "forms:cooperative", "publics:women", "provinces:chefchaouen"}},
		{"kankhdem f chantier, bghit ndir charika dyal lbni", lang.ARY,
			[]string{"stages:creation", "forms:company", "sectors:services"}},
		{"ana mra mn imzouren bghit ndir t3awniya dyal lkskso", lang.ARY,
			[]string{"stages:creation", "forms:cooperative", "publics:women", "sectors:agrifood", "provinces:al-hoceima"}},
		// A business one has or runs is in development.
		{"J'ai une entreprise de BTP à Tanger et je veux répondre aux appels d'offres", lang.FR,
			[]string{"needs:procurement", "stages:development", "sectors:services", "provinces:tanger-assilah"}},
		{"Mon mari et moi avons une petite ferme a Bni Arous", lang.FR,
			[]string{"stages:development", "sectors:agriculture", "provinces:larache"}},
		{"أملك محلا تجاريا في الحسيمة وأرغب في توسيعه", lang.AR,
			[]string{"stages:development", "sectors:commerce", "provinces:al-hoceima"}},
		// Needs and forms said in a phrase.
		{"Je voudrais savoir comment m'inscrire à la CNSS en tant qu'auto-entrepreneur", lang.FR,
			[]string{"needs:information", "needs:legal", "forms:auto_entrepreneur"}},
		{"quels sont les programmes pour les femmes a Fahs Anjra", lang.FR,
			[]string{"needs:information", "publics:women", "provinces:fahs-anjra"}},
		{"je travaille seul comme photographe a Martil, je veux me declarer", lang.FR,
			[]string{"needs:legal", "forms:individual", "sectors:services", "provinces:mdiq-fnideq"}},
		{"Je cherche à rencontrer d'autres entrepreneurs à Tanger", lang.FR,
			[]string{"needs:networking", "provinces:tanger-assilah"}},
		{"je suis couturiere a domicile a larache et je n'ai pas de statut", lang.FR,
			[]string{"needs:legal", "forms:informal", "publics:women", "sectors:crafts", "provinces:larache"}},
		{"أريد معرفة شروط الحصول على صفة مقاول ذاتي", lang.AR,
			[]string{"needs:information", "needs:legal", "forms:auto_entrepreneur"}},
		{"كنخدم فالفراشة فالفنيدق وبغيت نولي قانوني", lang.ARY,
			[]string{"needs:legal", "forms:informal", "provinces:mdiq-fnideq"}},
		{"أرغب في تطوير وحدة لتحويل الزيتون بوزان", lang.AR,
			[]string{"stages:development", "sectors:agrifood", "sectors:agriculture", "provinces:ouezzane"}},
		// More needs, stages and forms said in a phrase.
		{"je cherche un associé pour mon projet de café à Larache", lang.FR,
			[]string{"needs:networking", "sectors:tourism", "provinces:larache"}},
		{"Je suis chômeur, je veux travailler pour moi même", lang.FR, []string{"forms:individual"}},
		{"quels sont les documents pour créer une SARL a Tanger", lang.FR,
			[]string{"needs:information", "stages:creation", "forms:company", "provinces:tanger-assilah"}},
		{"ما هي البرامج الموجهة للشباب حاملي المشاريع في العرائش؟", lang.AR,
			[]string{"needs:information", "stages:creation", "publics:youth", "provinces:larache"}},
		{"أود معرفة كيفية الاستفادة من برنامج فرصة", lang.AR, []string{"needs:information", "needs:funding"}},
		{"bghit n3rf chno homa lbaramij dyal da3m", lang.ARY, []string{"needs:information", "needs:funding.grant"}},
		{"كيف أسجل تعاونيتي لدى مكتب تنمية التعاون؟", lang.AR, []string{"needs:legal", "forms:cooperative"}},
		{"عندي ورشة ديال النجارة فوزان وبغيت نزيد ماكينة", lang.ARY,
			[]string{"stages:development", "sectors:crafts", "provinces:ouezzane"}},
		{"3ndi atelier dyal lkhyata", lang.ARY, []string{"stages:development", "sectors:crafts"}},
		{"بغيت نكون راسي فالمعلوميات", lang.ARY, []string{"needs:training", "sectors:digital"}},
		{"عندي بنت عمي بغات تحل محل ديال الخياطة فالقصر الكبير", lang.ARY,
			[]string{"needs:premises", "stages:creation", "publics:women", "sectors:crafts", "provinces:larache"}},
		{"بغيت نتعاون مع شي تعاونية", lang.ARY, []string{"needs:networking", "forms:cooperative"}},
		// French verbs with the Darija n- of "I".
		{"bghit ncréer une association culturelle f chefchaouen", lang.FR,
			[]string{"stages:creation", "forms:association", "sectors:culture", "provinces:chefchaouen"}},
		{"kifach nexporter les produits dyal la coopérative", lang.FR,
			[]string{"needs:marketing", "forms:cooperative"}},
		{"bghit ndevelopper l'activité dyali f hoceima", lang.ARY,
			[]string{"stages:development", "provinces:al-hoceima"}},
	})
}

// TestUnderstandNoFalseHits holds messages where a word used to say a need the
// sender does not have.
func TestUnderstandNoFalseHits(t *testing.T) {
	checkUnderstand(t, []understandCase{
		// Land one already has is no premises need.
		{"j'ai un terrain a ksar el kebir je veux faire des serres de fraises", lang.FR,
			[]string{"sectors:agriculture", "provinces:larache"}},
		{"3ndi l2ard f bni arous w bghit nghers zitoun", lang.ARY,
			[]string{"sectors:agriculture", "provinces:larache"}},
		{"عندي أرض فالبادية وبغيت نديرها مشروع فلاحي", lang.ARY,
			[]string{"stages:creation", "publics:rural", "sectors:agriculture", "areas:rural"}},
		{"bghit nfrch lmahal dyali", lang.ARY, []string{"stages:development"}},
		// The souk is where one sells, not a marketing need.
		{"ana mn castillejos, kanbi3 lhwayj f souk", lang.ARY, []string{"sectors:commerce", "provinces:mdiq-fnideq"}},
		{"le souk de chefchaouen est le lundi", lang.FR, []string{"provinces:chefchaouen"}},
		{"واش السوق كاين نهار الحد", lang.ARY, nil},
		{"bghit nakhod blasa f souk l7ed f tetouan", lang.ARY, []string{"needs:premises", "provinces:tetouan"}},
		{"3andi 7anout d lhwayj f souk dyal fnideq w bghit nwase3ha", lang.ARY,
			[]string{"stages:development", "sectors:commerce", "provinces:mdiq-fnideq"}},
		// A beauty salon is no fair; an OFPPT diploma is no training need; carrying
		// one's goods is no transport business.
		{"ana bent mn lfnide9 w bghit nft7 salon d'esthetique", lang.ARY,
			[]string{"stages:creation", "publics:women", "sectors:services", "provinces:mdiq-fnideq"}},
		{"ana khrij ofppt f informatique w bghit nkhdem m3a rasi", lang.ARY,
			[]string{"forms:individual", "publics:graduates", "sectors:digital"}},
		{"نحن تعاونية فلاحية بإقليم العرائش ونحتاج إلى شاحنة لنقل المنتوج", lang.AR,
			[]string{"forms:cooperative", "sectors:agriculture", "provinces:larache"}},
		// An accountant is no coach; كتعاون (she helps) is no networking; jdad
		// is also "new"; lycee is no l+ICE.
		{"aide pour trouver un expert comptable a al hoceima", lang.FR,
			[]string{"needs:management", "provinces:al-hoceima"}},
		{"كاين شي جمعية كتعاون الشباب يلقاو الخدمة؟", lang.ARY, []string{"forms:association", "publics:youth"}},
		{"الشركة ديالي فطنجة وبغيت نلقى كليان جداد", lang.ARY,
			[]string{"needs:marketing", "forms:company", "provinces:tanger-assilah"}},
		{"bghit nl9a klyan jdad", lang.ARY, []string{"needs:marketing"}},
		{"ana tlmid f lycee", lang.ARY, []string{"publics:youth"}},
		// A local one has is no premises need; going back to the start is no creation.
		{"3ndi un local f fnideq w bghit ndir fih un snack", lang.ARY,
			[]string{"stages:development", "sectors:tourism", "provinces:mdiq-fnideq"}},
		{"بغيت نرجع للبداية", lang.ARY, nil},
	})
}

// selfCase is what a message says of its writer: publics they belong to
// (in Codes) and publics they are not of (in Not).
type selfCase struct {
	text    string
	lang    lang.Lang
	publics []string // Codes.Publics
	not     []string // Not.Publics
}

// TestUnderstandSelf: what people say about themselves, both ways, in
// French, Arabic and Darija in both scripts (issue 13).
func TestUnderstandSelf(t *testing.T) {
	lx := Default()
	for _, tc := range []selfCase{
		// gender
		{"je suis un homme", lang.FR, nil, []string{"women"}},
		{"ana rajel w bghit nkhdem", lang.ARY, nil, []string{"women"}},
		{"ana rajl", lang.ARY, nil, []string{"women"}},
		{"أنا رجل", lang.AR, nil, []string{"women"}},
		{"أنا راجل وبغيت نخدم", lang.ARY, nil, []string{"women"}},
		{"راجل", lang.ARY, nil, []string{"women"}},
		{"je suis une femme", lang.FR, []string{"women"}, nil},
		{"ana mra", lang.ARY, []string{"women"}, nil},
		{"أنا امرأة", lang.AR, []string{"women"}, nil},
		{"أنا مرا", lang.ARY, []string{"women"}, nil},
		{"ana chab 3ndi 20 3am", lang.ARY, []string{"youth"}, []string{"women"}},
		{"أنا شاب وبغيت نخدم", lang.ARY, []string{"youth"}, []string{"women"}},
		// Women one works with make a women's project, not the writer's gender.
		{"je travaille avec des femmes du douar", lang.FR, []string{"women", "rural"}, nil},
		{"coopérative féminine", lang.FR, []string{"women"}, nil},
		// age
		{"j'ai 50 ans", lang.FR, nil, []string{"youth"}},
		{"3andi 45 3am", lang.ARY, nil, []string{"youth"}},
		{"عمري 52 سنة", lang.AR, nil, []string{"youth"}},
		{"أنا راجل وعمري 50 عام", lang.ARY, nil, []string{"women", "youth"}},
		{"je suis un homme de 52 ans", lang.FR, nil, []string{"women", "youth"}},
		{"une femme de 60 ans", lang.FR, []string{"women"}, []string{"youth"}},
		{"j'ai 24 ans", lang.FR, []string{"youth"}, nil},
		{"3andi 22 3am", lang.ARY, []string{"youth"}, nil},
		{"أبلغ من العمر 24 سنة", lang.AR, []string{"youth"}, nil},
		{"j'ai 40 ans d'expérience", lang.FR, nil, nil},
		// graduates
		{"je ne suis pas diplômé", lang.FR, nil, []string{"graduates"}},
		{"je suis pas diplômée", lang.FR, []string{"women"}, []string{"graduates"}},
		{"sans diplôme", lang.FR, nil, []string{"graduates"}},
		{"ma 3ndich diplôme", lang.ARY, nil, []string{"graduates"}},
		{"ماعنديش ديبلوم", lang.ARY, nil, []string{"graduates"}},
		{"لست حاصلا على أي شهادة", lang.AR, nil, []string{"graduates"}},
		{"diplômé en informatique", lang.FR, []string{"graduates"}, nil},
		{"j'ai une licence", lang.FR, []string{"graduates"}, nil},
		{"j'ai un master", lang.FR, []string{"graduates"}, nil},
		{"j'ai un BTS", lang.FR, []string{"graduates"}, nil},
		{"أنا حاصل على الإجازة", lang.AR, []string{"graduates"}, nil},
		{"أنا خريج", lang.AR, []string{"graduates"}, nil},
		{"3andi licence", lang.ARY, []string{"graduates"}, nil},
		{"ana mjaz", lang.ARY, []string{"graduates"}, nil},
		// disability
		{"je n'ai pas de handicap", lang.FR, nil, []string{"disabled"}},
		{"لا أعاني من أي إعاقة", lang.AR, nil, []string{"disabled"}},
		{"ma 3ndich i3aqa", lang.ARY, nil, []string{"disabled"}},
		{"أنا ماشي معاق", lang.ARY, nil, []string{"disabled"}},
		{"je suis handicapé", lang.FR, []string{"disabled"}, nil},
		{"en situation de handicap", lang.FR, []string{"disabled"}, nil},
		{"3andi i3aqa", lang.ARY, []string{"disabled"}, nil},
		{"عندي إعاقة", "", []string{"disabled"}, nil}, // عندي is both
		{"معاق", lang.AR, []string{"disabled"}, nil},
		{"je suis malvoyant", lang.FR, []string{"disabled"}, nil},
		{"je suis en fauteuil", lang.FR, []string{"disabled"}, nil},
		// migrants
		{"je suis migrant", lang.FR, []string{"migrants"}, nil},
		{"je suis réfugié", lang.FR, []string{"migrants"}, nil},
		{"je viens du Sénégal", lang.FR, []string{"migrants"}, nil},
		{"je viens de Guinée", lang.FR, []string{"migrants"}, nil},
		{"je viens du Cameroun", lang.FR, []string{"migrants"}, nil},
		{"je suis subsaharien", lang.FR, []string{"migrants"}, nil},
		{"أنا مهاجر", lang.AR, []string{"migrants"}, nil},
		{"أنا لاجئ", lang.AR, []string{"migrants"}, nil},
		{"ana mhajer", lang.ARY, []string{"migrants"}, nil},
		{"rje3t mn sbanya", lang.ARY, []string{"migrants"}, nil},
		// said both ways: unknown
		{"je suis une femme, enfin je suis un homme", lang.FR, nil, nil},
		// a refusal of a need is no negative public; "ma 3ndich lflous" is a funding need
		{"je ne veux pas de crédit", lang.FR, nil, nil},
	} {
		got := lx.Understand(tc.text)
		if tc.lang != "" && got.Lang != tc.lang {
			t.Errorf("%q: lang %s, want %s", tc.text, got.Lang, tc.lang)
		}
		if g := got.Codes.Normalized().Publics; !slices.Equal(g, sorted(tc.publics)) {
			t.Errorf("%q: publics %v, want %v (matched %q)", tc.text, g, tc.publics, got.Matched)
		}
		if g := got.Not.Normalized().Publics; !slices.Equal(g, sorted(tc.not)) {
			t.Errorf("%q: not %v, want %v (matched %q)", tc.text, g, tc.not, got.Matched)
		}
	}
	if got := lx.Understand("ma 3ndich lflous").Codes.Needs; !slices.Equal(got, []string{"funding"}) {
		t.Errorf(`"ma 3ndich lflous": needs %v, want [funding]`, got)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestUnderstandOutside: a place of Morocco outside the region is reported
// (Result.Outside) apart from the provinces, in every language.
func TestUnderstandOutside(t *testing.T) {
	lx := Default()
	for text, want := range map[string]string{
		"un café à Fès":                                    "fes",
		"je veux ouvrir un snack à Rabat":                  "rabat",
		"Agadir":                                           "agadir",
		"بغيت نفتح مقهى فكازا":                             "كازا",
		"bghit n7el mahal f casa":                          "casa",
		"مشروعي في الدار البيضاء":                          Normalize("الدار البيضاء"),
		"je vis à Casablanca mais mon projet est à Tanger": "casablanca",
		// the region's own towns, and words that are also town names
		"je veux ouvrir un café à Tétouan":   "",
		"Bab Taza":                           "",
		"safi, bghit 9ard":                   "",
		"الجمعية الجديدة":                    "",
		"Tanger-Tétouan-Al Hoceïma":          "",
		"une table sale":                     "",
		"Moulay Bousselham, près de Larache": "moulay bousselham",
	} {
		if got := lx.Understand(text).Outside; got != want {
			t.Errorf("Understand(%q).Outside = %q, want %q", text, got, want)
		}
	}
	// Not printed by `dalil understand`.
	res := lx.Understand("je suis un homme de 50 ans à Fès")
	j, err := res.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if res.Not.Empty() || res.Outside == "" || strings.Contains(string(j), "fes") || strings.Contains(string(j), "not") {
		t.Errorf("JSON %s (Not %v, Outside %q): want Not and Outside set and left out", j, res.Not, res.Outside)
	}
}

// TestUnderstandNotFalseHits: a negative fact must be sure, or a woman
// would miss the services reserved to women.
func TestUnderstandNotFalseHits(t *testing.T) {
	lx := Default()
	for _, text := range []string{
		"الراجل ديالي مات وبغيت نخدم",
		"rajli mat w bghit nkhdem",
		"je cherche un homme de confiance pour m'aider",
		"3andi mochkil f rjli",
		"ma 3ndich lflous",
		"je n'ai pas de local",
		"ماعنديش الوقت",
		"j'ai 3 enfants",
		"3ndi 50 ras dyal lghanam",
		"j'ai 40 ans d'expérience",
	} {
		if got := lx.Understand(text).Not; !got.Empty() {
			t.Errorf("%q: Not %v, want nothing", text, got)
		}
	}
}
