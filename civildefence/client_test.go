package civildefence_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sharjah-handoff/handoff/civildefence"
	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
	"github.com/sharjah-handoff/handoff/internal/natstest"
)

func TestConsumeDeliversTypedEventsOfItsQueuesAndAcks(t *testing.T) {
	w := newWorld(t)
	c, js := w.client("registry")
	rec := newRecorder()
	consume(t, c, rec.handler(), "licensing", "training")

	lic := opened("licensing")
	trace := w.publish(contracts.TypeTicketOpened, "licensing", lic.TicketID, lic.RequestID, lic)
	other := w.open("complaints") // not consumed
	now := time.Now().UTC()
	w.publish(contracts.TypeTicketAmended, "licensing", lic.TicketID, lic.RequestID, contracts.TicketAmended{
		TicketID: lic.TicketID, RequestID: lic.RequestID, Queue: "licensing", AmendedAt: now, Note: "second floor too"})
	w.publish(contracts.TypeTicketRefused, "licensing", lic.TicketID, lic.RequestID, contracts.TicketRefused{
		TicketID: lic.TicketID, Queue: "licensing", RefusedEventID: "e1", Version: 1, Status: "resolved",
		CurrentStatus: "queued", ReasonCode: contracts.ReasonIllegalTransition,
		Message: contracts.Text{AR: "غير مسموح", EN: "not allowed"}, RefusedAt: now})
	w.publish(contracts.TypeTicketCancelled, "licensing", lic.TicketID, lic.RequestID, contracts.TicketCancelled{
		TicketID: lic.TicketID, RequestID: lic.RequestID, Queue: "licensing", CancelledAt: now, ReasonCode: contracts.ReasonCallerRequest})
	tr := w.open("training")

	got := rec.count(t, 5)
	types := map[string]int{}
	for _, m := range got {
		types[m.Type]++
		if m.TicketID == other.TicketID {
			t.Fatalf("a complaints ticket reached a consumer of licensing and training")
		}
		if m.Delivery != 1 || m.EventID == "" || m.Sequence == 0 {
			t.Errorf("meta incomplete: %+v", m)
		}
	}
	if types[contracts.TypeTicketOpened] != 2 || types[contracts.TypeTicketAmended] != 1 ||
		types[contracts.TypeTicketRefused] != 1 || types[contracts.TypeTicketCancelled] != 1 {
		t.Fatalf("event types handled: %v", types)
	}
	// Handlers run concurrently, so find the opened event by type, not by
	// arrival.
	first := got[slices.IndexFunc(got, func(m civildefence.Meta) bool {
		return m.TicketID == lic.TicketID && m.Type == contracts.TypeTicketOpened
	})]
	if first.Queue != "licensing" || first.RequestID != lic.RequestID || first.Trace.TraceID() != trace {
		t.Fatalf("opened meta %+v, want queue licensing, request %s, trace %s", first, lic.RequestID, trace)
	}
	rec.mu.Lock()
	if o := rec.opened[tr.TicketID]; o.Request.Attributes["activity"] != "bakery" || o.Queue != "training" {
		t.Errorf("typed payload not decoded: %+v", o)
	}
	rec.mu.Unlock()
	for _, q := range []string{"licensing", "training"} {
		waitAcked(t, js, c.Durable(q))
	}
}

// waitAcked waits until a durable consumer has nothing pending or
// unacknowledged.
func waitAcked(t *testing.T, js jetstream.JetStream, durable string) {
	t.Helper()
	natstest.Eventually(t, func() error {
		cons, err := js.Consumer(context.Background(), events.StreamCDTickets, durable)
		if err != nil {
			return err
		}
		info, err := cons.Info(context.Background())
		if err != nil {
			return err
		}
		if info.NumAckPending != 0 || info.NumPending != 0 {
			return fmt.Errorf("%s: %d unacknowledged, %d pending", durable, info.NumAckPending, info.NumPending)
		}
		return nil
	})
}

