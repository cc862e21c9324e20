package backoffice

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sharjah-handoff/handoff/contracts"
)

// Languages of the officer's page.
const (
	LangAR = "ar"
	LangEN = "en"
)

// sharjah is the time of the officers: Gulf Standard Time, UTC+4, which
// has no daylight saving.
var sharjah = time.FixedZone("GST", 4*60*60)

var queueNames = map[string]contracts.Text{
	"inspections":   text("Inspections", "التفتيش"),
	"licensing":     text("Licensing and certificates", "التراخيص والشهادات"),
	"complaints":    text("Hazard complaints", "بلاغات المخاطر"),
	"training":      text("Training and drills", "التدريب والتمارين"),
	"customer_care": text("Customer care", "خدمة المتعاملين"),
}

func queueName(q string) contracts.Text {
	if n, ok := queueNames[q]; ok {
		return n
	}
	return text(q, q)
}

var statusNames = map[contracts.Status]contracts.Text{
	contracts.StatusSubmitted:     text("submitted", "مُقدَّم"),
	contracts.StatusQueued:        text("new", "جديد"),
	contracts.StatusAccepted:      text("accepted", "مقبول"),
	contracts.StatusInProgress:    text("in progress", "قيد التنفيذ"),
	contracts.StatusInfoRequested: text("awaiting caller", "بانتظار معلومات من المتصل"),
	contracts.StatusResolved:      text("resolved", "تمت المعالجة"),
	contracts.StatusClosed:        text("closed", "مغلق"),
	contracts.StatusRejected:      text("rejected", "مرفوض"),
	contracts.StatusCancelled:     text("cancelled by caller", "ألغاه المتصل"),
}

var actionNames = map[string]contracts.Text{
	ActionAccept:      text("Accept", "قبول"),
	ActionReject:      text("Reject", "رفض"),
	ActionAssign:      text("Assign", "إسناد"),
	ActionStart:       text("Start work", "بدء العمل"),
	ActionRequestInfo: text("Ask the caller", "طلب معلومات من المتصل"),
	ActionResolve:     text("Resolve", "إنهاء المعالجة"),
	ActionClose:       text("Close", "إغلاق"),
}

var reasonNames = map[string]contracts.Text{
	contracts.ReasonOutOfJurisdiction: text("out of jurisdiction", "خارج الاختصاص"),
	contracts.ReasonDuplicate:         text("duplicate request", "طلب مكرر"),
	contracts.ReasonInsufficientInfo:  text("insufficient information", "معلومات غير كافية"),
	contracts.ReasonNotCDService:      text("not a Civil Defence service", "ليست من خدمات الدفاع المدني"),
	contracts.ReasonResolvedElsewhere: text("resolved elsewhere", "عولج في جهة أخرى"),
	contracts.ReasonOther:             text("other", "سبب آخر"),
	contracts.ReasonCallerRequest:     text("at the caller's request", "بناءً على طلب المتصل"),
	contracts.ReasonIllegalTransition: text("change not allowed", "تغيير غير مسموح"),
}

var priorityNames = map[string]contracts.Text{
	contracts.PriorityHigh:   text("high", "عالية"),
	contracts.PriorityNormal: text("normal", "عادية"),
	contracts.PriorityLow:    text("low", "منخفضة"),
}

var kindNames = map[string]contracts.Text{
	KindOpened:    text("Ticket received", "استلام التذكرة"),
	KindAmended:   text("Caller amended the request", "عدّل المتصل الطلب"),
	KindCancelled: text("Caller cancelled the request", "ألغى المتصل الطلب"),
	KindRefused:   text("Change refused by the broker", "رفض الوسيط التغيير"),
	KindStatus:    text("Status changed", "تغيير الحالة"),
	KindAssigned:  text("Assigned", "إسناد"),
}

