package nlu

import (
	"testing"

	"github.com/dalil-tt/dalil/dialog/lang"
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
			[]string{"needs:training", "needs:management", "publics:women", "provinces:larache"}},
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
		{"J'ai 35 ans et 2 enfants", lang.FR, []string{"publics:youth"}},
		{"J'ai 45 ans et 2 enfants", lang.FR, nil},
		{"Artisan depuis 20 ans", lang.FR, []string{"sectors:crafts"}},
		{"Bonjour", lang.FR, nil},
	})
}

func TestUnderstandArabic(t *testing.T) {
	checkUnderstand(t, []understandCase{
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
			[]string{"forms:association", "sectors:crafts", "provinces:al-hoceima"}},
		{"machrou3 dyal siya7a f lbadiya 9rib l larache", lang.ARY,
			[]string{"sectors:tourism", "publics:rural", "areas:rural", "provinces:larache"}},
		{"bghit nbi3 lmontoj dyali f facebook", lang.ARY, []string{"needs:marketing"}},
		{"kifach ndkhol l sfa9at? 3andi charika f tanja", lang.ARY,
			[]string{"needs:procurement", "stages:development", "forms:company", "provinces:tanger-assilah"}},
		{"bghit nakhod flous bla fayda", lang.ARY, []string{"needs:funding"}},
		{"salam, 3andi 24 3am w bghit n9ra chi 7aja", lang.ARY, []string{"publics:youth", "needs:training"}},
		{"3afak fin kayn chi local f fnideq?", lang.ARY, []string{"needs:premises", "provinces:mdiq-fnideq"}},
	})
}