func TestReportSendsVersionsInOrderAndContinuesTheTicketTrace(t *testing.T) {
	w := newWorld(t)
	c, _ := w.client("registry")
	rec := newRecorder()
	consume(t, c, rec.handler(), "licensing")
	o := opened("licensing")
	trace := w.publish(contracts.TypeTicketOpened, "licensing", o.TicketID, o.RequestID, o)
	m := rec.count(t, 1)[0]

	ticket := civildefence.NewTicket(m, o)
	steps := []struct {
		status contracts.Status
		note   *contracts.Text
	}{
		{contracts.StatusAccepted, nil},
		{contracts.StatusInfoRequested, &contracts.Text{AR: "ما رقم الرخصة التجارية؟", EN: "What is the trade licence number?"}},
		{contracts.StatusInProgress, nil},
		{contracts.StatusResolved, &contracts.Text{AR: "صدرت الشهادة", EN: "The certificate was issued"}},
	}
	ctx := context.Background()
	for _, s := range steps {
		u, err := ticket.Next(s.status)
		if err != nil {
			t.Fatal(err)
		}
		u.CDStatusCode, u.PublicNote, u.OfficerID = "NOC_"+strings.ToUpper(string(s.status)), s.note, "officer-1"
		if _, err := c.Report(ctx, u); err != nil {
			t.Fatalf("report %s: %v", s.status, err)
		}
		ticket.Apply(u)
	}
	if _, err := ticket.Next(contracts.StatusAccepted); !errors.Is(err, civildefence.ErrTransition) {
		t.Fatalf("resolved → accepted: %v, want ErrTransition", err)
	}

	sent, msgs := w.statuses(o.TicketID)
	if len(sent) != len(steps) {
		t.Fatalf("%d status events, want %d", len(sent), len(steps))
	}
	for i, s := range sent {
		if s.Version != i+1 || s.Status != steps[i].status || s.OfficerID != "officer-1" {
			t.Errorf("event %d: version %d status %s", i, s.Version, s.Status)
		}
		h := msgs[i].Header
		if h.Get(events.HeaderCorrelationID) != o.RequestID || h.Get(events.HeaderCausationID) != m.EventID ||
			h.Get(events.HeaderSource) != "/civil-defence/test" {
			t.Errorf("event %d envelope: %v", i, h)
		}
		tc := civildefence.TraceContext{Traceparent: h.Get("traceparent")}
		if tc.TraceID() != trace {
			t.Errorf("event %d trace %q, want the ticket's %s", i, tc.TraceID(), trace)
		}
	}
	if n := sent[3].PublicNote; n == nil || n.AR == "" || n.EN == "" {
		t.Fatalf("resolved note: %+v", n)
	}
}

func TestReportRefusesInvalidUpdatesAndSendsNothing(t *testing.T) {
	w := newWorld(t)
	c, _ := w.client("registry")
	o := opened("licensing")
	ticket := civildefence.NewTicket(civildefence.Meta{}, o)
	if _, err := ticket.Next(contracts.StatusResolved); !errors.Is(err, civildefence.ErrTransition) {
		t.Fatalf("queued → resolved: %v", err)
	}
	u, _ := ticket.Next(contracts.StatusRejected)
	u.CDStatusCode = "DECLINED" // no reason code
	if _, err := c.Report(context.Background(), u); !errors.Is(err, civildefence.ErrInvalidUpdate) {
		t.Fatalf("rejected without reason: %v", err)
	}
	u.ReasonCode, u.CDStatusCode = contracts.ReasonOutOfJurisdiction, "not a token!"
	if _, err := c.Report(context.Background(), u); !errors.Is(err, civildefence.ErrInvalidUpdate) {
		t.Fatalf("bad CD code: %v", err)
	}
	if sent, _ := w.statuses(o.TicketID); len(sent) != 0 {
		t.Fatalf("%d invalid updates were sent", len(sent))
	}
}

