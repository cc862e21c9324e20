package contracts

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var englishPrinter = message.NewPrinter(language.English)

// flatten turns the library's tree of errors into the leaf causes, because a
// sender needs "what is wrong where", not "allOf failed because $ref failed".
func flatten(e *jsonschema.ValidationError, out []Problem) []Problem {
	at := pointer(e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		// Point at the missing property itself, not at its parent.
		return appendMissing(out, at, "required", k.Missing)
	case *kind.DependentRequired:
		return appendMissing(out, at, "dependentRequired", k.Missing)
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			out = append(out, newProblem(at+"/"+escape(p), "additionalProperties", "property is not allowed"))
		}
		return out
	case *kind.AnyOf, *kind.OneOf:
		// The branches are alternatives, not faults: listing each one's
		// complaint would send the caller chasing every alternative.
		return append(out, alternativesProblem(e, at))
	}
	if len(e.Causes) == 0 {
		return append(out, newProblem(at, keyword(e.ErrorKind), e.ErrorKind.LocalizedString(englishPrinter)))
	}
	for _, c := range e.Causes {
		out = flatten(c, out)
	}
	return out
}

// alternativesMessages say what a shared anyOf asks for; the library can
// only say that it failed.
var alternativesMessages = map[string]Text{
	SchemaBaseURI + "common.json#/$defs/location": {
		EN: "a location needs an address, or both lat and long",
		AR: "يجب أن يتضمن الموقع عنوانا، أو خط العرض وخط الطول معا"},
	SchemaBaseURI + "common.json#/$defs/amendment": {
		EN: "an amendment must change at least one of description, attributes, location or note",
		AR: "يجب أن يغيّر التعديل واحدا على الأقل من: الوصف أو الخصائص أو الموقع أو الملاحظة"},
}

func alternativesProblem(e *jsonschema.ValidationError, at string) Problem {
	p := newProblem(at, keyword(e.ErrorKind), "matches none of the allowed alternatives")
	if msg, ok := alternativesMessages[e.SchemaURL]; ok {
		p.Message = Text{EN: msg.EN, AR: msg.AR + ": " + at}
		if at == "" {
			p.Message.AR = msg.AR
		}
	}
	return p
}

func appendMissing(out []Problem, at, code string, missing []string) []Problem {
	for _, m := range missing {
		out = append(out, newProblem(at+"/"+escape(m), code, fmt.Sprintf("missing property %q", m)))
	}
	return out
}

// keyword names the JSON Schema keyword that failed; it is the problem code.
func keyword(k jsonschema.ErrorKind) string {
	if p := k.KeywordPath(); len(p) > 0 {
		return p[0]
	}
	switch k.(type) {
	case *kind.FalseSchema:
		return "false"
	case *kind.Not:
		return "not"
	}
	return "invalid"
}

func newProblem(ptr, code, en string) Problem {
	return Problem{Pointer: ptr, Code: code, Message: Text{EN: en, AR: arabicMessage(code, ptr)}}
}

// pointer renders an instance location as an RFC 6901 JSON pointer.
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escape(t))
	}
	return b.String()
}

func escape(token string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(token)
}

// Limits that keep a list of problems publishable: it travels back to the
// sender in handoff.request.rejected.v1, whose schema caps both. Messages
// quote offending values, which may be long.
const (
	MaxProblems         = 100
	maxMessageLength    = 1000
	CodeTooManyProblems = "too_many_problems"
)

