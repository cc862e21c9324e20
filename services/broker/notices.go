package broker

import "github.com/sharjah-handoff/handoff/contracts"

// statusNames are the common codes as an agent would say them in Arabic.
var statusNames = map[contracts.Status]string{
	contracts.StatusSubmitted:     "مُقدَّم",
	contracts.StatusQueued:        "في قائمة الانتظار",
	contracts.StatusAccepted:      "مقبول",
	contracts.StatusInProgress:    "قيد التنفيذ",
	contracts.StatusInfoRequested: "بانتظار معلومات",
	contracts.StatusResolved:      "تمت المعالجة",
	contracts.StatusClosed:        "مغلق",
	contracts.StatusRejected:      "مرفوض",
	contracts.StatusCancelled:     "ملغى",
}

func statusName(s contracts.Status) string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return string(s)
}

// rejectionNotices are what the agent reads to the caller when a request
// cannot be handed off.
var rejectionNotices = map[string]contracts.Text{
	contracts.ReasonEmergency: {
		EN: "This is an emergency. Transfer the caller to 997 (Civil Defence emergency) now.",
		AR: "هذه حالة طارئة. حوّل المتصل فوراً إلى الرقم 997 (طوارئ الدفاع المدني)."},
	contracts.ReasonUnknownService: {
		EN: "The requested service is not in the Civil Defence catalogue.",
		AR: "الخدمة المطلوبة غير موجودة في دليل خدمات الدفاع المدني."},
	contracts.ReasonInactiveService: {
		EN: "The requested service is not offered at the moment.",
		AR: "الخدمة المطلوبة غير متاحة حالياً."},
	contracts.ReasonInvalidAttributes: {
		EN: "Some details of the request are missing or invalid; see the problems listed.",
		AR: "بعض بيانات الطلب ناقصة أو غير صحيحة؛ راجع الملاحظات المرفقة."},
	contracts.ReasonMissingLocation: {
		EN: "A location is required for this service.",
		AR: "يلزم تحديد الموقع لهذه الخدمة."},
	contracts.ReasonContractViolation: {
		EN: "The request could not be read; it does not follow the agreed format.",
		AR: "تعذرت قراءة الطلب لأنه لا يتبع الصيغة المتفق عليها."},
	contracts.ReasonNotCDService: {
		EN: "This service is handled outside the Civil Defence back office.",
		AR: "هذه الخدمة تُقدَّم خارج المكتب الخلفي للدفاع المدني."},
}

// rejectionNotice is the notice for reason; the catalogue's own notice
// (the emergency entry's) takes precedence.
func rejectionNotice(reason string, catalogue *contracts.Text) contracts.Text {
	if catalogue != nil && catalogue.AR != "" && catalogue.EN != "" {
		return *catalogue
	}
	if n, ok := rejectionNotices[reason]; ok {
		return n
	}
	return contracts.Text{EN: "The request could not be handed off.", AR: "تعذر تحويل الطلب."}
}

func finishedNotice(s contracts.Status) contracts.Text {
	return contracts.Text{
		EN: "The request is already " + string(s) + "; the change was not applied.",
		AR: "الطلب أصبح «" + statusName(s) + "»؛ لم يُطبَّق التعديل.",
	}
}

func cancelledNote() contracts.Text {
	return contracts.Text{EN: "Cancelled at the caller's request.", AR: "أُلغي الطلب بناءً على رغبة المتصل."}
}
