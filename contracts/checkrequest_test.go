package contracts_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sharjah-handoff/handoff/contracts"
)

func service(t *testing.T, code string) contracts.Service {
	t.Helper()
	s, ok := defaultCatalogue(t).Lookup(code)
	if !ok {
		t.Fatalf("no service %s", code)
	}
	return s
}

type want struct{ pointer, code string }

func TestCheckRequest(t *testing.T) {
	addr := &contracts.Location{Address: "Plot 341, Muwaileh Commercial, Sharjah"}
	drawings := func() contracts.Attributes {
		return contracts.Attributes{"project_number": "PRJ-2026-0148", "consultant_office": "Example Engineering",
			"submission_type": "new", "systems": []any{"sprinkler", "fire_alarm"}}
	}
	with := func(k string, v any) contracts.Attributes { a := drawings(); a[k] = v; return a }
	without := func(k string) contracts.Attributes { a := drawings(); delete(a, k); return a }
	cases := []struct {
		name, service string
		attrs         contracts.Attributes
		loc           *contracts.Location
		want          []want
	}{
		{"good", "fire_protection_drawings", drawings(), addr, nil},
		{"good with []string", "fire_protection_drawings", with("systems", []string{"hydrant"}), addr, nil},
		{"coordinates are a location", "fire_protection_drawings", drawings(),
			&contracts.Location{Lat: ptr(25.3), Long: ptr(55.4)}, nil},
		{"missing required", "fire_protection_drawings", without("project_number"), addr,
			[]want{{"/attributes/project_number", "required"}}},
		{"empty string is no answer", "fire_protection_drawings", with("project_number", ""), addr,
			[]want{{"/attributes/project_number", "required"}}},
		{"empty list is no answer", "fire_protection_drawings", with("systems", []any{}), addr,
			[]want{{"/attributes/systems", "required"}}},
		{"wrong type", "fire_protection_drawings", with("project_number", 148.0), addr,
			[]want{{"/attributes/project_number", "type"}}},
		{"bad enum value", "fire_protection_drawings", with("submission_type", "express"), addr,
			[]want{{"/attributes/submission_type", "enum"}}},
		{"bad list item", "fire_protection_drawings", with("systems", []any{"sprinkler", "lasers", 3.0}), addr,
			[]want{{"/attributes/systems/1", "enum"}, {"/attributes/systems/2", "type"}}},
		{"list not a list", "fire_protection_drawings", with("systems", "sprinkler"), addr,
			[]want{{"/attributes/systems", "type"}}},
		{"unknown attribute", "fire_protection_drawings", with("colour", "red"), addr,
			[]want{{"/attributes/colour", "unknown_attribute"}}},
		{"too long", "fire_protection_drawings", with("project_number", strings.Repeat("9", 33)), addr,
			[]want{{"/attributes/project_number", "maxLength"}}},
		{"missing location", "fire_protection_drawings", drawings(), nil,
			[]want{{"/location", "required"}}},
		{"location without a place", "fire_protection_drawings", drawings(), &contracts.Location{Area: "Muwaileh"},
			[]want{{"/location", "required"}}},
		{"half a coordinate", "fire_protection_drawings", drawings(), &contracts.Location{Lat: ptr(25.3)},
			[]want{{"/location", "required"}}},
		{"number", "evacuation_drill", contracts.Attributes{"premises_type": "school", "occupants": "many",
			"preferred_date": "2026-03-10T09:00:00+04:00"}, addr, []want{{"/attributes/occupants", "type"}}},
		{"json.Number is a number", "evacuation_drill", contracts.Attributes{"premises_type": "school",
			"occupants": json.Number("420"), "preferred_date": "2026-03-10T09:00:00+04:00"}, addr, nil},
		{"bad datetime", "evacuation_drill", contracts.Attributes{"premises_type": "school", "occupants": 420,
			"preferred_date": "next Tuesday"}, addr, []want{{"/attributes/preferred_date", "format"}}},
		{"datetime not a string", "evacuation_drill", contracts.Attributes{"premises_type": "school", "occupants": 420,
			"preferred_date": 1741590000}, addr, []want{{"/attributes/preferred_date", "type"}}},
		{"information-only attribute takes no answer", "evacuation_drill", contracts.Attributes{"premises_type": "school",
			"occupants": 420, "preferred_date": "2026-03-10T09:00:00+04:00", "booking_notice": "ok"}, addr,
			[]want{{"/attributes/booking_notice", "unknown_attribute"}}},
		{"no location needed", "service_inquiry", contracts.Attributes{"inquiry_topic": "fees"}, nil, nil},
		{"several problems, sorted", "service_inquiry", contracts.Attributes{"zzz": 1, "transaction_number": true}, nil,
			[]want{{"/attributes/inquiry_topic", "required"}, {"/attributes/transaction_number", "type"},
				{"/attributes/zzz", "unknown_attribute"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := service(t, tc.service).CheckRequest(tc.attrs, tc.loc)
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %v", got, tc.want)
			}
			for i, w := range tc.want {
				if got[i].Pointer != w.pointer || got[i].Code != w.code {
					t.Errorf("problem %d = %s %s, want %s %s", i, got[i].Pointer, got[i].Code, w.pointer, w.code)
				}
				if got[i].Message.AR == "" || got[i].Message.EN == "" {
					t.Errorf("problem %+v lacks a bilingual message", got[i])
				}
			}
		})
	}
}

// A request answering every required question of a service with a valid
// value must pass, or an agent could never submit one: this catches a
// catalogue entry whose rules contradict each other.
func TestEveryServiceAcceptsACompleteRequest(t *testing.T) {
	loc := &contracts.Location{Address: "Al Majaz 2, Sharjah"}
	for _, s := range defaultCatalogue(t).Services {
		attrs := contracts.Attributes{}
		for _, a := range s.Attributes {
			if a.Variable && a.Required {
				attrs[a.Code] = sampleAnswer(a)
			}
		}
		if ps := s.CheckRequest(attrs, loc); ps != nil {
			t.Errorf("%s: %+v", s.Code, ps)
		}
	}
}

func sampleAnswer(a contracts.Attribute) any {
	switch a.Datatype {
	case contracts.DatatypeNumber:
		return 12.0
	case contracts.DatatypeDatetime:
		return "2026-03-10T09:00:00+04:00"
	case contracts.DatatypeSingleValueList:
		return a.Values[0].Key
	case contracts.DatatypeMultiValueList:
		return []any{a.Values[0].Key}
	}
	return "CD-9RQ4-M2VA"
}
