package staff

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"
)

// The console's own strings, in French and Modern Standard Arabic (the
// staff's working languages). They are kept here rather than in locales/,
// which holds what project holders read.
var messages = map[string]map[string]string{
	"fr": {
		"title.tree": "Arbre de questions", "title.lexicon": "Lexique", "title.catalogue": "Catalogue",
		"title.handoffs": "Relais aux conseillers", "title.audit": "Journal", "title.login": "Connexion",
		"title.diff": "Différences", "title.service": "Service", "title.match": "Orientation",
		"nav.label": "Sections", "nav.tree": "Arbre", "nav.lexicon": "Lexique", "nav.catalogue": "Catalogue",
		"nav.handoffs": "Relais", "nav.audit": "Journal",
		"nav.requests": "Demandes", "nav.group": "Groupe Telegram", "role.partner": "organisation partenaire",
		"title.requests": "Demandes reçues", "title.group": "Groupe Telegram",
		"req.title": "Demandes envoyées par des porteurs de projet", "req.off": "Les demandes ne sont pas connectées à cette console.",
		"req.org": "Organisation", "req.show": "Afficher", "req.none": "Aucune demande pour l'instant.",
		"req.id": "N°", "req.sent": "Envoyée (UTC)", "req.service": "Service", "req.person": "Ce que la personne a partagé",
		"req.status": "Où elle en est", "req.actions": "Répondre", "req.reason": "Raison",
		"req.noreason":    "Choisissez la raison du refus.",
		"req.overdue":     "En retard : sans réponse après le rappel",
		"req.status.sent": "en attente de réponse", "req.status.accepted": "acceptée", "req.status.declined": "déclinée",
		"req.status.contacted": "personne contactée", "req.status.helped": "terminée : aidée", "req.status.not_helped": "terminée : pas aidée",
		"req.status.lapsed": "sans réponse dans le délai", "req.status.withdrawn": "retirée par la personne",
		"req.reason.not_eligible": "non éligible", "req.reason.full": "plus de places", "req.reason.not_our_area": "hors de notre zone", "req.reason.other": "autre raison",
		"req.act.accept": "Accepter", "req.act.decline": "Décliner", "req.act.contacted": "Personne contactée",
		"req.act.helped": "Clos : personne aidée", "req.act.not_helped": "Clos : non aidée",
		"done.acted":       "C'est noté : la personne en est informée.",
		"done.actednotold": "C'est noté, mais la personne n'a pas pu être prévenue pour l'instant : elle verra la réponse en consultant ses demandes (/requests).", "done.stale": "Cette demande avait déjà changé : la liste montre où elle en est.",
		"done.grouplang": "Langue du groupe enregistrée.", "done.nogroup": "Reliez d'abord un groupe Telegram.",
		"group.title": "Groupe Telegram de l'organisation", "group.linked": "Un groupe Telegram est relié ; les demandes y arrivent en %s.",
		"group.notlinked": "Aucun groupe Telegram n'est relié : les demandes arrivent seulement ici, dans la console.",
		"group.lang.fr":   "français", "group.lang.ar": "arabe", "group.langlabel": "Langue du groupe", "group.setlang": "Changer la langue",
		"group.badlang": "Langue inconnue : français ou arabe.", "group.codetitle": "Relier un groupe",
		"group.howto":   "Ajoutez Dalil à votre groupe Telegram, obtenez un code ci-dessous et envoyez-le dans le groupe. Le code sert une seule fois, pendant 24 heures ; relier un nouveau groupe remplace l'ancien.",
		"group.newcode": "Obtenir un code", "group.codeshow": "Envoyez ce message dans votre groupe Telegram :",
		"group.codeonce": "Ce code n'est affiché qu'une fois.",
		"logout":         "Se déconnecter", "back": "← Retour",
		"role.editor": "éditeur", "role.adviser": "conseiller", "role.viewer": "lecture seule",
		"login.title": "Console du personnel", "login.email": "Adresse e-mail", "login.password": "Mot de passe",
		"login.submit": "Se connecter", "login.failed": "E-mail ou mot de passe incorrect.",
		"login.throttled": "Trop de tentatives : réessayez dans un quart d'heure.",
		"done.published":  "Version %s publiée : les bots en service l'utilisent dans les secondes qui viennent.",
		"done.rolledback": "Retour arrière fait : la version %s est en ligne.",
		"done.unchanged":  "Rien n'a changé.", "done.saved": "Service enregistré.",
		"trees.tree": "Arbre de questions", "trees.lexicon": "Lexique du texte libre",
		"trees.live": "En ligne : version %s", "trees.builtin": "En ligne : la version intégrée au programme (rien de publié encore).",
		"trees.edit": "Modifier (YAML)", "trees.upload": "Charger un fichier", "trees.check": "Vérifier",
		"trees.comment": "Commentaire", "trees.publish": "Publier",
		"trees.problems": "Vérification", "trees.nproblems": "%s problème(s) : corrigez-les avant de publier.",
		"trees.noproblem": "Aucun problème.", "trees.diagram": "Schéma de l'arbre",
		"trees.refused":   "Publication refusée : le validateur a trouvé des problèmes.",
		"trees.unchanged": "Ce contenu est déjà la version en ligne.",
		"trees.conflict":  "La version %s a été publiée par %s depuis que vous avez commencé : publier maintenant l'écraserait. Comparez-la (Versions) ; publier à nouveau confirmera.",
		"trees.toolarge":  "Refusé : le contenu fait %s Kio, plus que les %s Kio que la console accepte.",
		"trees.toomany":   "Refusé : l'arbre a %s nœuds, plus que les %s que la console accepte.",
		"form.toolarge":   "Refusé : le formulaire dépasse %s Mio.",
		"request.timeout": "La demande a pris trop de temps et a été arrêtée : réessayez avec moins de données.",
		"trees.versions":  "Versions", "trees.noversions": "Aucune version publiée.",
		"v.n": "Version", "v.date": "Date (UTC)", "v.author": "Auteur", "v.comment": "Commentaire", "v.hash": "Empreinte",
		"v.live": "en ligne", "v.restores": "contenu de la version %s", "v.open": "Ouvrir", "v.diff": "Différences",
		"v.rollback": "Revenir à cette version",
		"sim.title":  "Simulateur de conversation", "sim.lang": "Langue", "sim.start": "Démarrer / recommencer",
		"sim.say": "Écrire un message…", "sim.send": "Envoyer", "sim.fix": "Corrigez les problèmes de l'arbre pour le simuler.",
		"sim.broken":  "La simulation a échoué : recommencez-la.",
		"sim.adviser": "[le bot passerait la main à un conseiller]", "sim.forget": "[le bot effacerait tout ce qu'il garde]",
		"sim.noref": "[aucun service ne correspond]",
		"lex.try":   "Essayer le lexique", "lex.understand": "Comprendre",
		"diff.title": "Différences", "diff.same": "Les deux versions sont identiques.",
		"diff.added": "Nœuds ajoutés :", "diff.removed": "Nœuds supprimés :", "diff.changed": "Nœuds modifiés :",
		"cat.title": "Catalogue", "cat.none": "Aucun catalogue PostgreSQL n'est connecté.",
		"cat.count": "%s services actifs sur %s.", "cat.search": "Rechercher", "cat.nohit": "Aucun service trouvé.",
		"cat.match": "Tester une orientation →", "cat.files": "Fichiers", "cat.exportcsv": "Exporter en CSV",
		"cat.exporthsds": "Exporter en HSDS (JSON)", "cat.import": "Importer un catalogue CSV complet",
		"cat.importnote": "Tout ou rien : chaque ligne est vérifiée ; les services absents du fichier sont désactivés.",
		"cat.importgo":   "Importer", "cat.refused": "Refusé : corrigez les erreurs indiquées.",
		"cat.conflict": "Ce service a été modifié par quelqu'un d'autre depuis l'ouverture de la page : vérifiez ses valeurs actuelles (rechargez la page) ; enregistrer à nouveau remplacera sa version.",
		"cat.report":   "Importé : %s services, %s nouveaux, %s modifiés, %s inchangés, %s désactivés.",
		"cat.stale":    "Lignes non vérifiées depuis plus de %s jours", "cat.nostale": "Toutes les lignes ont été vérifiées récemment.",
		"cat.service": "Service", "cat.org": "Organisation", "cat.checked": "Dernière vérification", "cat.never": "jamais",
		"svc.title": "Service", "svc.save": "Enregistrer", "svc.inactive": "inactif",
		"match.title": "Tester une orientation", "match.go": "Orienter", "match.none": "Aucun service.",
		"match.relaxed": "Critères relâchés :",
		"facet.needs":   "Besoin", "facet.stages": "Stade", "facet.forms": "Forme juridique", "facet.publics": "Public",
		"facet.sectors": "Secteur", "facet.provinces": "Province", "facet.areas": "Milieu",
		"handoffs.title":   "Relais aux conseillers",
		"handoffs.none":    "Le relais aux conseillers n'est pas encore branché sur la console : rien à afficher.",
		"handoffs.waiting": "En attente d'un conseiller", "handoffs.open": "Ouvertes (un conseiller a répondu)",
		"handoffs.nowaiting": "Personne n'attend.", "handoffs.noopen": "Aucune conversation ouverte.",
		"handoffs.opened": "Demandée le (UTC)", "handoffs.lang": "Langue", "handoffs.needs": "Besoins",
		"handoffs.wait": "Attente", "handoffs.first": "Première réponse après",
		"handoffs.stats": "Sur %s jours : %s réponses, délai médian avant la première réponse : %s ; %s conversations closes.",
		"audit.title":    "Journal des modifications", "audit.who": "Qui", "audit.what": "Action", "audit.detail": "Détail",
	},
	"ar": {
		"title.tree": "شجرة الأسئلة", "title.lexicon": "المعجم", "title.catalogue": "فهرس الخدمات",
		"title.handoffs": "الإحالة إلى المستشارين", "title.audit": "السجل", "title.login": "تسجيل الدخول",
		"title.diff": "الفروق", "title.service": "الخدمة", "title.match": "التوجيه",
		"nav.label": "الأقسام", "nav.tree": "الشجرة", "nav.lexicon": "المعجم", "nav.catalogue": "الفهرس",
		"nav.handoffs": "الإحالات", "nav.audit": "السجل",
		"nav.requests": "الطلبات", "nav.group": "مجموعة تيليغرام", "role.partner": "مؤسسة شريكة",
		"title.requests": "الطلبات الواردة", "title.group": "مجموعة تيليغرام",
		"req.title": "الطلبات التي أرسلها حاملو المشاريع", "req.off": "الطلبات غير موصولة بهذه اللوحة.",
		"req.org": "المؤسسة", "req.show": "عرض", "req.none": "لا توجد طلبات حتى الآن.",
		"req.id": "الرقم", "req.sent": "تاريخ الإرسال (UTC)", "req.service": "الخدمة", "req.person": "ما شاركه صاحب الطلب",
		"req.status": "وضعية الطلب", "req.actions": "الرد", "req.reason": "السبب",
		"req.noreason":    "اختاروا سبب الاعتذار.",
		"req.overdue":     "متأخر: لم يُرَدّ عليه بعد التذكير",
		"req.status.sent": "في انتظار الرد", "req.status.accepted": "مقبول", "req.status.declined": "معتذر عنه",
		"req.status.contacted": "تم الاتصال بصاحبه", "req.status.helped": "انتهى: تمت المساعدة", "req.status.not_helped": "انتهى: لم تتم المساعدة",
		"req.status.lapsed": "لم يصل رد في الأجل", "req.status.withdrawn": "سحبه صاحبه",
		"req.reason.not_eligible": "غير مستوفٍ للشروط", "req.reason.full": "لا توجد أماكن شاغرة", "req.reason.not_our_area": "خارج منطقة تدخّلنا", "req.reason.other": "سبب آخر",
		"req.act.accept": "قبول", "req.act.decline": "اعتذار", "req.act.contacted": "تم الاتصال",
		"req.act.helped": "انتهى: تمت المساعدة", "req.act.not_helped": "انتهى: لم تتم المساعدة",
		"done.acted":       "تم التسجيل، وسيُبلَّغ صاحب الطلب بذلك.",
		"done.actednotold": "تم التسجيل، لكن تعذّر إبلاغ صاحب الطلب حالياً: سيرى الرد عند اطلاعه على طلباته (/requests).", "done.stale": "سبق أن تغيّر هذا الطلب: القائمة تبيّن وضعه الحالي.",
		"done.grouplang": "حُفظت لغة المجموعة.", "done.nogroup": "اربطوا أولاً مجموعة تيليغرام.",
		"group.title": "مجموعة تيليغرام الخاصة بالمؤسسة", "group.linked": "توجد مجموعة تيليغرام مرتبطة، وتصلها الطلبات بـ%s.",
		"group.notlinked": "لا توجد مجموعة تيليغرام مرتبطة: تصل الطلبات إلى هذه اللوحة فقط.",
		"group.lang.fr":   "الفرنسية", "group.lang.ar": "العربية", "group.langlabel": "لغة المجموعة", "group.setlang": "تغيير اللغة",
		"group.badlang": "لغة غير معروفة: الفرنسية أو العربية.", "group.codetitle": "ربط مجموعة",
		"group.howto":   "أضيفوا «دليل» إلى مجموعتكم على تيليغرام، واحصلوا على رمز أدناه ثم أرسلوه في المجموعة. يصلح الرمز مرة واحدة خلال 24 ساعة، وربط مجموعة جديدة يعوّض المجموعة السابقة.",
		"group.newcode": "الحصول على رمز", "group.codeshow": "أرسلوا هذه الرسالة في مجموعتكم على تيليغرام:",
		"group.codeonce": "لا يُعرض هذا الرمز إلا مرة واحدة.",
		"logout":         "تسجيل الخروج", "back": "→ رجوع",
		"role.editor": "محرر", "role.adviser": "مستشار", "role.viewer": "اطلاع فقط",
		"login.title": "فضاء فريق المنصة", "login.email": "البريد الإلكتروني", "login.password": "كلمة المرور",
		"login.submit": "دخول", "login.failed": "البريد الإلكتروني أو كلمة المرور غير صحيحة.",
		"login.throttled": "محاولات كثيرة: أعد المحاولة بعد ربع ساعة.",
		"done.published":  "نُشرت النسخة %s، وستعتمدها الروبوتات العاملة خلال ثوانٍ.",
		"done.rolledback": "تم الرجوع: النسخة %s هي المعتمدة الآن.",
		"done.unchanged":  "لم يتغير شيء.", "done.saved": "حُفظت الخدمة.",
		"trees.tree": "شجرة الأسئلة", "trees.lexicon": "معجم النص الحر",
		"trees.live": "المعتمدة الآن: النسخة %s", "trees.builtin": "المعتمدة الآن: النسخة المدمجة في البرنامج (لم يُنشر شيء بعد).",
		"trees.edit": "تعديل (YAML)", "trees.upload": "تحميل ملف", "trees.check": "تحقّق",
		"trees.comment": "تعليق", "trees.publish": "نشر",
		"trees.problems": "التحقق", "trees.nproblems": "%s مشكلة: صحّحها قبل النشر.",
		"trees.noproblem": "لا توجد أي مشكلة.", "trees.diagram": "رسم الشجرة",
		"trees.refused":   "رُفض النشر: وجد المدقق مشاكل.",
		"trees.unchanged": "هذا المحتوى هو النسخة المعتمدة أصلاً.",
		"trees.conflict":  "نُشرت النسخة %s من طرف %s منذ أن بدأت: النشر الآن سيلغيها. قارنها (النسخ)؛ النشر مرة أخرى يؤكد ذلك.",
		"trees.toolarge":  "مرفوض: حجم المحتوى %s كيلوبايت، وهو أكبر من %s كيلوبايت التي تقبلها الواجهة.",
		"trees.toomany":   "مرفوض: في الشجرة %s عقدة، وهو أكثر من %s التي تقبلها الواجهة.",
		"form.toolarge":   "مرفوض: الاستمارة أكبر من %s ميغابايت.",
		"request.timeout": "استغرق الطلب وقتًا طويلًا فتوقّف: أعد المحاولة ببيانات أقل.",
		"trees.versions":  "النسخ", "trees.noversions": "لم تُنشر أي نسخة.",
		"v.n": "النسخة", "v.date": "التاريخ (UTC)", "v.author": "الناشر", "v.comment": "تعليق", "v.hash": "البصمة",
		"v.live": "معتمدة", "v.restores": "محتوى النسخة %s", "v.open": "فتح", "v.diff": "الفروق",
		"v.rollback": "الرجوع إلى هذه النسخة",
		"sim.title":  "محاكي المحادثة", "sim.lang": "اللغة", "sim.start": "ابدأ / أعد من البداية",
		"sim.say": "اكتب رسالة…", "sim.send": "إرسال", "sim.fix": "صحّح مشاكل الشجرة لتجربتها.",
		"sim.broken":  "فشلت المحاكاة: ابدأها من جديد.",
		"sim.adviser": "[سيحيل الروبوت المحادثة إلى مستشار]", "sim.forget": "[سيمحو الروبوت كل ما يحتفظ به]",
		"sim.noref": "[لا توجد خدمة مطابقة]",
		"lex.try":   "جرّب المعجم", "lex.understand": "افهم",
		"diff.title": "الفروق", "diff.same": "النسختان متطابقتان.",
		"diff.added": "عُقد مضافة:", "diff.removed": "عُقد محذوفة:", "diff.changed": "عُقد معدّلة:",
		"cat.title": "فهرس الخدمات", "cat.none": "لا يوجد فهرس PostgreSQL موصول.",
		"cat.count": "%s خدمة نشطة من أصل %s.", "cat.search": "بحث", "cat.nohit": "لم يُعثر على أي خدمة.",
		"cat.match": "← جرّب توجيهاً", "cat.files": "الملفات", "cat.exportcsv": "تصدير CSV",
		"cat.exporthsds": "تصدير HSDS (JSON)", "cat.import": "استيراد فهرس CSV كامل",
		"cat.importnote": "كل شيء أو لا شيء: يُفحص كل سطر، وتُعطَّل الخدمات الغائبة عن الملف.",
		"cat.importgo":   "استيراد", "cat.refused": "مرفوض: صحّح الأخطاء المذكورة.",
		"cat.conflict": "عدّل شخص آخر هذه الخدمة منذ فتح الصفحة: راجع قيمها الحالية (أعد تحميل الصفحة)؛ الحفظ مرة أخرى سيعوّض نسخته.",
		"cat.report":   "تم الاستيراد: %s خدمة، %s جديدة، %s معدلة، %s دون تغيير، %s معطلة.",
		"cat.stale":    "أسطر لم يُتحقق منها منذ أكثر من %s يوماً", "cat.nostale": "تم التحقق من كل الأسطر مؤخراً.",
		"cat.service": "الخدمة", "cat.org": "الهيئة", "cat.checked": "آخر تحقق", "cat.never": "أبداً",
		"svc.title": "الخدمة", "svc.save": "حفظ", "svc.inactive": "غير نشطة",
		"match.title": "تجربة توجيه", "match.go": "وجّه", "match.none": "لا توجد خدمة.",
		"match.relaxed": "معايير خُفّفت:",
		"facet.needs":   "الحاجة", "facet.stages": "المرحلة", "facet.forms": "الشكل القانوني", "facet.publics": "الفئة",
		"facet.sectors": "القطاع", "facet.provinces": "الإقليم", "facet.areas": "الوسط",
		"handoffs.title":   "الإحالة إلى المستشارين",
		"handoffs.none":    "لم تُربط الإحالة إلى المستشارين بهذا الفضاء بعد: لا شيء للعرض.",
		"handoffs.waiting": "في انتظار مستشار", "handoffs.open": "مفتوحة (أجاب مستشار)",
		"handoffs.nowaiting": "لا أحد في الانتظار.", "handoffs.noopen": "لا توجد محادثة مفتوحة.",
		"handoffs.opened": "تاريخ الطلب (UTC)", "handoffs.lang": "اللغة", "handoffs.needs": "الحاجات",
		"handoffs.wait": "مدة الانتظار", "handoffs.first": "أول جواب بعد",
		"handoffs.stats": "خلال %s يوماً: %s جواباً، والمدة الوسيطة قبل أول جواب: %s؛ %s محادثة مغلقة.",
		"audit.title":    "سجل التعديلات", "audit.who": "من", "audit.what": "العملية", "audit.detail": "التفاصيل",
	},
}

