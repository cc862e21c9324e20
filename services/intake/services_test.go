package intake_test

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strings"
	"testing"
)

type serviceJSON struct {
	Code        string  `json:"service_code"`
	Name        string  `json:"service_name"`
	Description *string `json:"description"`
	Metadata    bool    `json:"metadata"`
	Type        string  `json:"type"`
	Keywords    *string `json:"keywords"`
	Group       *string `json:"group"`
}

func (h *harness) services(query string) []serviceJSON {
	h.t.Helper()
	res := h.get("/open311/v2/services.json" + query)
	if res.status != http.StatusOK {
		h.t.Fatalf("GET services: %s", res)
	}
	var out []serviceJSON
	decodeJSON(h.t, res.body, &out)
	return out
}

func codes(list []serviceJSON) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.Code)
	}
	return out
}

func TestServicesListsActiveServicesAndEmergency(t *testing.T) {
	h := newHarness(t)
	list := h.services("")
	got := codes(list)
	for _, want := range []string{"fire_safety_inspection", "fire_hazard_complaint", "emergency", "feedback"} {
		if !slices.Contains(got, want) {
			t.Errorf("services lack %s: %v", want, got)
		}
	}
	for _, hidden := range []string{"fireworks_display_permit", "inspection_reschedule"} {
		if slices.Contains(got, hidden) {
			t.Errorf("services list %s (inactive or staff-only) to the public", hidden)
		}
	}
	first := list[0]
	if first.Code != "fire_safety_inspection" || first.Name != "Fire safety inspection" || !first.Metadata ||
		first.Type != "realtime" || first.Group == nil || *first.Group != "Inspections and safety" ||
		first.Keywords == nil || !strings.Contains(*first.Keywords, "inspection") || first.Description == nil {
		t.Fatalf("first service = %+v", first)
	}
	if staff := codes(h.services("?api_key=" + staffKey)); !slices.Contains(staff, "inspection_reschedule") ||
		slices.Contains(staff, "fireworks_display_permit") {
		t.Fatalf("a staff key sees %v; want staff-only services and no inactive ones", staff)
	}
}

func TestServicesInArabic(t *testing.T) {
	h := newHarness(t)
	byParam := h.services("?lang=ar")
	if byParam[0].Name != "تفتيش السلامة من الحرائق" || *byParam[0].Group != "التفتيش والسلامة" {
		t.Fatalf("lang=ar: %+v", byParam[0])
	}
	res := h.do(http.MethodGet, "/open311/v2/services.json", "", nil, http.Header{"Accept-Language": {"ar-AE,ar;q=0.9,en;q=0.5"}})
	if !strings.Contains(string(res.body), "تفتيش السلامة من الحرائق") {
		t.Fatalf("Accept-Language ar: %s", res.body)
	}
	if res := h.get("/open311/v2/services.json?lang=fr"); res.status != http.StatusBadRequest {
		t.Fatalf("lang=fr: %s", res)
	}
}

