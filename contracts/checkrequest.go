package contracts

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// MaxTextLength is the longest free text the contract accepts, in
// characters, as in Open311 GeoReport v2.
const MaxTextLength = 4000

// Problem codes that only catalogue checks produce.
const CodeUnknownAttribute = "unknown_attribute"

// CheckRequest checks a request's attributes and location against the
// service: the rules the payload schema cannot know because they live in the
// catalogue. The broker and the Open311 intake both call it, so a caller gets
// the same answer on either path. It returns nil when all is well; otherwise
// problems sorted by pointer, pointers relative to the request payload
// ("/attributes/<code>", "/location").
func (s Service) CheckRequest(attrs Attributes, loc *Location) []Problem {
	var ps []Problem
	for code := range attrs {
		if a, ok := s.attribute(code); !ok || !a.Variable {
			ps = append(ps, attrProblem(code, CodeUnknownAttribute,
				Text{EN: fmt.Sprintf("service %s has no attribute %q", s.Code, code),
					AR: fmt.Sprintf("الخدمة «%s» ليس لها الخاصية %q", s.Name.AR, code)}))
		}
	}
	for _, a := range s.Attributes {
		v, ok := attrs[a.Code]
		switch {
		case !a.Variable:
			// Information only: there is nothing to answer.
		case !answered(v, ok):
			if a.Required {
				ps = append(ps, attrProblem(a.Code, "required", Text{
					EN: fmt.Sprintf("%q is required", a.Description.EN),
					AR: fmt.Sprintf("الإجابة عن «%s» مطلوبة", a.Description.AR)}))
			}
		default:
			ps = append(ps, a.check(v)...)
		}
	}
	if s.LocationRequired && !hasPlace(loc) {
		ps = append(ps, Problem{Pointer: "/location", Code: "required", Message: Text{
			EN: "a location (an address or latitude and longitude) is required for " + s.Name.EN,
			AR: "يلزم تحديد الموقع (العنوان أو خط العرض وخط الطول) لخدمة " + s.Name.AR}})
	}
	if len(ps) == 0 {
		return nil
	}
	return tidy(ps)
}

func (s Service) attribute(code string) (Attribute, bool) {
	i := slices.IndexFunc(s.Attributes, func(a Attribute) bool { return a.Code == code })
	if i < 0 {
		return Attribute{}, false
	}
	return s.Attributes[i], true
}

// answered treats null, "" and [] as no answer: a form sends them for a
// question the caller skipped.
func answered(v any, present bool) bool {
	switch v := v.(type) {
	case nil:
		return false
	case string:
		return v != ""
	case []any:
		return len(v) > 0
	case []string:
		return len(v) > 0
	}
	return present
}

func hasPlace(loc *Location) bool {
	return loc != nil && (loc.Address != "" || loc.Lat != nil && loc.Long != nil)
}

// check checks one answered attribute against its datatype.
func (a Attribute) check(v any) []Problem {
	switch a.Datatype {
	case DatatypeNumber:
		if !isNumber(v) {
			return []Problem{a.typeProblem("a number", "رقما")}
		}
	case DatatypeDatetime:
		return a.checkDatetime(v)
	case DatatypeString, DatatypeText:
		return a.checkString(v)
	case DatatypeSingleValueList:
		return a.checkChoice(v, "/attributes/"+escape(a.Code))
	case DatatypeMultiValueList:
		return a.checkChoices(v)
	}
	return nil
}

func (a Attribute) checkDatetime(v any) []Problem {
	s, ok := v.(string)
	if !ok {
		return []Problem{a.typeProblem("an RFC 3339 date-time string", "تاريخا ووقتا بصيغة RFC 3339")}
	}
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		return []Problem{attrProblem(a.Code, "format", Text{
			EN: fmt.Sprintf("%q must be an RFC 3339 date-time such as 2026-03-10T09:00:00+04:00", a.Description.EN),
			AR: fmt.Sprintf("يجب أن تكون قيمة «%s» تاريخا ووقتا مثل 2026-03-10T09:00:00+04:00", a.Description.AR)})}
	}
	return nil
}

func (a Attribute) checkString(v any) []Problem {
	s, ok := v.(string)
	if !ok {
		return []Problem{a.typeProblem("a string", "نصا")}
	}
	limit := MaxTextLength
	if a.MaxLength > 0 && a.MaxLength < limit {
		limit = a.MaxLength
	}
	if n := utf8.RuneCountInString(s); n > limit {
		return []Problem{attrProblem(a.Code, "maxLength", Text{
			EN: fmt.Sprintf("%q is %d characters long; at most %d are allowed", a.Description.EN, n, limit),
			AR: fmt.Sprintf("طول «%s» %d حرفا والحد الأقصى %d", a.Description.AR, n, limit)})}
	}
	return nil
}

func (a Attribute) checkChoices(v any) []Problem {
	var items []any
	switch v := v.(type) {
	case []any:
		items = v
	case []string:
		for _, s := range v {
			items = append(items, s)
		}
	default:
		return []Problem{a.typeProblem("a list of values", "قائمة من القيم")}
	}
	var ps []Problem
	for i, item := range items {
		ps = append(ps, a.checkChoice(item, "/attributes/"+escape(a.Code)+"/"+strconv.Itoa(i))...)
	}
	return ps
}

func (a Attribute) checkChoice(v any, ptr string) []Problem {
	s, ok := v.(string)
	if !ok {
		p := a.typeProblem("a value key (a string)", "مفتاح قيمة (نصا)")
		p.Pointer = ptr
		return []Problem{p}
	}
	if slices.ContainsFunc(a.Values, func(x AttributeValue) bool { return x.Key == s }) {
		return nil
	}
	return []Problem{{Pointer: ptr, Code: "enum", Message: Text{
		EN: fmt.Sprintf("%q is not one of the values of %q", s, a.Description.EN),
		AR: fmt.Sprintf("القيمة %q ليست من قيم «%s»", s, a.Description.AR)}}}
}

func (a Attribute) typeProblem(en, ar string) Problem {
	return attrProblem(a.Code, "type", Text{
		EN: fmt.Sprintf("%q must be %s", a.Description.EN, en),
		AR: fmt.Sprintf("يجب أن تكون قيمة «%s» %s", a.Description.AR, ar)})
}

func attrProblem(code, problem string, msg Text) Problem {
	return Problem{Pointer: "/attributes/" + escape(code), Code: problem, Message: msg}
}

// isNumber accepts what JSON decoding and Go callers produce for a number.
func isNumber(v any) bool {
	switch n := v.(type) {
	case float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	case json.Number:
		_, err := n.Float64()
		return err == nil
	}
	return false
}
