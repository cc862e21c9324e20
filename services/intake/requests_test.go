package intake_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
	"github.com/sharjah-handoff/handoff/internal/natstest"
)

// ccUpdate publishes to CC_UPDATES as the broker does.
func (h *harness) ccUpdate(typ, rid string, payload any) {
	h.t.Helper()
	_, js := natstest.Connect(h.t, h.s, "broker")
	p, err := events.NewPublisher(js, "/handoff/broker")
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := p.Publish(context.Background(), events.Outgoing{Type: typ, Tokens: []string{rid}, Subject: rid,
		CorrelationID: rid, Payload: payload}); err != nil {
		h.t.Fatal(err)
	}
}

// ccStatus publishes a request's status as the broker would. Statuses are
// dated in sequence order, as the broker dates them, however late they are
// delivered.
func (h *harness) ccStatus(rid, ref string, seq int, st contracts.Status, note *contracts.Text) {
	h.t.Helper()
	h.ccUpdate(contracts.TypeRequestStatus, rid, contracts.RequestStatus{RequestID: rid, RequestReference: ref, Sequence: seq,
		Status: st, PublicNote: note, ChangedAt: h.clock.Add(time.Duration(seq) * time.Second), TicketReference: "CD-0000-00A1", TicketID: rid, Queue: "complaints"})
}

// waitStatus waits until the view shows a request's common status.
func (h *harness) waitStatus(id string, st contracts.Status) requestJSON {
	h.t.Helper()
	var r requestJSON
	natstest.Eventually(h.t, func() error {
		var err error
		if r, err = h.tryRequest(id, ""); err != nil {
			return err
		}
		if r.StatusCode != string(st) {
			return fmt.Errorf("status %s, want %s", r.StatusCode, st)
		}
		return nil
	})
	return r
}

func (h *harness) list(query string) []requestJSON {
	h.t.Helper()
	res := h.get("/open311/v2/requests.json?api_key=" + publicKey + "&extensions=true&" + query)
	if res.status != http.StatusOK {
		h.t.Fatalf("GET requests?%s: %s", query, res)
	}
	var out []requestJSON
	decodeJSON(h.t, res.body, &out)
	return out
}

func ids(list []requestJSON) []string {
	var out []string
	for _, r := range list {
		out = append(out, r.ID)
	}
	return out
}

func TestListRequestsFilters(t *testing.T) {
	h := newHarness(t)
	first := h.submit(hazardForm())
	second := h.submit(hazardForm())
	fb := hazardForm()
	fb.Set("service_code", "feedback")
	fb.Del("attribute[hazard_type]")
	fb.Del("attribute[premises_type]")
	fb.Set("attribute[feedback_type]", "compliment")
	third := h.submit(fb)
	h.ccStatus(first.ID, first.Reference, 1, contracts.StatusQueued, nil)
	h.ccStatus(first.ID, first.Reference, 2, contracts.StatusClosed, &contracts.Text{EN: "Exit cleared.", AR: "أُخلي المخرج."})
	h.waitStatus(first.ID, contracts.StatusClosed)

	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", []string{third.ID, second.ID, first.ID}},
		{"service_code=feedback", []string{third.ID}},
		{"service_code=feedback,fire_hazard_complaint", []string{third.ID, second.ID, first.ID}},
		{"status=closed", []string{first.ID}},
		{"status=open", []string{third.ID, second.ID}},
		{"status=open,closed&service_code=fire_hazard_complaint", []string{second.ID, first.ID}},
		{"service_request_id=" + first.ID + "," + strings.ToLower(third.Reference) + ",CC-0000-0000&status=open", []string{first.ID, third.ID}},
		{"start_date=" + url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339)), []string{third.ID, second.ID, first.ID}},
		{"end_date=" + url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339)), nil},
	} {
		if got := ids(h.list(c.query)); !slices.Equal(got, c.want) {
			t.Errorf("GET requests?%s = %v, want %v", c.query, got, c.want)
		}
	}
	closed := h.list("status=closed")[0]
	if closed.Status != "closed" || *closed.StatusNotes != "Exit cleared." || closed.TicketReference != "CD-0000-00A1" {
		t.Fatalf("closed request = %+v", closed)
	}
	if res := h.get("/open311/v2/requests.json?status=pending&api_key=" + publicKey); res.status != http.StatusBadRequest {
		t.Fatalf("status=pending: %s", res)
	}
}

