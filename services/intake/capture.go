package intake

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sharjah-handoff/handoff/contracts"
)

// client is who submits or reads: an Open311 API key holder or a logged-in
// agent.
type client struct {
	// name appears in logs: the API key's name or the agent's id.
	name string
	// scope keeps one client's idempotency keys apart from another's.
	scope   string
	staff   bool
	agentID string
	channel string
}

// draft is a request that passed every check, ready to be given its ids
// and published.
type draft struct {
	req       contracts.RequestSubmitted
	svc       contracts.Service
	accountID string
}

// Placeholders stand in for the ids while a draft is checked against the
// contract's schema; publish sets the real ones.
const (
	placeholderID  = "00000000-0000-7000-8000-000000000000"
	placeholderRef = "CC-0000-0000"
)

// check turns a submission into a draft, or says everything wrong with it
// at once. The rules are the catalogue's (the broker applies the same) and
// the contract's schema, so nothing the broker would reject is accepted
// here. An emergency service yields its service and no draft: it is never
// a request.
func (s *Service) check(sub *submission, c client, lang string) (*draft, *contracts.Service, faultList) {
	var faults faultList
	if sub.Jurisdiction != "" && sub.Jurisdiction != s.cfg.Jurisdiction {
		faults = append(faults, faultJurisdiction(sub.Jurisdiction))
	}
	svc, fault := s.service(sub.ServiceCode, c)
	if fault != nil {
		return nil, nil, append(faults, *fault)
	}
	if svc.Emergency {
		return nil, &svc, faults
	}
	loc, locFaults := location(sub)
	faults = append(faults, locFaults...)
	if n := utf8.RuneCountInString(sub.Description); n > contracts.MaxTextLength {
		faults = append(faults, newFault(http.StatusBadRequest, "description",
			fmt.Sprintf("the description is %d characters long; at most %d are allowed", n, contracts.MaxTextLength),
			fmt.Sprintf("طول الوصف %d حرفا والحد الأقصى %d", n, contracts.MaxTextLength)))
	}
	if n := utf8.RuneCountInString(sub.DeviceID); n > 64 {
		faults = append(faults, newFault(http.StatusBadRequest, "device_id", "at most 64 characters", "64 حرفا على الأكثر"))
	}
	language := sub.Language
	if language == "" {
		language = lang
	}
	channel := c.channel
	if sub.Channel != "" {
		channel = sub.Channel
	}
	req := contracts.RequestSubmitted{RequestID: placeholderID, Reference: placeholderRef, ServiceCode: svc.Code,
		SubmittedAt: s.cfg.Now().UTC(), Channel: channel, Language: language,
		Description: strings.TrimSpace(sub.Description), Attributes: answers(svc, sub.Attributes),
		Location: loc, Caller: caller(sub), AgentID: c.agentID, MediaURL: strings.TrimSpace(sub.MediaURL)}
	faults = append(faults, problemFaults(svc.CheckRequest(req.Attributes, req.Location))...)
	faults = append(faults, schemaFaults(req, faults)...)
	if len(faults) > 0 {
		return nil, nil, faults.tidy()
	}
	return &draft{req: req, svc: svc, accountID: strings.TrimSpace(sub.AccountID)}, nil, nil
}

// service finds the service a client may request. Unknown and inactive
// services are bad parameters; a staff-only one is forbidden to a public
// client.
func (s *Service) service(code string, c client) (contracts.Service, *fault) {
	code = strings.TrimSpace(code)
	if code == "" {
		f := newFault(http.StatusBadRequest, "service_code", "service_code is required", "رمز الخدمة (service_code) مطلوب")
		return contracts.Service{}, &f
	}
	svc, ok := s.cfg.Catalogue.Lookup(code)
	switch {
	case !ok:
		f := newFault(http.StatusBadRequest, "service_code", fmt.Sprintf("service %q is not in the catalogue", code),
			fmt.Sprintf("الخدمة %q غير موجودة في الدليل", code))
		return svc, &f
	case !svc.Active:
		f := newFault(http.StatusBadRequest, "service_code", fmt.Sprintf("%s is not offered at the moment", svc.Name.EN),
			fmt.Sprintf("خدمة «%s» غير متاحة حاليا", svc.Name.AR))
		return svc, &f
	case svc.StaffOnly && !c.staff:
		f := newFault(http.StatusForbidden, "service_code", fmt.Sprintf("%s may only be requested by contact-centre staff", svc.Name.EN),
			fmt.Sprintf("خدمة «%s» متاحة لموظفي مركز الاتصال فقط", svc.Name.AR))
		return svc, &f
	}
	return svc, nil
}

