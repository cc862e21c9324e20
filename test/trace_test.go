package test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
	"github.com/sharjah-handoff/handoff/internal/natstest"
	"github.com/sharjah-handoff/handoff/services/broker"
)

// TestOneTraceAcrossBothAgencies follows one request from capture to the
// contact centre seeing Civil Defence's acceptance, with the real OTel
// SDK: every span shares the capture's trace id, and no span carries the
// caller's personal data.
func TestOneTraceAcrossBothAgencies(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	s := natstest.Start(t)
	_, bjs := natstest.Connect(t, s, "broker")
	_, ccjs := natstest.Connect(t, s, "agent")
	_, cdjs := natstest.Connect(t, s, "cd-system")
	cat, _ := contracts.DefaultCatalogue()
	b, err := broker.New(context.Background(), bjs, broker.Config{Catalogue: cat, TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = b.Run(ctx) }()
	cc, _ := events.NewPublisher(ccjs, "/contact-centre/test", events.WithTracerProvider(tp))
	cd, _ := events.NewPublisher(cdjs, "/civil-defence/test", events.WithTracerProvider(tp))

	// Capture: the agent's action is the root of the trace.
	capCtx, capture := tp.Tracer("contact-centre").Start(ctx, "capture request")
	id := uuid.Must(uuid.NewV7())
	req := contracts.RequestSubmitted{RequestID: id.String(), Reference: contracts.RandomReference("CC", id),
		ServiceCode: "fire_hazard_complaint", SubmittedAt: time.Now().UTC(), Channel: "phone", Language: "ar",
		Attributes: contracts.Attributes{"hazard_type": "blocked_exit", "premises_type": "shop"},
		Location:   &contracts.Location{Address: "Al Majaz 2, Sharjah"},
		Caller:     &contracts.Caller{FirstName: "Mariam", LastName: "Testcaller", Phone: "+971501234567"}}
	if _, err := cc.Publish(capCtx, events.Outgoing{Type: contracts.TypeRequestSubmitted, Tokens: []string{req.RequestID},
		Subject: req.RequestID, CorrelationID: req.RequestID, Payload: req}); err != nil {
		t.Fatal(err)
	}
	capture.End()
	traceID := capture.SpanContext().TraceID()

	// Civil Defence receives the ticket and accepts it, continuing the
	// ticket's trace from its headers.
	cons, err := cdjs.OrderedConsumer(ctx, events.StreamCDTickets, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(10 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var opened contracts.TicketOpened
	if err := json.Unmarshal(msg.Data(), &opened); err != nil {
		t.Fatal(err)
	}
	cdCtx := events.ExtractTrace(ctx, msg.Headers())
	if _, err := cd.Publish(cdCtx, events.Outgoing{Type: contracts.TypeTicketStatus, Tokens: []string{opened.TicketID},
		Subject: opened.TicketID, CorrelationID: opened.TicketID, Payload: contracts.TicketStatus{
			TicketID: opened.TicketID, Version: 1, Status: contracts.StatusAccepted, CDStatusCode: "ACK", ChangedAt: time.Now().UTC()}}); err != nil {
		t.Fatal(err)
	}

	want := []string{
		"send cc.request.{request_id}.submitted",
		"process cc.request.{request_id}.submitted",
		"send cd.ticket.{queue}.{ticket_id}.opened",
		"send cc.update.{request_id}.status",
		"send cd.update.{ticket_id}.status",
		"process cd.update.{ticket_id}.status",
	}
	natstest.Eventually(t, func() error {
		names := map[string]int{}
		for _, sp := range rec.Ended() {
			names[sp.Name()]++
		}
		for _, n := range want {
			if names[n] == 0 {
				return fmt.Errorf("no span %q yet (have %v)", n, names)
			}
		}
		if names["send cc.update.{request_id}.status"] < 2 {
			return fmt.Errorf("accepted status not sent yet")
		}
		return nil
	})
	for _, sp := range rec.Ended() {
		if sp.SpanContext().TraceID() != traceID {
			t.Errorf("span %q is in trace %s, not the capture's %s", sp.Name(), sp.SpanContext().TraceID(), traceID)
		}
		for _, kv := range sp.Attributes() {
			v := kv.Value.String()
			for _, personal := range []string{"Mariam", "Testcaller", "+971501234567", "971501234567"} {
				if strings.Contains(v, personal) {
					t.Errorf("span %q attribute %s carries personal data", sp.Name(), kv.Key)
				}
			}
		}
	}
}
