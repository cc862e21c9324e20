package backoffice_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
	"github.com/sharjah-handoff/handoff/internal/natstest"
	"github.com/sharjah-handoff/handoff/services/backoffice"
	"github.com/sharjah-handoff/handoff/services/broker"
)

// stack is the whole system on one embedded NATS: the contact centre (the
// test, as user "agent"), a real broker, and the back office.
type stack struct {
	*office
	cc *events.Publisher
	tp *sdktrace.TracerProvider
}

func newStack(t *testing.T) *stack {
	t.Helper()
	s := natstest.Start(t)
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	cat, err := contracts.DefaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	_, bjs := natstest.Connect(t, s, "broker")
	b, err := broker.New(context.Background(), bjs, broker.Config{Catalogue: cat, BackOff: []time.Duration{50 * time.Millisecond},
		GapWait: 50 * time.Millisecond, TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	natstest.Background(t, "broker", b.Run)
	o := officeOn(t, s, func(c *backoffice.Config) { c.TracerProvider = tp })
	_, ccjs := natstest.Connect(t, s, "agent")
	cc, err := events.NewPublisher(ccjs, "/contact-centre/test", events.WithTracerProvider(tp))
	if err != nil {
		t.Fatal(err)
	}
	return &stack{office: o, cc: cc, tp: tp}
}

// submit sends a no-objection certificate request as the contact centre,
// inside a span, and returns it with its trace id.
func (st *stack) submit() (contracts.RequestSubmitted, string) {
	st.t.Helper()
	rid := uuid.Must(uuid.NewV7())
	req := contracts.RequestSubmitted{RequestID: rid.String(), Reference: contracts.RandomReference("CC", rid),
		ServiceCode: "no_objection_certificate", SubmittedAt: time.Now().UTC().Truncate(time.Second), Channel: "phone",
		Language: "ar", Description: "شهادة عدم ممانعة لمخبز",
		Attributes: contracts.Attributes{"noc_type": "trade_licence", "activity": "مخبز"},
		Location:   &contracts.Location{Address: "Al Qasimia, Sharjah"},
		Caller:     &contracts.Caller{FirstName: "Mariam", Phone: "+971500000002"}}
	ctx, span := st.tp.Tracer("test").Start(context.Background(), "agent captures request")
	defer span.End()
	if _, err := st.cc.Publish(ctx, events.Outgoing{Type: contracts.TypeRequestSubmitted, Tokens: []string{req.RequestID},
		Subject: req.RequestID, CorrelationID: req.RequestID, Payload: req}); err != nil {
		st.t.Fatal(err)
	}
	return req, span.SpanContext().TraceID().String()
}

// ticketOf waits until the back office has filed the ticket of a request.
func (st *stack) ticketOf(rid string) *backoffice.Record {
	st.t.Helper()
	var rec *backoffice.Record
	natstest.Eventually(st.t, func() error {
		for _, m := range natstest.StreamMessages(st.t, st.s, events.StreamCDTickets, "cd.ticket.*.*.opened") {
			var o contracts.TicketOpened
			if err := json.Unmarshal(m.Data, &o); err == nil && o.RequestID == rid {
				r, _, err := st.svc.Store().Get(context.Background(), o.TicketID)
				if err != nil {
					return err
				}
				rec = r
				return nil
			}
		}
		return fmt.Errorf("no ticket for %s yet", rid)
	})
	return rec
}

// ccStatuses returns what the contact centre has been told about a request.
func (st *stack) ccStatuses(rid string) []contracts.RequestStatus {
	var out []contracts.RequestStatus
	for _, m := range natstest.StreamMessages(st.t, st.s, events.StreamCCUpdates, "cc.update."+rid+".status") {
		var s contracts.RequestStatus
		if err := json.Unmarshal(m.Data, &s); err != nil {
			st.t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// waitCC waits until the contact centre has been told a request's status is
// want, and returns everything it was told.
func (st *stack) waitCC(rid string, want contracts.Status) []contracts.RequestStatus {
	st.t.Helper()
	var got []contracts.RequestStatus
	natstest.Eventually(st.t, func() error {
		got = st.ccStatuses(rid)
		if len(got) == 0 || got[len(got)-1].Status != want {
			return fmt.Errorf("contact centre has %v, want %s last", statusesOf(got), want)
		}
		return nil
	})
	return got
}

func statusesOf(st []contracts.RequestStatus) []contracts.Status {
	out := make([]contracts.Status, len(st))
	for i, s := range st {
		out[i] = s.Status
	}
	return out
}