// location reads Open311's three ways of saying where: a coordinate pair,
// an address, or an address id. Sharjah's address ids cannot be resolved
// here, so an id alone also becomes the address text Civil Defence reads.
func location(sub *submission) (*contracts.Location, faultList) {
	var faults faultList
	loc := &contracts.Location{Address: strings.TrimSpace(sub.AddressString), AddressID: strings.TrimSpace(sub.AddressID)}
	latS, longS := strings.TrimSpace(sub.Lat), strings.TrimSpace(sub.Long)
	if (latS == "") != (longS == "") {
		faults = append(faults, newFault(http.StatusBadRequest, "lat", "lat and long must be given together",
			"يجب إدخال خط العرض وخط الطول معا"))
	} else if latS != "" {
		var f1, f2 *fault
		loc.Lat, f1 = coordinate("lat", latS, 90)
		loc.Long, f2 = coordinate("long", longS, 180)
		for _, f := range []*fault{f1, f2} {
			if f != nil {
				faults = append(faults, *f)
			}
		}
	}
	if loc.Address == "" && loc.AddressID != "" {
		loc.Address = "address_id " + loc.AddressID
	}
	if loc.Address == "" && loc.AddressID == "" && loc.Lat == nil {
		return nil, faults
	}
	return loc, faults
}

func coordinate(param, v string, limit float64) (*float64, *fault) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > limit {
		ft := newFault(http.StatusBadRequest, param,
			fmt.Sprintf("%q is not a number of decimal degrees between -%g and %g", v, limit, limit),
			fmt.Sprintf("القيمة %q ليست درجات عشرية بين \u200e-%g و\u200e%g", v, limit, limit))
		return nil, &ft
	}
	return &f, nil
}

func caller(sub *submission) *contracts.Caller {
	c := &contracts.Caller{FirstName: strings.TrimSpace(sub.FirstName), LastName: strings.TrimSpace(sub.LastName),
		Phone: strings.TrimSpace(sub.Phone), Email: strings.TrimSpace(sub.Email), AccountID: strings.TrimSpace(sub.AccountID)}
	if *c == (contracts.Caller{}) {
		return nil
	}
	return c
}

// answers shapes raw attribute answers by the catalogue's datatypes: a
// form sends every answer as text, so a number attribute's text becomes a
// number and a multi-value list's single value a list. Unanswered questions
// are dropped. Whatever cannot be shaped is kept as sent, for CheckRequest
// to name the fault.
func answers(svc contracts.Service, raw map[string]any) contracts.Attributes {
	out := contracts.Attributes{}
	for code, v := range raw {
		v = dropEmpty(v)
		if v == nil {
			continue
		}
		if a, ok := attributeOf(svc, code); ok {
			v = shape(a.Datatype, v)
		}
		out[code] = v
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func dropEmpty(v any) any {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		if strings.TrimSpace(v) == "" {
			return nil
		}
		return strings.TrimSpace(v)
	case []string:
		out := trimAll(v)
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		if len(v) == 0 {
			return nil
		}
	}
	return v
}

func shape(datatype string, v any) any {
	if list, ok := v.([]string); ok && len(list) == 1 && datatype != contracts.DatatypeMultiValueList {
		v = list[0]
	}
	switch datatype {
	case contracts.DatatypeNumber:
		if s, ok := v.(string); ok {
			if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
				return f
			}
		}
	case contracts.DatatypeMultiValueList:
		if s, ok := v.(string); ok {
			return []string{s}
		}
	}
	return v
}

func attributeOf(svc contracts.Service, code string) (contracts.Attribute, bool) {
	for _, a := range svc.Attributes {
		if a.Code == code {
			return a, true
		}
	}
	return contracts.Attribute{}, false
}

// problemFaults turns the contract's problems into faults on the Open311
// parameters they concern.
func problemFaults(ps []contracts.Problem) faultList {
	var out faultList
	for _, p := range ps {
		out = append(out, fault{Status: http.StatusBadRequest, Param: paramOf(p.Pointer), Message: p.Message})
	}
	return out
}

// schemaFaults checks the draft against the contract's schema, reporting
// only what the earlier checks have not already said about a parameter.
func schemaFaults(req contracts.RequestSubmitted, known faultList) faultList {
	err := contracts.ValidateValue(contracts.TypeRequestSubmitted, req)
	var ve *contracts.ValidationError
	if !errors.As(err, &ve) {
		if err != nil {
			return faultList{newFault(http.StatusBadRequest, "", err.Error(), "تعذر التحقق من الطلب")}
		}
		return nil
	}
	var out faultList
	for _, f := range problemFaults(ve.Problems) {
		if len(known.byParam(f.Param)) == 0 {
			out = append(out, f)
		}
	}
	return out
}

// paramOf names the Open311 parameter a payload pointer points into.
func paramOf(pointer string) string {
	parts := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	for i, p := range parts {
		parts[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(p)
	}
	switch parts[0] {
	case "attributes":
		if len(parts) > 1 {
			return "attribute[" + parts[1] + "]"
		}
		return "attribute"
	case "caller":
		if len(parts) > 1 {
			return parts[1]
		}
	case "location":
		if len(parts) > 1 {
			return map[string]string{"address": "address_string", "address_id": "address_id", "lat": "lat", "long": "long"}[parts[1]]
		}
		return "location"
	}
	return parts[0]
}
