package backoffice_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
	"github.com/sharjah-handoff/handoff/events/embedded"
	"github.com/sharjah-handoff/handoff/internal/natstest"
	"github.com/sharjah-handoff/handoff/services/backoffice"
)

// office runs a back office on a real embedded NATS, serves it over HTTP,
// and plays the broker's part where a test needs no real broker.
type office struct {
	t      *testing.T
	s      *embedded.Server
	cat    *contracts.Catalogue
	svc    *backoffice.Service
	web    *httptest.Server
	broker *events.Publisher
	stop   func()
}

// officers: two of licensing, one of complaints, and a supervisor. The
// password of each is "pw-" and its id.
var testOfficers = []struct {
	id, role string
	queues   []string
}{
	{"lic-1", "officer", []string{"licensing"}},
	{"lic-2", "officer", []string{"licensing"}},
	{"comp-1", "officer", []string{"complaints"}},
	{"chief", "supervisor", nil},
}

func officers(t testing.TB, cat *contracts.Catalogue) *backoffice.Officers {
	t.Helper()
	var list []backoffice.Officer
	for _, o := range testOfficers {
		hash, err := backoffice.HashPassword("pw-"+o.id, bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, backoffice.Officer{ID: o.id, Name: "Officer " + o.id, Role: backoffice.Role(o.role),
			Queues: o.queues, PasswordHash: hash})
	}
	dir, err := backoffice.NewOfficers(list, cat.Queues())
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func newOffice(t *testing.T, mutate func(*backoffice.Config)) *office {
	t.Helper()
	return officeOn(t, natstest.Start(t), mutate)
}

func officeOn(t *testing.T, s *embedded.Server, mutate func(*backoffice.Config)) *office {
	t.Helper()
	cat, err := contracts.DefaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	_, bjs := natstest.Connect(t, s, "broker")
	pub, err := events.NewPublisher(bjs, "/handoff/broker")
	if err != nil {
		t.Fatal(err)
	}
	o := &office{t: t, s: s, cat: cat, broker: pub}
	o.start(mutate)
	return o
}

// start runs the back office as the "backoffice" user until the test ends.
func (o *office) start(mutate func(*backoffice.Config)) {
	t := o.t
	t.Helper()
	_, js := natstest.Connect(t, o.s, "backoffice")
	cfg := backoffice.Config{Catalogue: o.cat, Officers: officers(t, o.cat), SessionKey: bytes.Repeat([]byte("k"), 32),
		BackOff: []time.Duration{50 * time.Millisecond}, MaxDeliver: 3, AckWait: 3 * time.Second,
		ActionTimeout: 3 * time.Second, PendingGrace: 4 * time.Second, SweepInterval: 100 * time.Millisecond,
		PublishTimeout: time.Second, RetryMissing: 50 * time.Millisecond}
	if mutate != nil {
		mutate(&cfg)
	}
	svc, err := backoffice.New(context.Background(), js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	stopRun := natstest.Background(t, "back office", svc.Run)
	mux := http.NewServeMux()
	mux.Handle("/backoffice/", svc.Handler())
	web := httptest.NewServer(mux)
	var once sync.Once
	o.svc, o.web = svc, web
	// Live streams end with the server, before the service stops.
	o.stop = func() {
		once.Do(func() {
			web.CloseClientConnections()
			web.Close()
			stopRun()
		})
	}
	t.Cleanup(o.stop)
	select {
	case <-svc.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("back office view not ready")
	}
}

func ticketFor(queue, service string) contracts.TicketOpened {
	tid, rid := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	now := time.Now().UTC().Truncate(time.Second)
	svc := map[string]contracts.Text{
		"no_objection_certificate": {AR: "شهادة عدم ممانعة", EN: "No-objection certificate"},
		"fire_hazard_complaint":    {AR: "بلاغ عن خطر حريق غير طارئ", EN: "Non-emergency fire hazard complaint"},
	}[service]
	return contracts.TicketOpened{TicketID: tid.String(), TicketReference: contracts.RandomReference("CD", tid),
		RequestID: rid.String(), RequestReference: contracts.RandomReference("CC", rid), Queue: queue, Priority: "normal",
		OpenedAt: now, AckDueAt: now.Add(8 * time.Hour), ResolveDueAt: now.Add(7 * 24 * time.Hour),
		Request: contracts.RequestSnapshot{ServiceCode: service, ServiceName: svc, SubmittedAt: now, Channel: "phone",
			Language: "ar", Description: "طلب شهادة لمخبز جديد",
			Attributes: contracts.Attributes{"noc_type": "trade_licence", "activity": "bakery"},
			Caller:     &contracts.Caller{FirstName: "Test", LastName: "Caller", Phone: "+971500000001"}}}
}

// open publishes a ticket as the broker would and waits until it is filed.
func (o *office) open(queue string) contracts.TicketOpened {
	o.t.Helper()
	service := "no_objection_certificate"
	if queue == "complaints" {
		service = "fire_hazard_complaint"
	}
	tk := ticketFor(queue, service)
	o.publishTicket(contracts.TypeTicketOpened, tk.Queue, tk.TicketID, tk.RequestID, tk)
	o.waitRecord(tk.TicketID, func(r *backoffice.Record) bool { return true })
	return tk
}

func (o *office) publishTicket(typ, queue, tid, rid string, payload any) {
	o.t.Helper()
	if _, err := o.broker.Publish(context.Background(), events.Outgoing{Type: typ, Tokens: []string{queue, tid},
		Subject: tid, CorrelationID: rid, Payload: payload}); err != nil {
		o.t.Fatalf("publish %s: %v", typ, err)
	}
}

// waitRecord waits until the stored record of a ticket satisfies ok.
func (o *office) waitRecord(tid string, ok func(r *backoffice.Record) bool) *backoffice.Record {
	o.t.Helper()
	var rec *backoffice.Record
	natstest.Eventually(o.t, func() error {
		r, _, err := o.svc.Store().Get(context.Background(), tid)
		if err != nil {
			return err
		}
		if !ok(r) {
			return fmt.Errorf("ticket %s is %s v%d, history %d", tid, r.Status, r.Version, len(r.History))
		}
		rec = r
		return nil
	})
	return rec
}

func (o *office) record(tid string) *backoffice.Record {
	o.t.Helper()
	r, _, err := o.svc.Store().Get(context.Background(), tid)
	if err != nil {
		o.t.Fatal(err)
	}
	return r
}

// reports returns the status events Civil Defence sent for a ticket.
func (o *office) reports(tid string) ([]contracts.TicketStatus, []*jetstream.RawStreamMsg) {
	msgs := natstest.StreamMessages(o.t, o.s, events.StreamCDUpdates, "cd.update."+tid+".status")
	out := make([]contracts.TicketStatus, len(msgs))
	for i, m := range msgs {
		if err := json.Unmarshal(m.Data, &out[i]); err != nil {
			o.t.Fatal(err)
		}
	}
	return out, msgs
}

// response is a decoded API answer.
type response struct {
	status int
	body   map[string]any
	raw    []byte
}

func (r response) errorCode() string {
	e, _ := r.body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// ticket is the "ticket" of a 409, or the body of a 200.
func (r response) ticket() map[string]any {
	if tk, ok := r.body["ticket"].(map[string]any); ok {
		return tk
	}
	return r.body
}

// call makes an API request as an officer (HTTP Basic); officer "" sends
// no credentials.
func (o *office) call(method, path, officer string, body any) response {
	o.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, o.web.URL+"/backoffice/api"+path, rd)
	if err != nil {
		o.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if officer != "" {
		req.SetBasicAuth(officer, "pw-"+officer)
	}
	return do(o.t, req)
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, raw: raw}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(raw, &r.body)
	}
	return r
}

func (o *office) act(tid, action, officer string, body map[string]any) response {
	o.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	return o.call(http.MethodPost, "/tickets/"+tid+"/"+action, officer, body)
}

// mustAct performs an action that must succeed and returns the new version.
func (o *office) mustAct(tid, action, officer string, body map[string]any) map[string]any {
	o.t.Helper()
	r := o.act(tid, action, officer, body)
	if r.status != http.StatusOK {
		o.t.Fatalf("%s %s by %s: %d %s", action, tid, officer, r.status, r.raw)
	}
	return r.body
}

func note(en, ar string) map[string]any { return map[string]any{"en": en, "ar": ar} }
