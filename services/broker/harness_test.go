package broker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
	"github.com/sharjah-handoff/handoff/events/embedded"
	"github.com/sharjah-handoff/handoff/internal/natstest"
	"github.com/sharjah-handoff/handoff/services/broker"
)

// harness runs a broker on a real embedded NATS with the production
// accounts, and talks to it as the contact centre and Civil Defence do.
type harness struct {
	t   *testing.T
	s   *embedded.Server
	cc  *events.Publisher
	cd  *events.Publisher
	cat *contracts.Catalogue
	js  jetstream.JetStream
	// metrics are read back through a manual reader.
	meters *sdkmetric.MeterProvider
	reader *sdkmetric.ManualReader
}

// counter returns the sum of an Int64 counter the broker recorded.
func (h *harness) counter(name string) int64 {
	h.t.Helper()
	var rm metricdata.ResourceMetrics
	if err := h.reader.Collect(context.Background(), &rm); err != nil {
		h.t.Fatal(err)
	}
	var n int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == name {
				for _, dp := range sum.DataPoints {
					n += dp.Value
				}
			}
		}
	}
	return n
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	s := natstest.Start(t)
	cat, err := contracts.DefaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	_, ccjs := natstest.Connect(t, s, "agent")
	_, cdjs := natstest.Connect(t, s, "cd-system")
	_, bjs := natstest.Connect(t, s, "broker")
	cc, _ := events.NewPublisher(ccjs, "/contact-centre/test")
	cd, _ := events.NewPublisher(cdjs, "/civil-defence/test")
	reader := sdkmetric.NewManualReader()
	return &harness{t: t, s: s, cc: cc, cd: cd, cat: cat, js: bjs, reader: reader,
		meters: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))}
}

// startBroker runs a broker until the test ends or stop is called.
func (h *harness) startBroker(mutate func(*broker.Config)) (b *broker.Broker, stop func()) {
	h.t.Helper()
	return h.runBroker(h.js, mutate, false)
}