func TestListRequestsXML(t *testing.T) {
	h := newHarness(t)
	c := h.submit(hazardForm())
	res := h.get("/open311/v2/requests.xml?api_key=" + publicKey)
	var doc struct {
		XMLName  xml.Name `xml:"service_requests"`
		Requests []struct {
			ID          string  `xml:"service_request_id"`
			Status      string  `xml:"status"`
			StatusNotes string  `xml:"status_notes"`
			ServiceCode string  `xml:"service_code"`
			Requested   string  `xml:"requested_datetime"`
			Address     string  `xml:"address"`
			Lat         float64 `xml:"lat"`
			Long        float64 `xml:"long"`
			Zipcode     string  `xml:"zipcode"`
		} `xml:"request"`
	}
	if err := xml.Unmarshal(res.body, &doc); err != nil || res.status != http.StatusOK {
		t.Fatalf("%v %s", err, res)
	}
	r := doc.Requests[0]
	if len(doc.Requests) != 1 || r.ID != c.ID || r.Status != "open" || r.ServiceCode != "fire_hazard_complaint" ||
		r.Lat != 25.3463 || r.Long != 55.4209 || r.Address != "Al Majaz 2, Sharjah" || r.StatusNotes == "" || r.Requested == "" {
		t.Fatalf("requests.xml = %s", res.body)
	}
	if strings.Contains(string(res.body), "<history>") || strings.Contains(string(res.body), "<status_code>") {
		t.Fatalf("extensions without extensions=true: %s", res.body)
	}
	one := h.get("/open311/v2/requests/" + c.Reference + ".xml?extensions=true&api_key=" + publicKey)
	if !strings.Contains(string(one.body), "<reference>"+c.Reference+"</reference>") ||
		!strings.Contains(string(one.body), "<history>") || !strings.Contains(string(one.body), "<event>submitted</event>") {
		t.Fatalf("requests/{ref}.xml with extensions = %s", one.body)
	}
}

func TestListRequestsDateRangeAndNinetyDayCap(t *testing.T) {
	h := newHarness(t)
	now := time.Now()
	recent := h.submit(hazardForm())
	month := v7At(now.Add(-30 * 24 * time.Hour))
	old := v7At(now.Add(-100 * 24 * time.Hour))
	h.ccStatus(month, "CC-0000-0MTH", 1, contracts.StatusQueued, nil)
	h.ccStatus(old, "CC-0000-00AD", 1, contracts.StatusQueued, nil)
	h.waitStatus(month, contracts.StatusQueued)
	h.waitStatus(old, contracts.StatusQueued)
	day := func(d int) string {
		return url.QueryEscape(now.Add(time.Duration(d) * 24 * time.Hour).Format(time.RFC3339))
	}

	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", []string{recent.ID, month}},
		{"start_date=" + day(-110) + "&end_date=" + day(-95), []string{old}},
		{"start_date=" + day(-95), []string{month}},
		{"end_date=" + day(-25), []string{month, old}},
		{"start_date=" + day(-101) + "&end_date=" + day(-29), []string{month, old}},
	} {
		if got := ids(h.list(c.query)); !slices.Equal(got, c.want) {
			t.Errorf("GET requests?%s = %v, want %v", c.query, got, c.want)
		}
	}
	for _, c := range []struct{ query, want string }{
		{"start_date=" + day(-91) + "&end_date=" + day(0), "may not span more than 90 days"},
		{"start_date=" + day(-1) + "&end_date=" + day(-2), "end_date is before start_date"},
		{"start_date=yesterday", `start_date: "yesterday" is not a W3C date-time`},
	} {
		res := h.get("/open311/v2/requests.json?api_key=" + publicKey + "&" + c.query)
		if errs := errorsOf(t, res); res.status != http.StatusBadRequest || len(errs) != 1 || !strings.Contains(errs[0].Description, c.want) {
			t.Errorf("GET requests?%s: %s, want 400 saying %q", c.query, res, c.want)
		}
	}
	if res := h.get("/open311/v2/requests.json?api_key=" + publicKey + "&lang=ar&start_date=" + day(-100) + "&end_date=" + day(0)); !strings.Contains(string(res.body), "تسعين يوما") {
		t.Fatalf("90-day cap in Arabic: %s", res.body)
	}
}

