package intake

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/sharjah-handoff/handoff/contracts"
)

// Languages the intake speaks.
const (
	langAR = "ar"
	langEN = "en"
)

var langMatcher = language.NewMatcher([]language.Tag{language.English, language.Arabic})

// requestLang picks the response language: the lang parameter, then (for
// the agent page) the lang cookie, then Accept-Language, then def. A lang
// parameter that is neither ar nor en is an error, not a silent default.
func requestLang(r *http.Request, def string, cookie bool) (string, error) {
	if v := r.URL.Query().Get("lang"); v != "" {
		if v != langAR && v != langEN {
			return def, fmt.Errorf("lang %q", v)
		}
		return v, nil
	}
	if cookie {
		if c, err := r.Cookie(cookieLang); err == nil && (c.Value == langAR || c.Value == langEN) {
			return c.Value, nil
		}
	}
	if h := r.Header.Get("Accept-Language"); h != "" {
		tags, _, err := language.ParseAcceptLanguage(h)
		if err == nil && len(tags) > 0 {
			if _, i, conf := langMatcher.Match(tags...); conf != language.No {
				return []string{langEN, langAR}[i], nil
			}
		}
	}
	return def, nil
}

// statusLabels name the common status codes as an agent says them.
var statusLabels = map[contracts.Status]contracts.Text{
	contracts.StatusSubmitted:     {EN: "Submitted", AR: "مُقدَّم"},
	contracts.StatusQueued:        {EN: "Queued at Civil Defence", AR: "في قائمة انتظار الدفاع المدني"},
	contracts.StatusAccepted:      {EN: "Accepted", AR: "مقبول"},
	contracts.StatusInProgress:    {EN: "In progress", AR: "قيد التنفيذ"},
	contracts.StatusInfoRequested: {EN: "Information requested", AR: "بانتظار معلومات"},
	contracts.StatusResolved:      {EN: "Resolved", AR: "تمت المعالجة"},
	contracts.StatusClosed:        {EN: "Closed", AR: "مغلق"},
	contracts.StatusRejected:      {EN: "Rejected", AR: "مرفوض"},
	contracts.StatusCancelled:     {EN: "Cancelled", AR: "ملغى"},
}

// statusExplanations are Open311 status_notes for a status that came
// without a public note.
var statusExplanations = map[contracts.Status]contracts.Text{
	contracts.StatusSubmitted: {EN: "Received by the contact centre and being passed to Civil Defence.",
		AR: "استلمه مركز الاتصال ويجري تحويله إلى الدفاع المدني."},
	contracts.StatusQueued: {EN: "Waiting in the Civil Defence queue to be acknowledged.",
		AR: "في قائمة انتظار الدفاع المدني بانتظار الاستلام."},
	contracts.StatusAccepted:      {EN: "Civil Defence has accepted the request.", AR: "قبل الدفاع المدني الطلب."},
	contracts.StatusInProgress:    {EN: "Civil Defence is working on the request.", AR: "يعمل الدفاع المدني على الطلب."},
	contracts.StatusInfoRequested: {EN: "Civil Defence needs more information from the caller.", AR: "يحتاج الدفاع المدني إلى معلومات إضافية من المتصل."},
	contracts.StatusResolved:      {EN: "Civil Defence has resolved the request.", AR: "عالج الدفاع المدني الطلب."},
	contracts.StatusClosed:        {EN: "The request is closed.", AR: "أُغلق الطلب."},
	contracts.StatusRejected:      {EN: "The request could not be handed to Civil Defence.", AR: "تعذر تحويل الطلب إلى الدفاع المدني."},
	contracts.StatusCancelled:     {EN: "The request was cancelled.", AR: "أُلغي الطلب."},
}

func statusLabel(s contracts.Status) contracts.Text {
	if t, ok := statusLabels[s]; ok {
		return t
	}
	return contracts.Text{EN: string(s), AR: string(s)}
}

// gulf is the UAE's time zone (UTC+4, no daylight saving): times are shown
// as Sharjah reads them.
var gulf = time.FixedZone("GST", 4*60*60)

// w3cTime formats t as Open311 wants (ISO 8601 with offset), in Sharjah's
// zone.
func w3cTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(gulf).Format(time.RFC3339)
}

// serviceNotice tells the caller what to expect of a service: its own
// notice if the catalogue has one, otherwise its SLAs.
func serviceNotice(svc contracts.Service) contracts.Text {
	if svc.Notice != nil {
		return *svc.Notice
	}
	if svc.AckSLASeconds == 0 {
		return contracts.Text{}
	}
	ackEN, ackAR := spell(svc.AckSLA())
	if svc.ResolveSLASeconds == 0 {
		return contracts.Text{
			EN: fmt.Sprintf("Civil Defence acknowledges requests for %s within %s.", svc.Name.EN, ackEN),
			AR: fmt.Sprintf("يستلم الدفاع المدني طلبات «%s» خلال %s.", svc.Name.AR, ackAR)}
	}
	resEN, resAR := spell(svc.ResolveSLA())
	return contracts.Text{
		EN: fmt.Sprintf("Civil Defence acknowledges requests for %s within %s and aims to complete them within %s.", svc.Name.EN, ackEN, resEN),
		AR: fmt.Sprintf("يستلم الدفاع المدني طلبات «%s» خلال %s ويسعى إلى إنجازها خلال %s.", svc.Name.AR, ackAR, resAR)}
}

// spell says a duration in whole days, hours or minutes, in English and
// Arabic (with the Arabic dual and plural forms).
func spell(d time.Duration) (en, ar string) {
	n, unit := int(d/time.Minute), "minute"
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		n, unit = int(d/(24*time.Hour)), "day"
	case d >= time.Hour && d%time.Hour == 0:
		n, unit = int(d/time.Hour), "hour"
	}
	en = fmt.Sprintf("%d %ss", n, unit)
	if n == 1 {
		en = "1 " + unit
	}
	forms := map[string][4]string{ // one, two, 3-10, 11+
		"day":    {"يوم واحد", "يومين", "أيام", "يوما"},
		"hour":   {"ساعة واحدة", "ساعتين", "ساعات", "ساعة"},
		"minute": {"دقيقة واحدة", "دقيقتين", "دقائق", "دقيقة"},
	}[unit]
	switch {
	case n == 1:
		ar = forms[0]
	case n == 2:
		ar = forms[1]
	case n >= 3 && n <= 10:
		ar = fmt.Sprintf("%d %s", n, forms[2])
	default:
		ar = fmt.Sprintf("%d %s", n, forms[3])
	}
	return en, ar
}

// both joins a text's two languages, the reader's first: for notices that
// must not be missed whatever the reader's language.
func both(t contracts.Text, lang string) string {
	if lang == langAR {
		return t.AR + " / " + t.EN
	}
	return t.EN + " / " + t.AR
}

// trimAll trims every string of a list and drops the empty ones.
func trimAll(list []string) []string {
	var out []string
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