// runBroker runs a broker on js; if mayFail, its Run may end in an error
// (its connection is cut on purpose).
func (h *harness) runBroker(js jetstream.JetStream, mutate func(*broker.Config), mayFail bool) (b *broker.Broker, stop func()) {
	h.t.Helper()
	cfg := broker.Config{Catalogue: h.cat, BackOff: []time.Duration{50 * time.Millisecond}, GapWait: 50 * time.Millisecond,
		WatchInterval: 100 * time.Millisecond, ReportEvery: time.Hour, MeterProvider: h.meters}
	if mutate != nil {
		mutate(&cfg)
	}
	b, err := broker.New(context.Background(), js, cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	stop = natstest.Background(h.t, "broker", func(ctx context.Context) error {
		if err := b.Run(ctx); err != nil && !mayFail {
			return err
		}
		return nil
	})
	return b, stop
}

func inspection() contracts.RequestSubmitted {
	rid := uuid.Must(uuid.NewV7())
	lat, long := 25.3463, 55.4209
	return contracts.RequestSubmitted{
		RequestID: rid.String(), Reference: contracts.RandomReference(contracts.RequestReferencePrefix, rid),
		ServiceCode: "fire_safety_inspection", SubmittedAt: time.Now().UTC().Truncate(time.Second),
		Channel: "phone", Language: "ar", Description: "تفتيش مستودع قبل تجديد الرخصة",
		Attributes: contracts.Attributes{"inspection_purpose": "licence_renewal", "building_type": "warehouse", "floors": 2},
		Location:   &contracts.Location{Address: "Industrial Area 6, Sharjah", Lat: &lat, Long: &long},
		Caller:     &contracts.Caller{FirstName: "Test", LastName: "Caller", Phone: "+971500000000"},
	}
}

func (h *harness) publish(p *events.Publisher, typ, id string, tokens []string, corr string, payload any) {
	h.t.Helper()
	if _, err := p.Publish(context.Background(), events.Outgoing{Type: typ, Tokens: tokens, ID: id,
		Subject: tokens[len(tokens)-1], CorrelationID: corr, Payload: payload}); err != nil {
		h.t.Fatalf("publish %s: %v", typ, err)
	}
}

func (h *harness) submit(req contracts.RequestSubmitted, msgID string) {
	h.t.Helper()
	h.publish(h.cc, contracts.TypeRequestSubmitted, msgID, []string{req.RequestID}, req.RequestID, req)
}

// status publishes a Civil Defence status change and returns its event id.
func (h *harness) status(tid, rid string, version int, s contracts.Status) string {
	h.t.Helper()
	ts := contracts.TicketStatus{TicketID: tid, Version: version, Status: s, CDStatusCode: "CD_" + string(s),
		OfficerID: "officer-7", ChangedAt: time.Now().UTC()}
	switch s {
	case contracts.StatusInfoRequested, contracts.StatusResolved:
		ts.PublicNote = &contracts.Text{AR: "ملاحظة " + string(s), EN: "note " + string(s)}
	case contracts.StatusRejected:
		ts.ReasonCode = contracts.ReasonOutOfJurisdiction
		ts.PublicNote = &contracts.Text{AR: "خارج الاختصاص", EN: "out of jurisdiction"}
	}
	id := uuid.Must(uuid.NewV7()).String()
	h.publish(h.cd, contracts.TypeTicketStatus, id, []string{tid}, rid, ts)
	return id
}

// ccEvents returns what reached the contact centre's stream for rid, by type.
func (h *harness) ccEvents(rid string) (statuses []contracts.RequestStatus, rejected []contracts.RequestRejected, overdue []contracts.RequestOverdue) {
	for _, m := range natstest.StreamMessages(h.t, h.s, events.StreamCCUpdates, "cc.update."+rid+".>") {
		switch m.Header.Get(events.HeaderType) {
		case contracts.TypeRequestStatus:
			statuses = append(statuses, decode[contracts.RequestStatus](h.t, m.Data))
		case contracts.TypeRequestRejected:
			rejected = append(rejected, decode[contracts.RequestRejected](h.t, m.Data))
		case contracts.TypeRequestOverdue:
			overdue = append(overdue, decode[contracts.RequestOverdue](h.t, m.Data))
		}
	}
	return
}

// ticketEvents returns every Civil Defence ticket event of a request.
func (h *harness) ticketEvents(filter string) []*jetstream.RawStreamMsg {
	return natstest.StreamMessages(h.t, h.s, events.StreamCDTickets, filter)
}

func decode[T any](t *testing.T, data []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// waitStatuses waits until the contact centre has n statuses for rid.
func (h *harness) waitStatuses(rid string, n int) []contracts.RequestStatus {
	h.t.Helper()
	var st []contracts.RequestStatus
	natstest.Eventually(h.t, func() error {
		st, _, _ = h.ccEvents(rid)
		if len(st) < n {
			return fmt.Errorf("%d statuses for %s, want %d: %v", len(st), rid, n, statusList(st))
		}
		return nil
	})
	return st
}

// waitTicket waits for the ticket of a request and returns it.
func (h *harness) waitTicket(rid string) contracts.TicketOpened {
	h.t.Helper()
	var opened contracts.TicketOpened
	natstest.Eventually(h.t, func() error {
		for _, m := range h.ticketEvents("cd.ticket.*.*.opened") {
			if o := decode[contracts.TicketOpened](h.t, m.Data); o.RequestID == rid {
				opened = o
				return nil
			}
		}
		return errors.New("no ticket yet")
	})
	return opened
}

func (h *harness) deadLetters() []events.DeadLetter {
	var out []events.DeadLetter
	for _, m := range natstest.StreamMessages(h.t, h.s, events.StreamDeadLetter, "") {
		dl, _ := events.ReadDeadLetter(m.Data)
		out = append(out, dl)
	}
	return out
}

func statusList(st []contracts.RequestStatus) []contracts.Status {
	out := make([]contracts.Status, len(st))
	for i, s := range st {
		out[i] = s.Status
	}
	return out
}

func natsMsg(subject, rid, body string) *nats.Msg {
	m := nats.NewMsg(subject)
	events.Envelope{ID: uuid.NewString(), Source: "/rogue", Type: contracts.TypeRequestSubmitted, Time: time.Now(), CorrelationID: rid}.Header(m.Header)
	m.Data = []byte(body)
	return m
}

// handOff submits an inspection request and waits for its ticket.
func (h *harness) handOff() (contracts.RequestSubmitted, contracts.TicketOpened) {
	h.t.Helper()
	req := inspection()
	h.submit(req, "")
	return req, h.waitTicket(req.RequestID)
}

// setAckSLA shortens a service's acknowledgement SLA for watchdog tests;
// call it before starting the broker.
func (h *harness) setAckSLA(code string, seconds int64) {
	for i := range h.cat.Services {
		if h.cat.Services[i].Code == code {
			h.cat.Services[i].AckSLASeconds = seconds
		}
	}
}