func TestServicesXML(t *testing.T) {
	h := newHarness(t)
	res := h.get("/open311/v2/services.xml")
	if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/xml") {
		t.Fatalf("GET services.xml: %s", res)
	}
	if !strings.HasPrefix(string(res.body), `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Fatalf("no XML declaration: %.80s", res.body)
	}
	var doc struct {
		XMLName  xml.Name `xml:"services"`
		Services []struct {
			Code     string `xml:"service_code"`
			Name     string `xml:"service_name"`
			Metadata bool   `xml:"metadata"`
			Type     string `xml:"type"`
			Group    string `xml:"group"`
		} `xml:"service"`
	}
	if err := xml.Unmarshal(res.body, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Services) < 10 || doc.Services[0].Code != "fire_safety_inspection" || !doc.Services[0].Metadata ||
		doc.Services[0].Type != "realtime" || doc.Services[0].Group == "" {
		t.Fatalf("services.xml = %+v", doc)
	}
}

type definitionJSON struct {
	Code       string `json:"service_code"`
	Attributes []struct {
		Variable            bool    `json:"variable"`
		Code                string  `json:"code"`
		Datatype            string  `json:"datatype"`
		Required            bool    `json:"required"`
		DatatypeDescription *string `json:"datatype_description"`
		Order               int     `json:"order"`
		Description         string  `json:"description"`
		Values              []struct {
			Key  string `json:"key"`
			Name string `json:"name"`
		} `json:"values"`
	} `json:"attributes"`
}

func TestServiceDefinitionJSON(t *testing.T) {
	h := newHarness(t)
	res := h.get("/open311/v2/services/fire_safety_inspection.json")
	if res.status != http.StatusOK {
		t.Fatalf("GET definition: %s", res)
	}
	var d definitionJSON
	decodeJSON(t, res.body, &d)
	if d.Code != "fire_safety_inspection" || len(d.Attributes) != 5 {
		t.Fatalf("definition = %+v", d)
	}
	purpose := d.Attributes[0]
	if !purpose.Variable || purpose.Code != "inspection_purpose" || purpose.Datatype != "singlevaluelist" || !purpose.Required ||
		purpose.Order != 1 || purpose.Description != "Purpose of the inspection" || purpose.DatatypeDescription != nil ||
		len(purpose.Values) != 4 || purpose.Values[0].Key != "new_licence" || purpose.Values[0].Name != "New licence" {
		t.Fatalf("first attribute = %+v", purpose)
	}
	date := d.Attributes[3]
	if date.Datatype != "datetime" || date.DatatypeDescription == nil || !strings.Contains(*date.DatatypeDescription, "RFC 3339") || date.Values != nil {
		t.Fatalf("datetime attribute = %+v", date)
	}
	ar := h.get("/open311/v2/services/fire_safety_inspection.json?lang=ar")
	if !strings.Contains(string(ar.body), "سبب التفتيش") || !strings.Contains(string(ar.body), "ترخيص جديد") {
		t.Fatalf("definition in Arabic: %s", ar.body)
	}
}

func TestServiceDefinitionXML(t *testing.T) {
	h := newHarness(t)
	res := h.get("/open311/v2/services/fire_protection_drawings.xml")
	var d struct {
		XMLName    xml.Name `xml:"service_definition"`
		Code       string   `xml:"service_code"`
		Attributes []struct {
			Code     string `xml:"code"`
			Datatype string `xml:"datatype"`
			Required bool   `xml:"required"`
			Order    int    `xml:"order"`
			Values   []struct {
				Key  string `xml:"key"`
				Name string `xml:"name"`
			} `xml:"values>value"`
		} `xml:"attributes>attribute"`
	}
	if err := xml.Unmarshal(res.body, &d); err != nil || res.status != http.StatusOK {
		t.Fatalf("definition xml: %v %s", err, res)
	}
	systems := d.Attributes[3]
	if d.Code != "fire_protection_drawings" || systems.Code != "systems" || systems.Datatype != "multivaluelist" ||
		!systems.Required || len(systems.Values) != 7 || systems.Values[1].Key != "sprinkler" {
		t.Fatalf("definition xml = %+v", d)
	}
}

func TestServiceDefinitionFlags(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct {
		path   string
		status int
	}{
		{"/open311/v2/services/no_such_service.json", http.StatusNotFound},
		{"/open311/v2/services/no_such_service.xml", http.StatusNotFound},
		{"/open311/v2/services/fireworks_display_permit.json", http.StatusNotFound},
		{"/open311/v2/services/fireworks_display_permit.json?api_key=" + staffKey, http.StatusNotFound},
		{"/open311/v2/services/inspection_reschedule.json", http.StatusNotFound},
		{"/open311/v2/services/inspection_reschedule.json?api_key=" + staffKey, http.StatusOK},
		{"/open311/v2/services/emergency.json", http.StatusOK},
		{"/open311/v2/services.json?api_key=wrong-key-0123456789", http.StatusForbidden},
		{"/open311/v2/services.csv", http.StatusNotFound},
		{"/open311/v2/nothing.json", http.StatusNotFound},
		{"/open311/v2/services.json?jurisdiction_id=dubai.ae", http.StatusBadRequest},
		{"/open311/v2/services.json?jurisdiction_id=sharjah.ae", http.StatusOK},
	} {
		res := h.get(c.path)
		if res.status != c.status {
			t.Errorf("GET %s: %s, want %d", c.path, res, c.status)
		}
		if res.status != http.StatusOK && strings.HasSuffix(strings.Split(c.path, "?")[0], ".json") {
			if errs := errorsOf(t, res); len(errs) != 1 || errs[0].Code != c.status || errs[0].Description == "" {
				t.Errorf("GET %s errors = %+v", c.path, errs)
			}
		}
	}
	res := h.get("/open311/v2/services/nope.xml")
	var doc struct {
		XMLName xml.Name `xml:"errors"`
		Errors  []struct {
			Code        int    `xml:"code"`
			Description string `xml:"description"`
		} `xml:"error"`
	}
	if err := xml.Unmarshal(res.body, &doc); err != nil || len(doc.Errors) != 1 || doc.Errors[0].Code != 404 {
		t.Fatalf("XML error = %v %s", err, res.body)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := newHarness(t)
	res := h.do(http.MethodDelete, "/open311/v2/requests.json", "", nil, nil)
	if res.status != http.StatusMethodNotAllowed || res.header.Get("Allow") != "GET, POST" {
		t.Fatalf("DELETE requests: %s (Allow %q)", res, res.header.Get("Allow"))
	}
	if res := h.do(http.MethodPost, "/open311/v2/services.json", "", nil, nil); res.status != http.StatusMethodNotAllowed {
		t.Fatalf("POST services: %s", res)
	}
}

func TestDiscovery(t *testing.T) {
	h := newHarness(t)
	var d struct {
		Changeset string `json:"changeset"`
		Endpoints []struct {
			Specification string   `json:"specification"`
			URL           string   `json:"url"`
			Formats       []string `json:"formats"`
		} `json:"endpoints"`
	}
	decodeJSON(t, h.get("/open311/v2/discovery.json").body, &d)
	if len(d.Endpoints) != 1 || d.Endpoints[0].URL != h.web.URL+"/open311/v2" || len(d.Endpoints[0].Formats) != 2 || d.Changeset == "" {
		t.Fatalf("discovery = %+v", d)
	}
	if res := h.get("/open311/v2/discovery.xml"); !strings.Contains(string(res.body), "<format>text/xml</format>") {
		t.Fatalf("discovery.xml = %s", res.body)
	}
}
