package intake_test

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
)

func TestPostFormPublishesBeforeAnswering(t *testing.T) {
	h := newHarness(t)
	res := h.postForm("/open311/v2/requests.json", hazardForm(), nil)
	if res.status != http.StatusCreated {
		t.Fatalf("POST: %s", res)
	}
	var out []created
	decodeJSON(t, res.body, &out)
	if len(out) != 1 || out[0].Notice == nil || !strings.Contains(*out[0].Notice, "within 1 hour and aims to complete them within 2 days") || out[0].AccountID != nil || out[0].Reference != "" {
		t.Fatalf("answer = %s", res.body)
	}
	id, err := uuid.Parse(out[0].ID)
	if err != nil || id.Version() != 7 {
		t.Fatalf("service_request_id %q is not a UUIDv7", out[0].ID)
	}
	if loc := res.header.Get("Location"); loc != "/open311/v2/requests/"+out[0].ID+".json" {
		t.Fatalf("Location = %q", loc)
	}
	// The answer came after JetStream's ack, so the event is there now.
	msgs := h.requests()
	if len(msgs) != 1 || msgs[0].Subject != "cc.request."+out[0].ID+".submitted" ||
		msgs[0].Header.Get(events.HeaderType) != contracts.TypeRequestSubmitted {
		t.Fatalf("CC_REQUESTS holds %d messages", len(msgs))
	}
	var req contracts.RequestSubmitted
	decodeJSON(t, msgs[0].Data, &req)
	if req.RequestID != out[0].ID || req.ServiceCode != "fire_hazard_complaint" || req.Channel != "api" || req.Language != "en" ||
		req.Location == nil || *req.Location.Lat != 25.3463 || req.Location.Address != "Al Majaz 2, Sharjah" ||
		req.Caller == nil || req.Caller.Phone != "+971501234567" || req.Description != "Fire exit blocked by boxes" ||
		!reflect.DeepEqual(req.Attributes, contracts.Attributes{"hazard_type": "blocked_exit", "premises_type": "shop"}) ||
		contracts.NormalizeReference(req.Reference) != req.Reference {
		t.Fatalf("published %+v", req)
	}
	if err := contracts.Validate(contracts.TypeRequestSubmitted, msgs[0].Data); err != nil {
		t.Fatal(err)
	}
}

func TestPostJSONWithListsAndNumbers(t *testing.T) {
	h := newHarness(t)
	body := map[string]any{
		"api_key": publicKey, "service_code": "fire_protection_drawings", "address_string": "Muweilah, Sharjah",
		"description": "Drawings for a new warehouse", "account_id": "crm-4471",
		"attribute": map[string]any{"project_number": "P-2231", "consultant_office": "Al Noor Engineering",
			"submission_type": "new", "systems": []string{"fire_alarm", "sprinkler"}},
	}
	res := h.postJSON("/open311/v2/requests.json?extensions=true&lang=ar", body, nil)
	if res.status != http.StatusCreated {
		t.Fatalf("POST JSON: %s", res)
	}
	var out []created
	decodeJSON(t, res.body, &out)
	if out[0].AccountID == nil || *out[0].AccountID != "crm-4471" || !strings.HasPrefix(out[0].Reference, "CC-") ||
		!strings.Contains(*out[0].Notice, "يستلم الدفاع المدني") {
		t.Fatalf("answer = %s", res.body)
	}
	var req contracts.RequestSubmitted
	decodeJSON(t, h.requests()[0].Data, &req)
	if req.Reference != out[0].Reference || req.Language != "ar" || req.Caller.AccountID != "crm-4471" ||
		!reflect.DeepEqual(req.Attributes["systems"], []any{"fire_alarm", "sprinkler"}) {
		t.Fatalf("published %+v", req)
	}
	// A form sends numbers as text and a multi-value list as attribute[x][].
	form := hazardForm()
	form.Set("service_code", "building_completion_certificate")
	for _, k := range []string{"attribute[hazard_type]", "attribute[premises_type]"} {
		form.Del(k)
	}
	form.Set("attribute[building_permit_number]", "BP-11")
	form.Set("attribute[plot_number]", "PL-9")
	form.Set("attribute[building_type]", "commercial")
	form.Set("attribute[floors]", "12")
	h.submit(form)
	decodeJSON(t, h.requests()[1].Data, &req)
	if req.Attributes["floors"] != 12.0 {
		t.Fatalf("floors published as %#v", req.Attributes["floors"])
	}
	form = hazardForm()
	form.Set("service_code", "fire_protection_drawings")
	form.Del("attribute[hazard_type]")
	form.Del("attribute[premises_type]")
	form.Set("attribute[project_number]", "P-1")
	form.Set("attribute[consultant_office]", "Office")
	form.Set("attribute[submission_type]", "modification")
	form["attribute[systems][]"] = []string{"hydrant", "fire_pump"}
	h.submit(form)
	decodeJSON(t, h.requests()[2].Data, &req)
	if !reflect.DeepEqual(req.Attributes["systems"], []any{"hydrant", "fire_pump"}) {
		t.Fatalf("systems published as %#v", req.Attributes["systems"])
	}
}

