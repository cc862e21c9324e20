package intake_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"golang.org/x/crypto/bcrypt"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
	"github.com/sharjah-handoff/handoff/events/embedded"
	"github.com/sharjah-handoff/handoff/internal/natstest"
	"github.com/sharjah-handoff/handoff/services/broker"
	"github.com/sharjah-handoff/handoff/services/intake"
)

// Credentials the harness configures.
const (
	publicKey     = "public-key-0123456789abcdef"
	staffKey      = "staff-key-0123456789abcdef"
	agentID       = "agent-7"
	agentPassword = "correct horse battery"
)

// harness runs an intake on a real embedded NATS with the production
// accounts, behind a real HTTP server, and talks to it as clients, agents
// and Civil Defence do.
type harness struct {
	t     testing.TB
	s     *embedded.Server
	svc   *intake.Service
	web   *httptest.Server
	nc    *nats.Conn
	cat   *contracts.Catalogue
	spans *tracetest.SpanRecorder
	tp    *sdktrace.TracerProvider
	logs  *syncBuffer
	stop  func()
	// clock dates the statuses the harness sends: after any request it
	// submits.
	clock time.Time
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var agentHash = func() string {
	h, err := bcrypt.GenerateFromPassword([]byte(agentPassword), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return string(h)
}()

func newHarness(t testing.TB, mutate ...func(*intake.Config)) *harness {
	t.Helper()
	s := natstest.Start(t)
	return startIntake(t, s, mutate...)
}

// startIntake runs an intake on s until the test ends.
func startIntake(t testing.TB, s *embedded.Server, mutate ...func(*intake.Config)) *harness {
	t.Helper()
	cat, err := contracts.DefaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	nc, js := natstest.Connect(t, s, "intake")
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	logs := &syncBuffer{}
	cfg := intake.Config{Catalogue: cat,
		APIKeys: []intake.APIKey{{Name: "crm", Key: publicKey}, {Name: "desk", SHA256: intake.HashAPIKey(staffKey), Staff: true}},
		Agents:  []intake.Agent{{ID: agentID, Name: "Mariam", PasswordBcrypt: agentHash}},
		Logger:  slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), TracerProvider: tp,
		SubmitTimeout: 3 * time.Second, FeedKeepAlive: time.Second}
	for _, m := range mutate {
		m(&cfg)
	}
	svc, err := intake.New(context.Background(), js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Run may end in an error: some tests cut the connection on purpose.
	stopRun := natstest.Background(t, "intake", func(ctx context.Context) error { _ = svc.Run(ctx); return nil })
	web := httptest.NewServer(svc.Handler())
	var once sync.Once
	stop := func() {
		once.Do(func() {
			web.CloseClientConnections()
			web.Close()
			stopRun()
		})
	}
	t.Cleanup(stop)
	return &harness{t: t, s: s, svc: svc, web: web, nc: nc, cat: cat, spans: spans, tp: tp, logs: logs, stop: stop,
		clock: time.Now().Add(time.Minute).UTC()}
}

// startBroker runs a real broker on the same server.
func (h *harness) startBroker() {
	h.t.Helper()
	_, js := natstest.Connect(h.t, h.s, "broker")
	b, err := broker.New(context.Background(), js, broker.Config{Catalogue: h.cat, BackOff: []time.Duration{50 * time.Millisecond},
		GapWait: 50 * time.Millisecond, WatchInterval: time.Hour, ReportEvery: time.Hour, TracerProvider: h.tp,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		h.t.Fatal(err)
	}
	natstest.Background(h.t, "broker", b.Run)
}

// response is an HTTP answer, read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

func (h *harness) do(method, path, contentType string, body []byte, header http.Header) response {
	h.t.Helper()
	req, err := http.NewRequest(method, h.web.URL+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := h.web.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (h *harness) get(path string) response { return h.do(http.MethodGet, path, "", nil, nil) }

func (h *harness) postForm(path string, form url.Values, header http.Header) response {
	return h.do(http.MethodPost, path, "application/x-www-form-urlencoded", []byte(form.Encode()), header)
}

func (h *harness) postJSON(path string, v any, header http.Header) response {
	b, err := json.Marshal(v)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.do(http.MethodPost, path, "application/json", b, header)
}

// hazardForm is a valid POST of a fire hazard complaint.
func hazardForm() url.Values {
	return url.Values{
		"api_key": {publicKey}, "service_code": {"fire_hazard_complaint"},
		"lat": {"25.3463"}, "long": {"55.4209"}, "address_string": {"Al Majaz 2, Sharjah"},
		"attribute[hazard_type]": {"blocked_exit"}, "attribute[premises_type]": {"shop"},
		"description": {"Fire exit blocked by boxes"}, "first_name": {"Fatima"}, "last_name": {"Al Suwaidi"},
		"phone": {"+971501234567"}, "email": {"fatima@example.ae"},
	}
}

// created is one element of a POST requests answer.
type created struct {
	ID        string  `json:"service_request_id"`
	Notice    *string `json:"service_notice"`
	AccountID *string `json:"account_id"`
	Reference string  `json:"reference"`
}

// submit POSTs a valid request and returns its id and reference.
func (h *harness) submit(form url.Values) created {
	h.t.Helper()
	res := h.postForm("/open311/v2/requests.json?extensions=true", form, nil)
	if res.status != http.StatusCreated {
		h.t.Fatalf("POST requests: %s", res)
	}
	var out []created
	decodeJSON(h.t, res.body, &out)
	if len(out) != 1 || out[0].ID == "" {
		h.t.Fatalf("POST requests answered %s", res.body)
	}
	return out[0]
}

func decodeJSON(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// requests is what CC_REQUESTS holds: what the intake published.
func (h *harness) requests() []*jetstream.RawStreamMsg {
	return natstest.StreamMessages(h.t, h.s, events.StreamCCRequests, "")
}

// apiError is one Open311 error.
type apiError struct {
	Code        int    `json:"code"`
	Description string `json:"description"`
}

func errorsOf(t *testing.T, res response) []apiError {
	t.Helper()
	var errs []apiError
	decodeJSON(t, res.body, &errs)
	return errs
}

// requestJSON is one request of GET requests, with extensions.
type requestJSON struct {
	ID                string  `json:"service_request_id"`
	Status            string  `json:"status"`
	StatusNotes       *string `json:"status_notes"`
	ServiceName       *string `json:"service_name"`
	ServiceCode       *string `json:"service_code"`
	Description       *string `json:"description"`
	AgencyResponsible *string `json:"agency_responsible"`
	ServiceNotice     *string `json:"service_notice"`
	Requested         *string `json:"requested_datetime"`
	Updated           *string `json:"updated_datetime"`
	Expected          *string `json:"expected_datetime"`
	Address           *string `json:"address"`
	Lat               *float64
	Long              *float64
	Reference         string `json:"reference"`
	StatusCode        string `json:"status_code"`
	CDStatusCode      string `json:"cd_status_code"`
	TicketReference   string `json:"ticket_reference"`
	History           []struct {
		Event      string `json:"event"`
		StatusCode string `json:"status_code"`
		Notes      string `json:"notes"`
	} `json:"history"`
}

// request GETs one request by id or reference.
func (h *harness) request(id, query string) requestJSON {
	h.t.Helper()
	r, err := h.tryRequest(id, query)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

func (h *harness) tryRequest(id, query string) (requestJSON, error) {
	res := h.get("/open311/v2/requests/" + id + ".json?api_key=" + publicKey + "&extensions=true" + query)
	if res.status != http.StatusOK {
		return requestJSON{}, fmt.Errorf("GET request %s: %s", id, res)
	}
	var out []requestJSON
	if err := json.Unmarshal(res.body, &out); err != nil || len(out) != 1 {
		return requestJSON{}, fmt.Errorf("GET request %s answered %s", id, res.body)
	}
	return out[0], nil
}

// waitTicket waits for the broker to open the ticket of a request.
func (h *harness) waitTicket(rid string) contracts.TicketOpened {
	h.t.Helper()
	var opened contracts.TicketOpened
	natstest.Eventually(h.t, func() error {
		for _, m := range natstest.StreamMessages(h.t, h.s, events.StreamCDTickets, "cd.ticket.*.*.opened") {
			var o contracts.TicketOpened
			if json.Unmarshal(m.Data, &o) == nil && o.RequestID == rid {
				opened = o
				return nil
			}
		}
		return errors.New("no ticket yet")
	})
	return opened
}

// cdStatus publishes a Civil Defence status change as its own system.
func (h *harness) cdStatus(tid, rid string, version int, st contracts.Status, note *contracts.Text, expected *time.Time) {
	h.t.Helper()
	_, js := natstest.Connect(h.t, h.s, "cd-system")
	p, err := events.NewPublisher(js, "/civil-defence/test")
	if err != nil {
		h.t.Fatal(err)
	}
	ts := contracts.TicketStatus{TicketID: tid, Version: version, Status: st, CDStatusCode: "CD-" + strings.ToUpper(string(st)),
		PublicNote: note, OfficerID: "officer-3", ChangedAt: time.Now().UTC(), ExpectedResolutionAt: expected}
	if _, err := p.Publish(context.Background(), events.Outgoing{Type: contracts.TypeTicketStatus, Tokens: []string{tid},
		Subject: tid, CorrelationID: rid, Payload: ts}); err != nil {
		h.t.Fatal(err)
	}
}

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	id, event string
	data      map[string]any
}

// feed is an open SSE connection.
type feed struct {
	events chan sseEvent
	close  func()
}

// openFeed connects to an SSE feed and reads its events in the
// background.
func (h *harness) openFeed(path string, header http.Header) *feed {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.web.URL+path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := h.web.Client().Do(req)
	if err != nil {
		cancel()
		h.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(res.Body)
		cancel()
		h.t.Fatalf("feed %s: %d %s", path, res.StatusCode, b)
	}
	f := &feed{events: make(chan sseEvent, 64)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.event != "" {
					f.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				ev.event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.data)
			}
		}
	}()
	var once sync.Once
	f.close = func() { once.Do(func() { cancel(); <-done }) }
	h.t.Cleanup(f.close)
	return f
}

// next waits for the feed's next event.
func (f *feed) next(t *testing.T) sseEvent {
	t.Helper()
	select {
	case ev := <-f.events:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event on the feed within 10s")
		return sseEvent{}
	}
}

// quiet checks that no event arrives for a while.
func (f *feed) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case ev := <-f.events:
		t.Fatalf("unexpected event %s %s %v", ev.id, ev.event, ev.data)
	case <-time.After(d):
	}
}

// v7At makes a UUIDv7 of a given time, for requests made in the past.
func v7At(at time.Time) string {
	id := uuid.Must(uuid.NewV7())
	ms := uint64(at.UnixMilli())
	for i := 0; i < 6; i++ {
		id[i] = byte(ms >> (40 - 8*i))
	}
	return id.String()
}
