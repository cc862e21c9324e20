package intake

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/sharjah-handoff/handoff/contracts"
)

// fault is one thing wrong with what a client sent, or why it could not be
// served: the HTTP status it calls for, the Open311 parameter it concerns
// ("" for the request as a whole) and a bilingual message. The API renders
// faults as Open311 errors; the agent page shows each next to its field.
type fault struct {
	Status  int
	Param   string
	Message contracts.Text
}

// description is the Open311 error description in lang, naming the
// parameter so that a program can tell which field to fix.
func (f fault) description(lang string) string {
	msg := f.Message.In(lang)
	if f.Param == "" {
		return msg
	}
	return f.Param + ": " + msg
}

func newFault(status int, param, en, ar string) fault {
	return fault{Status: status, Param: param, Message: contracts.Text{EN: en, AR: ar}}
}

// faultList is what went wrong with one request, in a stable order.
type faultList []fault

// status is the HTTP status of the response: the most serious fault's. A
// client that is not allowed in learns nothing more; a missing resource
// outranks bad parameters.
func (fs faultList) status() int {
	rank := []int{http.StatusInternalServerError, http.StatusServiceUnavailable, http.StatusForbidden, http.StatusRequestEntityTooLarge,
		http.StatusUnsupportedMediaType, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusUnprocessableEntity, http.StatusBadRequest}
	for _, s := range rank {
		if slices.ContainsFunc(fs, func(f fault) bool { return f.Status == s }) {
			return s
		}
	}
	return http.StatusBadRequest
}

// byParam returns the messages for one parameter, for the agent page.
func (fs faultList) byParam(param string) []contracts.Text {
	var out []contracts.Text
	for _, f := range fs {
		if f.Param == param {
			out = append(out, f.Message)
		}
	}
	return out
}

// tidy drops repeated faults (the catalogue check and the schema may both
// report one missing location) and sorts them by parameter.
func (fs faultList) tidy() faultList {
	slices.SortStableFunc(fs, func(a, b fault) int { return strings.Compare(a.Param, b.Param) })
	return slices.CompactFunc(fs, func(a, b fault) bool { return a.Param == b.Param && a.Message == b.Message })
}

// Faults every endpoint may answer with.

func faultForbiddenKey(given bool) fault {
	if !given {
		return newFault(http.StatusForbidden, "api_key", "an api_key is required",
			"مفتاح الواجهة (api_key) مطلوب")
	}
	return newFault(http.StatusForbidden, "api_key", "the api_key is not valid",
		"مفتاح الواجهة (api_key) غير صالح")
}

func faultUnavailable() fault {
	return newFault(http.StatusServiceUnavailable, "",
		"the request could not be stored because the messaging system is unavailable; it may not have been accepted. Try again, with the same Idempotency-Key to be safe",
		"تعذر حفظ الطلب لأن نظام المراسلة غير متاح، وقد لا يكون قد قُبل. أعد المحاولة باستخدام مفتاح Idempotency-Key نفسه لتجنب التكرار")
}

func faultLang(v string) fault {
	return newFault(http.StatusBadRequest, "lang", fmt.Sprintf("%q is not a language of this service; use ar or en", v),
		fmt.Sprintf("اللغة %q غير مدعومة؛ استخدم ar أو en", v))
}

func faultJurisdiction(v string) fault {
	return newFault(http.StatusBadRequest, "jurisdiction_id", fmt.Sprintf("jurisdiction %q is not served here", v),
		fmt.Sprintf("الجهة %q لا تُخدم هنا", v))
}

func faultNotFound(param, what string) fault {
	return newFault(http.StatusNotFound, param, fmt.Sprintf("%q was not found", what),
		fmt.Sprintf("لم يُعثر على %q", what))
}

func faultFormat(ext string) fault {
	return newFault(http.StatusNotFound, "", fmt.Sprintf("format %q is not supported; use .json or .xml", ext),
		fmt.Sprintf("الصيغة %q غير مدعومة؛ استخدم \u200e.json أو \u200e.xml", ext))
}

func faultMethod(method string) fault {
	return newFault(http.StatusMethodNotAllowed, "", fmt.Sprintf("method %s is not allowed here", method),
		fmt.Sprintf("الطريقة %s غير مسموح بها هنا", method))
}

func faultBodyTooLarge(limit int64) fault {
	return newFault(http.StatusRequestEntityTooLarge, "", fmt.Sprintf("the request body is larger than %d bytes", limit),
		fmt.Sprintf("حجم محتوى الطلب أكبر من %d بايت", limit))
}

func faultContentType(ct string) fault {
	return newFault(http.StatusUnsupportedMediaType, "",
		fmt.Sprintf("content type %q is not accepted; send application/x-www-form-urlencoded or application/json", ct),
		fmt.Sprintf("نوع المحتوى %q غير مقبول؛ أرسل application/x-www-form-urlencoded أو application/json", ct))
}

func faultUTF8(param string) fault {
	return newFault(http.StatusBadRequest, param, "the value is not valid UTF-8", "القيمة ليست نصا صالحا بترميز UTF-8")
}

func faultMalformed(en string) fault {
	return newFault(http.StatusBadRequest, "", "the request body could not be read: "+en,
		"تعذرت قراءة محتوى الطلب: "+en)
}

func faultIdempotencyKey() fault {
	return newFault(http.StatusBadRequest, "Idempotency-Key",
		"an Idempotency-Key must be 1 to 255 printable ASCII characters",
		"يجب أن يتكون مفتاح Idempotency-Key من 1 إلى 255 حرفا مطبوعا من ASCII")
}

func faultIdempotencyMismatch() fault {
	return newFault(http.StatusUnprocessableEntity, "Idempotency-Key",
		"this Idempotency-Key was already used with a different request",
		"استُخدم مفتاح Idempotency-Key هذا من قبل مع طلب مختلف")
}