// tr gives the console string id in lang ("fr" or "ar"), with %s filled
// from args; an unknown id gives itself (a missing string shows, it does
// not break the page).
func tr(lang, id string, args ...any) string {
	m, ok := messages[lang][id]
	if !ok {
		if m, ok = messages["fr"][id]; !ok {
			return id
		}
	}
	if len(args) == 0 {
		return m
	}
	strs := make([]any, len(args))
	for i, a := range args {
		strs[i] = fmt.Sprint(a)
	}
	return fmt.Sprintf(m, strs...)
}

// flash turns a "done" query value ("published.3") into its message, or ""
// for anything else: the query never reaches the page as text.
func flash(lang, done string) string {
	key, arg, _ := strings.Cut(done, ".")
	if _, ok := messages["fr"]["done."+key]; !ok || done == "" {
		return ""
	}
	if arg != "" {
		if _, err := strconv.Atoi(arg); err != nil {
			return ""
		}
		return tr(lang, "done."+key, arg)
	}
	return tr(lang, "done."+key)
}

// pickName is a catalogue name in the console's language: the Arabic one
// on Arabic pages when the catalogue has it, else the French one. Templates
// put it in a <bdi> (dir="auto"): either script may come out.
func pickName(lang, fr, ar string) string {
	if lang == "ar" && ar != "" {
		return ar
	}
	if fr == "" {
		return ar
	}
	return fr
}

var funcs = template.FuncMap{
	"t":    func(id string, args ...any) string { return id }, // replaced per request
	"name": func(fr, ar string) string { return fr },          // replaced per request
	"date": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") },
	"sub":  func(a, b int) int { return a - b },
}