func TestReportFailuresSayWhetherTheUpdateMayBeStored(t *testing.T) {
	w := newWorld(t)
	c, _ := w.client("registry")
	o := opened("licensing")
	ticket := civildefence.NewTicket(civildefence.Meta{}, o)
	u, _ := ticket.Next(contracts.StatusAccepted)
	u.CDStatusCode = "ACK"

	// The stream refuses: certainly not stored.
	restore := natstest.RefuseNew(t, w.s, events.StreamCDUpdates)
	_, err := c.Report(context.Background(), u)
	if !errors.Is(err, civildefence.ErrNotPublished) {
		t.Fatalf("stream refused: %v, want ErrNotPublished", err)
	}
	restore()
	rep, err := c.Report(context.Background(), u)
	if err != nil || rep.Duplicate {
		t.Fatalf("after the stream is back: %+v %v", rep, err)
	}

	// NATS is gone: nothing leaves the process.
	w.s.Shutdown()
	natstest.Eventually(t, func() error {
		if c.Connected() {
			return errors.New("client has not noticed the server is gone")
		}
		return nil
	})
	u2 := u
	u2.EventID, u2.Version = "", 2
	start := time.Now()
	if _, err := c.Report(context.Background(), u2); !errors.Is(err, civildefence.ErrNotPublished) {
		t.Fatalf("disconnected: %v, want ErrNotPublished", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("a report while disconnected took %s", d)
	}
}

func TestResumeAfterRestartNeitherLosesNorRepeatsATicket(t *testing.T) {
	dir, addr := t.TempDir(), natstest.FreeAddr(t)
	s := natstest.StartAt(t, dir, addr)
	w := worldOn(t, s)
	c, js := w.client("registry")
	rec := newRecorder()
	stop := consume(t, c, rec.handler(), "inspections")

	var want []string
	publish := func(n int) {
		for range n {
			want = append(want, w.open("inspections").TicketID)
		}
	}
	publish(3)
	rec.count(t, 3)
	waitAcked(t, js, c.Durable("inspections"))

	// The client stops; tickets arrive meanwhile; a new instance resumes.
	stop()
	publish(3)
	c2, js2 := w.client("registry")
	consume(t, c2, rec.handler(), "inspections")
	rec.count(t, 6)
	waitAcked(t, js2, c2.Durable("inspections"))

	// The server restarts on the same store; the running client reconnects.
	s.Shutdown()
	s = natstest.StartAt(t, dir, addr)
	w2 := worldOn(t, s)
	for range 3 {
		want = append(want, w2.open("inspections").TicketID)
	}
	rec.count(t, 9)
	waitAcked(t, js2, c2.Durable("inspections"))

	var got []string
	for _, m := range rec.seen() {
		got = append(got, m.TicketID)
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("tickets handled %v, want each of %v once", got, want)
	}
}

func TestContractBreakingTicketIsDeadLetteredAndConsumingGoesOn(t *testing.T) {
	w := newWorld(t)
	c, _ := w.client("registry")
	rec := newRecorder()
	consume(t, c, rec.handler(), "licensing")
	_, bjs := natstest.Connect(t, w.s, "broker")

	bad := opened("licensing")
	raw := func(subject, body string) {
		m := nats.NewMsg(subject)
		events.Envelope{ID: "bad-" + fmt.Sprint(time.Now().UnixNano()), Source: "/rogue", Type: contracts.TypeTicketOpened,
			Time: time.Now(), CorrelationID: bad.RequestID}.Header(m.Header)
		m.Data = []byte(body)
		if _, err := bjs.PublishMsg(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	raw("cd.ticket.licensing."+bad.TicketID+".opened", `{"ticket_id": "not json`)
	// Valid against the schema, but filed under another queue than it names.
	misfiled := opened("complaints")
	w.publishRaw(t, "cd.ticket.licensing."+misfiled.TicketID+".opened", misfiled)
	good := w.open("licensing")

	got := rec.count(t, 1)
	if got[0].TicketID != good.TicketID {
		t.Fatalf("handled %s, want the good ticket", got[0].TicketID)
	}
	var reasons []string
	natstest.Eventually(t, func() error {
		reasons = reasons[:0]
		for _, m := range natstest.StreamMessages(t, w.s, events.StreamDeadLetter, "handoff.dlq.cd.>") {
			dl, err := events.ReadDeadLetter(m.Data)
			if err != nil {
				return err
			}
			reasons = append(reasons, dl.Reason)
		}
		if len(reasons) < 2 {
			return fmt.Errorf("dead letters: %v", reasons)
		}
		return nil
	})
	sort.Strings(reasons)
	if !slices.Equal(reasons, []string{contracts.ReasonContractViolation, events.ReasonSchema}) {
		t.Fatalf("dead-letter reasons %v", reasons)
	}
	if n := len(rec.seen()); n != 1 {
		t.Fatalf("%d events reached the handler, want only the good one", n)
	}
}

// publishRaw publishes a valid envelope and payload on any subject, as a
// faulty broker might.
func (w *world) publishRaw(t *testing.T, subject string, payload contracts.TicketOpened) {
	t.Helper()
	_, bjs := natstest.Connect(t, w.s, "broker")
	m := nats.NewMsg(subject)
	events.Envelope{ID: "raw-" + payload.TicketID, Source: "/rogue", Type: contracts.TypeTicketOpened, Time: time.Now(),
		CorrelationID: payload.RequestID}.Header(m.Header)
	m.Data = mustJSON(t, payload)
	if _, err := bjs.PublishMsg(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}