func TestPostXML(t *testing.T) {
	h := newHarness(t)
	res := h.postForm("/open311/v2/requests.xml", hazardForm(), nil)
	var doc struct {
		XMLName  xml.Name `xml:"service_requests"`
		Requests []struct {
			ID        string `xml:"service_request_id"`
			Notice    string `xml:"service_notice"`
			AccountID string `xml:"account_id"`
		} `xml:"request"`
	}
	if err := xml.Unmarshal(res.body, &doc); err != nil || res.status != http.StatusCreated || len(doc.Requests) != 1 {
		t.Fatalf("POST requests.xml: %v %s", err, res)
	}
	if _, err := uuid.Parse(doc.Requests[0].ID); err != nil || doc.Requests[0].Notice == "" {
		t.Fatalf("answer = %s", res.body)
	}
	if !strings.Contains(string(res.body), "<account_id></account_id>") {
		t.Fatalf("absent account_id should be an empty element: %s", res.body)
	}
}

func TestPostEmergencyAnswersWith997AndPublishesNothing(t *testing.T) {
	h := newHarness(t)
	form := hazardForm()
	form.Set("service_code", "emergency")
	res := h.postForm("/open311/v2/requests.json?lang=ar", form, nil)
	if res.status != http.StatusOK {
		t.Fatalf("POST emergency: %s", res)
	}
	var out []map[string]any
	decodeJSON(t, res.body, &out)
	notice, _ := out[0]["service_notice"].(string)
	if _, has := out[0]["service_request_id"]; has || !strings.Contains(notice, "997") ||
		!strings.HasPrefix(notice, "حالة طارئة") || !strings.Contains(notice, "transfer the caller to 997") {
		t.Fatalf("emergency answer = %s", res.body)
	}
	if n := len(h.requests()); n != 0 {
		t.Fatalf("an emergency published %d requests", n)
	}
}

func TestPostAnsweredRequestIsInTheView(t *testing.T) {
	h := newHarness(t)
	c := h.submit(hazardForm())
	r := h.request(c.ID, "")
	if r.Status != "open" || r.StatusCode != "submitted" || *r.ServiceCode != "fire_hazard_complaint" ||
		*r.ServiceName != "Non-emergency fire hazard complaint" || *r.Description != "Fire exit blocked by boxes" ||
		*r.Address != "Al Majaz 2, Sharjah" || *r.Lat != 25.3463 || *r.Long != 55.4209 || r.Reference != c.Reference ||
		*r.AgencyResponsible != "Sharjah Civil Defence" || r.Requested == nil || r.Expected == nil || len(r.History) != 1 {
		t.Fatalf("GET after POST = %+v", r)
	}
	requested, err := time.Parse(time.RFC3339, *r.Requested)
	if err != nil || time.Since(requested) > time.Minute || !strings.HasSuffix(*r.Requested, "+04:00") {
		t.Fatalf("requested_datetime %q", *r.Requested)
	}
	byRef := h.request(strings.ToLower(strings.ReplaceAll(c.Reference, "-", "")), "")
	if byRef.ID != c.ID {
		t.Fatalf("lookup by reference found %s", byRef.ID)
	}
}

func TestNoPersonalDataInLogsSpansOrHeaders(t *testing.T) {
	h := newHarness(t)
	form := hazardForm()
	h.submit(form)
	h.postForm("/open311/v2/requests.json", func() (f map[string][]string) {
		f = hazardForm()
		f["attribute[hazard_type]"] = []string{"not-a-hazard"}
		return f
	}(), nil)
	personal := []string{form.Get("first_name"), form.Get("last_name"), form.Get("phone"), form.Get("email"), publicKey}
	logs := h.logs.String()
	if !strings.Contains(logs, "request submitted") {
		t.Fatalf("no submission logged: %s", logs)
	}
	var spans []string
	for _, s := range h.spans.Ended() {
		b, _ := json.Marshal(s.Attributes())
		spans = append(spans, s.Name()+string(b))
	}
	headers, _ := json.Marshal(h.requests()[0].Header)
	for _, p := range personal {
		for where, text := range map[string]string{"logs": logs, "spans": strings.Join(spans, "\n"), "headers": string(headers)} {
			if strings.Contains(text, p) {
				t.Errorf("%s contain %q", where, p)
			}
		}
	}
}

func TestCaptureSpanIsParentOfPublish(t *testing.T) {
	h := newHarness(t)
	c := h.submit(hazardForm())
	var capture, send trace.SpanContext
	var parentOfSend trace.SpanID
	for _, s := range h.spans.Ended() {
		switch s.Name() {
		case "capture request":
			capture = s.SpanContext()
		case "send cc.request.{request_id}.submitted":
			send, parentOfSend = s.SpanContext(), s.Parent().SpanID()
		}
	}
	if !capture.IsValid() || !send.IsValid() || send.TraceID() != capture.TraceID() || parentOfSend != capture.SpanID() {
		t.Fatalf("capture %v, send %v (parent %v)", capture, send, parentOfSend)
	}
	if tp := h.requests()[0].Header.Get("traceparent"); !strings.Contains(tp, capture.TraceID().String()) {
		t.Fatalf("traceparent %q does not carry the capture's trace %s (request %s)", tp, capture.TraceID(), c.ID)
	}
}