func TestGetRequestInArabic(t *testing.T) {
	h := newHarness(t)
	c := h.submit(hazardForm())
	h.ccStatus(c.ID, c.Reference, 1, contracts.StatusQueued, nil)
	h.waitStatus(c.ID, contracts.StatusQueued)
	r := h.request(c.Reference, "&lang=ar")
	if *r.ServiceName != "بلاغ عن خطر حريق غير طارئ" || *r.StatusNotes != "في قائمة انتظار الدفاع المدني بانتظار الاستلام." ||
		*r.AgencyResponsible != "الدفاع المدني - الشارقة" || !strings.Contains(*r.ServiceNotice, "يستلم الدفاع المدني") ||
		len(r.History) != 2 || r.History[0].Notes != "استلمه مركز الاتصال ويجري تحويله إلى الدفاع المدني." {
		t.Fatalf("lang=ar: %+v", r)
	}
	res := h.do(http.MethodGet, "/open311/v2/requests/"+c.ID+".json?api_key="+publicKey, "", nil, http.Header{"Accept-Language": {"ar"}})
	if !strings.Contains(string(res.body), "بلاغ عن خطر حريق غير طارئ") {
		t.Fatalf("Accept-Language ar: %s", res.body)
	}
}

func TestGetRequestAccessAndNotFound(t *testing.T) {
	h := newHarness(t)
	c := h.submit(hazardForm())
	for _, tc := range []struct {
		path   string
		header http.Header
		status int
	}{
		{"/open311/v2/requests/" + c.ID + ".json", nil, http.StatusForbidden},
		{"/open311/v2/requests.json", nil, http.StatusForbidden},
		{"/open311/v2/requests/" + c.ID + ".json?api_key=nope-nope-nope-nope", nil, http.StatusForbidden},
		{"/open311/v2/requests/" + c.ID + ".json", http.Header{"X-Api-Key": {publicKey}}, http.StatusOK},
		{"/open311/v2/requests/" + c.ID + ".json?api_key=" + staffKey, nil, http.StatusOK},
		{"/open311/v2/requests/CC-0000-0000.json?api_key=" + publicKey, nil, http.StatusNotFound},
		{"/open311/v2/requests/" + v7At(time.Now()) + ".json?api_key=" + publicKey, nil, http.StatusNotFound},
		{"/open311/v2/requests/not-an-id.xml?api_key=" + publicKey, nil, http.StatusNotFound},
	} {
		if res := h.do(http.MethodGet, tc.path, "", nil, tc.header); res.status != tc.status {
			t.Errorf("GET %s: %s, want %d", tc.path, res, tc.status)
		}
	}
}

// Requests for a staff-only service are for staff keys only, as the
// service itself is.
func TestStaffOnlyRequestsHiddenFromPublicKeys(t *testing.T) {
	h := newHarness(t)
	f := url.Values{"api_key": {staffKey}, "service_code": {"inspection_reschedule"},
		"address_string": {"Industrial Area 6, Sharjah"}, "attribute[original_ticket_reference]": {"CD-7HQF-6WQY"},
		"attribute[new_date]": {time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)}}
	c := h.submit(f)
	if res := h.get("/open311/v2/requests/" + c.ID + ".json?api_key=" + publicKey); res.status != http.StatusNotFound {
		t.Fatalf("public key reading a staff-only request: %s", res)
	}
	if res := h.get("/open311/v2/requests/" + c.ID + ".json?api_key=" + staffKey); res.status != http.StatusOK {
		t.Fatalf("staff key reading it: %s", res)
	}
	for key, want := range map[string]bool{publicKey: false, staffKey: true} {
		res := h.get("/open311/v2/requests.json?service_request_id=" + c.ID + "&api_key=" + key)
		if got := strings.Contains(res.String(), c.ID); res.status != http.StatusOK || got != want {
			t.Fatalf("list with key %s: %s (listed: %v, want %v)", key[:6], res, got, want)
		}
	}
}