// tidy makes a list of problems deterministic and publishable: messages
// shortened, sorted by pointer then code, duplicates dropped, at most
// MaxProblems with the last one saying how many more there were.
func tidy(ps []Problem) []Problem {
	for i := range ps {
		ps[i].Pointer = truncatePointer(ps[i].Pointer)
		ps[i].Message.EN = truncate(ps[i].Message.EN)
		ps[i].Message.AR = truncate(ps[i].Message.AR)
	}
	slices.SortFunc(ps, compareProblems)
	ps = slices.CompactFunc(ps, func(a, b Problem) bool { return a == b })
	if len(ps) <= MaxProblems {
		return ps
	}
	more := len(ps) - (MaxProblems - 1)
	ps = append(ps[:MaxProblems-1], Problem{Pointer: "", Code: CodeTooManyProblems,
		Message: Text{EN: fmt.Sprintf("%d more problems not listed", more),
			AR: fmt.Sprintf("توجد %d مشكلات أخرى غير مدرجة", more)}})
	slices.SortStableFunc(ps, compareProblems)
	return ps
}

func compareProblems(a, b Problem) int {
	return cmp.Or(cmp.Compare(a.Pointer, b.Pointer), cmp.Compare(a.Code, b.Code),
		cmp.Compare(a.Message.EN, b.Message.EN))
}

// truncatePointer shortens an absurdly long pointer (an attacker's property
// name) without leaving a dangling "~" escape, so it stays a JSON pointer.
func truncatePointer(p string) string {
	if utf8.RuneCountInString(p) <= maxMessageLength {
		return p
	}
	return strings.TrimRight(string([]rune(p)[:maxMessageLength-1]), "~") + "…"
}

func truncate(s string) string {
	if utf8.RuneCountInString(s) <= maxMessageLength {
		return s
	}
	r := []rune(s)
	return string(r[:maxMessageLength-1]) + "…"
}

// arabicByCode says in Arabic what each problem code means. The English text
// comes from the validator and carries the detail; the Arabic one names the
// field and the kind of fault, which is what an agent reads to a caller.
var arabicByCode = map[string]string{
	"required":             "حقل مطلوب غير موجود",
	"dependentRequired":    "حقل مطلوب مع حقل آخر غير موجود",
	"type":                 "نوع القيمة غير صحيح",
	"enum":                 "القيمة ليست من القيم المسموح بها",
	"const":                "القيمة لا تطابق القيمة المطلوبة",
	"pattern":              "صيغة القيمة غير صحيحة",
	"format":               "صيغة القيمة غير صحيحة",
	"minLength":            "النص أقصر من الحد الأدنى",
	"maxLength":            "النص أطول من الحد المسموح به",
	"minimum":              "القيمة أصغر من الحد الأدنى",
	"maximum":              "القيمة أكبر من الحد الأقصى",
	"exclusiveMinimum":     "القيمة أصغر من الحد الأدنى",
	"exclusiveMaximum":     "القيمة أكبر من الحد الأقصى",
	"multipleOf":           "القيمة ليست من المضاعفات المسموح بها",
	"minItems":             "عدد العناصر أقل من الحد الأدنى",
	"maxItems":             "عدد العناصر أكبر من الحد المسموح به",
	"uniqueItems":          "توجد عناصر مكررة",
	"minProperties":        "عدد الحقول أقل من الحد الأدنى",
	"maxProperties":        "عدد الحقول أكبر من الحد المسموح به",
	"additionalProperties": "حقل غير مسموح به",
	"propertyNames":        "اسم الحقل غير صالح",
	"anyOf":                "القيمة لا تطابق أيا من الصيغ المسموح بها",
	"oneOf":                "القيمة يجب أن تطابق صيغة واحدة فقط من الصيغ المسموح بها",
	"not":                  "القيمة غير مسموح بها",
	"false":                "القيمة غير مسموح بها",
	"unknown_attribute":    "خاصية غير معروفة لهذه الخدمة",
	"duplicate":            "قيمة مكررة",
	CodeInvalidJSON:        "المحتوى ليس JSON صالحا",
	CodeInvalidUTF8:        "المحتوى ليس نصا صالحا بترميز UTF-8",
}

// arabicMessage returns the Arabic message for code, naming the field at ptr.
func arabicMessage(code, ptr string) string {
	msg, ok := arabicByCode[code]
	if !ok {
		msg = "القيمة غير صالحة"
	}
	if ptr == "" {
		return msg
	}
	return msg + ": " + ptr
}
