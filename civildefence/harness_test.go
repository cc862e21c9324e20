package civildefence_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/sharjah-handoff/handoff/civildefence"
	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
	"github.com/sharjah-handoff/handoff/events/embedded"
	"github.com/sharjah-handoff/handoff/internal/natstest"
)

// world is a real embedded NATS with the production accounts; the test
// plays the broker (publishing tickets) and watches what Civil Defence
// reports.
type world struct {
	t      *testing.T
	s      *embedded.Server
	broker *events.Publisher
	tp     *sdktrace.TracerProvider
}

func newWorld(t *testing.T) *world {
	t.Helper()
	return worldOn(t, natstest.Start(t))
}

func worldOn(t *testing.T, s *embedded.Server) *world {
	t.Helper()
	_, bjs := natstest.Connect(t, s, "broker")
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	pub, err := events.NewPublisher(bjs, "/handoff/broker", events.WithTracerProvider(tp))
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, s: s, broker: pub, tp: tp}
}

// client connects as the "cd-system" user and returns a client named name.
func (w *world) client(name string) (*civildefence.Client, jetstream.JetStream) {
	w.t.Helper()
	_, js := natstest.Connect(w.t, w.s, "cd-system")
	c, err := civildefence.New(js, civildefence.Config{Name: name, Source: "/civil-defence/test",
		BackOff: []time.Duration{50 * time.Millisecond}, MaxDeliver: 3, AckWait: 2 * time.Second, PublishTimeout: time.Second})
	if err != nil {
		w.t.Fatal(err)
	}
	return c, js
}

func opened(queue string) contracts.TicketOpened {
	tid, rid := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	now := time.Now().UTC().Truncate(time.Second)
	return contracts.TicketOpened{TicketID: tid.String(), TicketReference: contracts.RandomReference("CD", tid),
		RequestID: rid.String(), RequestReference: contracts.RandomReference("CC", rid), Queue: queue, Priority: "normal",
		OpenedAt: now, AckDueAt: now.Add(time.Hour), ResolveDueAt: now.Add(48 * time.Hour),
		Request: contracts.RequestSnapshot{ServiceCode: "no_objection_certificate",
			ServiceName: contracts.Text{AR: "شهادة عدم ممانعة", EN: "No-objection certificate"},
			SubmittedAt: now, Channel: "phone", Language: "ar", Attributes: contracts.Attributes{"noc_type": "trade_licence", "activity": "bakery"}}}
}

// publish sends a ticket event as the broker, inside a span of its own so
// that the message carries a traceparent; it returns the trace id.
func (w *world) publish(typ, queue, tid, rid string, payload any) string {
	w.t.Helper()
	ctx, span := w.tp.Tracer("test").Start(context.Background(), "broker")
	defer span.End()
	if _, err := w.broker.Publish(ctx, events.Outgoing{Type: typ, Tokens: []string{queue, tid}, Subject: tid,
		CorrelationID: rid, Payload: payload}); err != nil {
		w.t.Fatalf("publish %s: %v", typ, err)
	}
	return span.SpanContext().TraceID().String()
}

func (w *world) open(queue string) contracts.TicketOpened {
	w.t.Helper()
	o := opened(queue)
	w.publish(contracts.TypeTicketOpened, queue, o.TicketID, o.RequestID, o)
	return o
}

// statuses returns what Civil Defence reported for a ticket, in order.
func (w *world) statuses(tid string) ([]contracts.TicketStatus, []*jetstream.RawStreamMsg) {
	msgs := natstest.StreamMessages(w.t, w.s, events.StreamCDUpdates, "cd.update."+tid+".status")
	out := make([]contracts.TicketStatus, len(msgs))
	for i, m := range msgs {
		if err := json.Unmarshal(m.Data, &out[i]); err != nil {
			w.t.Fatal(err)
		}
	}
	return out, msgs
}

// recorder is a Handler that remembers what it was given.
type recorder struct {
	mu     sync.Mutex
	events []civildefence.Meta
	opened map[string]contracts.TicketOpened
	fail   func(m civildefence.Meta) error
}

func newRecorder() *recorder { return &recorder{opened: map[string]contracts.TicketOpened{}} }

func (r *recorder) add(m civildefence.Meta) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(m); err != nil {
			return err
		}
	}
	r.events = append(r.events, m)
	return nil
}

func (r *recorder) handler() civildefence.Handlers {
	return civildefence.Handlers{
		OnOpened: func(_ context.Context, m civildefence.Meta, t contracts.TicketOpened) error {
			r.mu.Lock()
			r.opened[t.TicketID] = t
			r.mu.Unlock()
			return r.add(m)
		},
		OnAmended:   func(_ context.Context, m civildefence.Meta, _ contracts.TicketAmended) error { return r.add(m) },
		OnCancelled: func(_ context.Context, m civildefence.Meta, _ contracts.TicketCancelled) error { return r.add(m) },
		OnRefused:   func(_ context.Context, m civildefence.Meta, _ contracts.TicketRefused) error { return r.add(m) },
	}
}

func (r *recorder) seen() []civildefence.Meta {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]civildefence.Meta(nil), r.events...)
}

// count waits until the recorder holds n events and returns them.
func (r *recorder) count(t *testing.T, n int) []civildefence.Meta {
	t.Helper()
	var got []civildefence.Meta
	natstest.Eventually(t, func() error {
		if got = r.seen(); len(got) < n {
			return fmt.Errorf("%d events handled, want %d", len(got), n)
		}
		return nil
	})
	return got
}

// consume runs c over queues until the test ends or stop is called.
func consume(t *testing.T, c *civildefence.Client, h civildefence.Handler, queues ...string) (stop func()) {
	t.Helper()
	return natstest.Background(t, "consume", func(ctx context.Context) error { return c.Consume(ctx, h, queues...) })
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