// words are the page's fixed texts.
var words = map[string]contracts.Text{
	"title":           text("Civil Defence back office", "المكتب الخلفي للدفاع المدني"),
	"login":           text("Log in", "تسجيل الدخول"),
	"logout":          text("Log out", "تسجيل الخروج"),
	"officer_id":      text("Officer ID", "رقم الموظف"),
	"password":        text("Password", "كلمة المرور"),
	"bad_login":       text("Unknown officer or wrong password.", "رقم الموظف أو كلمة المرور غير صحيحة."),
	"too_many":        text("Too many failed attempts; wait a few minutes.", "محاولات فاشلة كثيرة؛ انتظر بضع دقائق."),
	"queues":          text("Queues", "القوائم"),
	"queue":           text("Queue", "القائمة"),
	"depth":           text("Open tickets", "التذاكر المفتوحة"),
	"overdue":         text("Overdue", "متأخرة"),
	"oldest":          text("Oldest", "الأقدم"),
	"status":          text("Status", "الحالة"),
	"all_open":        text("All open", "كل المفتوحة"),
	"all":             text("All", "الكل"),
	"ticket":          text("Ticket", "التذكرة"),
	"request":         text("Request", "الطلب"),
	"service":         text("Service", "الخدمة"),
	"priority":        text("Priority", "الأولوية"),
	"opened":          text("Opened", "تاريخ الاستلام"),
	"due":             text("Due", "الموعد النهائي"),
	"ack_due":         text("Acknowledge by", "الإقرار قبل"),
	"resolve_due":     text("Resolve by", "المعالجة قبل"),
	"assignee":        text("Assigned to", "مسندة إلى"),
	"nobody":          text("nobody", "لا أحد"),
	"caller":          text("Caller", "المتصل"),
	"description":     text("Description", "الوصف"),
	"location":        text("Location", "الموقع"),
	"attributes":      text("Details", "التفاصيل"),
	"history":         text("History", "السجل"),
	"actions":         text("Actions", "الإجراءات"),
	"note_ar":         text("Note for the caller (Arabic)", "ملاحظة للمتصل (بالعربية)"),
	"note_en":         text("Note for the caller (English)", "ملاحظة للمتصل (بالإنجليزية)"),
	"question_ar":     text("Question for the caller (Arabic)", "سؤال للمتصل (بالعربية)"),
	"question_en":     text("Question for the caller (English)", "سؤال للمتصل (بالإنجليزية)"),
	"reason":          text("Reason", "السبب"),
	"officer":         text("Officer", "الموظف"),
	"no_tickets":      text("No tickets.", "لا توجد تذاكر."),
	"caller_replied":  text("caller replied", "ردّ المتصل"),
	"pending":         text("sending…", "جارٍ الإرسال…"),
	"version":         text("Version", "الإصدار"),
	"changed_live":    text("This ticket changed.", "تغيّرت هذه التذكرة."),
	"reload":          text("Reload", "تحديث"),
	"done":            text("Done.", "تم."),
	"public_note":     text("Note to the caller", "ملاحظة للمتصل"),
	"back":            text("Back to the queue", "العودة إلى القائمة"),
	"reference":       text("Reference", "الرقم المرجعي"),
	"lang_other":      text("العربية", "English"),
	"supervisor":      text("supervisor", "مشرف"),
	"overdue_tag":     text("overdue", "متأخرة"),
	"expected":        text("Expected resolution", "الموعد المتوقع للمعالجة"),
	"cd_code":         text("Internal code", "الرمز الداخلي"),
	"submitted_by":    text("Channel", "قناة الطلب"),
	"changed_fields":  text("changed", "تغيّر"),
	"caller_language": text("Caller's language", "لغة المتصل"),
}

// Lang renders texts in one language.
type Lang string

// T is a fixed text of the page.
func (l Lang) T(key string) string {
	if w, ok := words[key]; ok {
		return w.In(string(l))
	}
	return key
}

// Text picks the language of a bilingual text.
func (l Lang) Text(t contracts.Text) string { return t.In(string(l)) }

// Dir is the writing direction.
func (l Lang) Dir() string {
	if l == LangAR {
		return "rtl"
	}
	return "ltr"
}

// Other is the language to switch to.
func (l Lang) Other() string {
	if l == LangAR {
		return LangEN
	}
	return LangAR
}

func named[K comparable](l Lang, names map[K]contracts.Text, k K) string {
	if n, ok := names[k]; ok {
		return n.In(string(l))
	}
	return fmt.Sprint(k)
}

// Status, Action, Reason, Priority and Kind name codes.
func (l Lang) Status(s contracts.Status) string { return named(l, statusNames, s) }
func (l Lang) Action(a string) string           { return named(l, actionNames, a) }
func (l Lang) Reason(r string) string           { return named(l, reasonNames, r) }
func (l Lang) Priority(p string) string         { return named(l, priorityNames, p) }
func (l Lang) Kind(k string) string             { return named(l, kindNames, k) }
func (l Lang) Queue(q string) string            { return queueName(q).In(string(l)) }

// Time shows a moment in Sharjah time.
func (l Lang) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(sharjah).Format("2006-01-02 15:04")
}

// Age shows a duration as days, hours and minutes.
func (l Lang) Age(d time.Duration) string {
	units := [3]string{"d", "h", "m"}
	if l == LangAR {
		units = [3]string{"ي", "س", "د"}
	}
	d = d.Round(time.Minute)
	days, hours, mins := int(d.Hours())/24, int(d.Hours())%24, int(d.Minutes())%60
	switch {
	case days > 0:
		return fmt.Sprintf("%d%s %d%s", days, units[0], hours, units[1])
	case hours > 0:
		return fmt.Sprintf("%d%s %d%s", hours, units[1], mins, units[2])
	}
	return fmt.Sprintf("%d%s", mins, units[2])
}

// langOf picks the page language: the officer's choice (a cookie), else
// the browser's preference, else Arabic.
func langOf(r *http.Request) Lang {
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == LangAR || c.Value == LangEN) {
		return Lang(c.Value)
	}
	if al := strings.ToLower(r.Header.Get("Accept-Language")); strings.HasPrefix(al, "en") {
		return LangEN
	}
	return LangAR
}

const langCookie = "bo_lang"
