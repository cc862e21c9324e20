package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
	"github.com/sharjah-handoff/handoff/events/embedded"
	"github.com/sharjah-handoff/handoff/internal/natstest"
)

func submitted(rid string) contracts.RequestSubmitted {
	lat, long := 25.3463, 55.4209
	return contracts.RequestSubmitted{
		RequestID: rid, Reference: "CC-7K3M-Q9P2", ServiceCode: "fire_safety_inspection",
		SubmittedAt: time.Now().UTC().Truncate(time.Second), Channel: "phone", Language: "ar",
		Description: "طلب تفتيش سلامة لمستودع", Attributes: contracts.Attributes{"premises_type": "warehouse"},
		Location: &contracts.Location{Address: "Industrial Area 6, Sharjah", Lat: &lat, Long: &long},
	}
}

func newRID() string { return uuid.Must(uuid.NewV7()).String() }

func publishRequest(t *testing.T, p *events.Publisher, rid, id string) events.Published {
	t.Helper()
	pub, err := p.Publish(context.Background(), events.Outgoing{Type: contracts.TypeRequestSubmitted, Tokens: []string{rid},
		ID: id, Subject: rid, CorrelationID: rid, Payload: submitted(rid)})
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return pub
}

func agentPublisher(t *testing.T, s *embedded.Server, opts ...events.PublisherOpt) *events.Publisher {
	t.Helper()
	_, js := natstest.Connect(t, s, "agent")
	p, err := events.NewPublisher(js, "/contact-centre/test", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPublishSameIDTwiceStoresOnce(t *testing.T) {
	s := natstest.Start(t)
	p := agentPublisher(t, s)
	rid := newRID()
	first := publishRequest(t, p, rid, "evt-"+rid)
	second := publishRequest(t, p, rid, "evt-"+rid)
	if first.Duplicate || !second.Duplicate {
		t.Fatalf("duplicate flags: first %v, second %v", first.Duplicate, second.Duplicate)
	}
	if first.Sequence != second.Sequence {
		t.Fatalf("sequences differ: %d, %d", first.Sequence, second.Sequence)
	}
	if n := len(natstest.StreamMessages(t, s, events.StreamCCRequests, "cc.request."+rid+".>")); n != 1 {
		t.Fatalf("stored %d messages, want 1", n)
	}
}

func TestPublishRefusesContractViolation(t *testing.T) {
	s := natstest.Start(t)
	p := agentPublisher(t, s)
	rid := newRID()
	bad := submitted(rid)
	bad.Channel = "carrier-pigeon"
	_, err := p.Publish(context.Background(), events.Outgoing{Type: contracts.TypeRequestSubmitted, Tokens: []string{rid},
		Subject: rid, CorrelationID: rid, Payload: bad})
	var ve *contracts.ValidationError
	if !errors.As(err, &ve) || ve.Problems[0].Pointer != "/channel" {
		t.Fatalf("err = %v, want validation error at /channel", err)
	}
	if n := len(natstest.StreamMessages(t, s, events.StreamCCRequests, "")); n != 0 {
		t.Fatalf("an invalid event was stored (%d messages)", n)
	}
}

func TestCCPublishArrivesInBrokerStreamAndCCCannotReadCD(t *testing.T) {
	s := natstest.Start(t)
	p := agentPublisher(t, s)
	rid := newRID()
	pub := publishRequest(t, p, rid, "")
	if pub.Stream != events.StreamCCRequests {
		t.Fatalf("stored in %q, want %s (BROKER account)", pub.Stream, events.StreamCCRequests)
	}
	msgs := natstest.StreamMessages(t, s, events.StreamCCRequests, "")
	if len(msgs) != 1 || msgs[0].Header.Get("ce-id") != pub.ID {
		t.Fatalf("broker stream holds %d messages", len(msgs))
	}

	// A contact-centre user may not subscribe to Civil Defence's tickets...
	errs := make(chan error, 4)
	nc, err := events.Connect("cc-probe", s.Credentials("intake"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err })
	if _, err := nc.SubscribeSync("cd.ticket.>"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if !errors.Is(err, nats.ErrPermissionViolation) {
			t.Fatalf("err = %v, want permission violation", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("subscribing to cd.ticket.> as a contact-centre user was not refused")
	}
	// ...nor create a consumer on a stream, nor see the CD stream at all.
	js, _ := events.JetStream(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := js.Stream(ctx, events.StreamCDTickets); err == nil {
		t.Fatal("a contact-centre user could see CD_TICKETS")
	}
	// And a Civil Defence user cannot publish a request as if it were the contact centre.
	_, cdjs := natstest.Connect(t, s, "cd-system")
	cdp, _ := events.NewPublisher(cdjs, "/civil-defence/test", events.WithPublishAttempts(1), events.WithPublishTimeout(time.Second))
	if _, err := cdp.Publish(context.Background(), events.Outgoing{Type: contracts.TypeRequestSubmitted, Tokens: []string{rid},
		Subject: rid, CorrelationID: rid, Payload: submitted(rid)}); err == nil {
		t.Fatal("a Civil Defence user published a contact-centre request")
	}
}

// consumeFixture publishes one request and runs a broker consumer over it.
type consumeFixture struct {
	s     *embedded.Server
	js    jetstream.JetStream
	pub   *events.Publisher
	calls atomic.Int32
}

func newConsumeFixture(t *testing.T) *consumeFixture {
	s := natstest.Start(t)
	_, js := natstest.Connect(t, s, "broker")
	return &consumeFixture{s: s, js: js, pub: agentPublisher(t, s)}
}

func (f *consumeFixture) run(t *testing.T, cfg events.ConsumerConfig, h events.Handler) (stop func()) {
	t.Helper()
	cfg.Stream, cfg.Origin, cfg.Types = events.StreamCCRequests, "broker", []string{contracts.TypeRequestSubmitted}
	if cfg.Durable == "" {
		cfg.Durable = "test"
	}
	c, err := events.NewConsumer(f.js, cfg, func(ctx context.Context, d *events.Delivery) error {
		f.calls.Add(1)
		return h(ctx, d)
	})
	if err != nil {
		t.Fatal(err)
	}
	return natstest.Background(t, "run", c.Run)
}

func (f *consumeFixture) deadLetters(t *testing.T) []events.DeadLetter {
	var out []events.DeadLetter
	for _, m := range natstest.StreamMessages(t, f.s, events.StreamDeadLetter, "") {
		dl, err := events.ReadDeadLetter(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, dl)
	}
	return out
}

func (f *consumeFixture) pending(t *testing.T, durable string) (ackPending int, numPending uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := f.js.Consumer(ctx, events.StreamCCRequests, durable)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.NumAckPending, info.NumPending
}

func TestConsumerRetriesAfterBackOff(t *testing.T) {
	f := newConsumeFixture(t)
	var firstAt, secondAt atomic.Int64
	f.run(t, events.ConsumerConfig{BackOff: []time.Duration{300 * time.Millisecond}}, func(_ context.Context, d *events.Delivery) error {
		if d.NumDelivered == 1 {
			firstAt.Store(time.Now().UnixNano())
			return errors.New("database briefly away")
		}
		secondAt.Store(time.Now().UnixNano())
		return nil
	})
	publishRequest(t, f.pub, newRID(), "")
	natstest.Eventually(t, func() error {
		if secondAt.Load() == 0 {
			return fmt.Errorf("not redelivered yet")
		}
		return nil
	})
	if gap := time.Duration(secondAt.Load() - firstAt.Load()); gap < 250*time.Millisecond {
		t.Fatalf("redelivered after %s, want the 300ms back-off", gap)
	}
	natstest.Eventually(t, func() error {
		if ack, _ := f.pending(t, "test"); ack != 0 {
			return fmt.Errorf("%d unacked", ack)
		}
		return nil
	})
	if len(f.deadLetters(t)) != 0 {
		t.Fatal("a retried message was dead-lettered")
	}
}

func TestConsumerDeadLettersPermanentErrorBeforeTerminating(t *testing.T) {
	f := newConsumeFixture(t)
	var rejected atomic.Int32
	var dlqSeenBeforeTerm atomic.Bool
	f.run(t, events.ConsumerConfig{OnReject: func(_ context.Context, d *events.Delivery, reason string, _ error) {
		dlqSeenBeforeTerm.Store(len(f.deadLetters(t)) == 1)
		rejected.Add(1)
	}}, func(context.Context, *events.Delivery) error {
		return events.Permanent("unknown_service", errors.New("no such service"))
	})
	rid := newRID()
	pub := publishRequest(t, f.pub, rid, "")
	natstest.Eventually(t, func() error {
		if rejected.Load() != 1 {
			return fmt.Errorf("not rejected yet")
		}
		return nil
	})
	if !dlqSeenBeforeTerm.Load() {
		t.Fatal("dead letter was not stored before the sender was told and the message terminated")
	}
	dls := f.deadLetters(t)
	dl := dls[0]
	if dl.Reason != "unknown_service" || dl.StreamSequence != pub.Sequence || dl.DeliveryCount != 1 ||
		dl.Subject != "cc.request."+rid+".submitted" || dl.Headers["ce-id"][0] != pub.ID {
		t.Fatalf("dead letter = %+v", dl)
	}
	var back contracts.RequestSubmitted
	if err := json.Unmarshal(dl.Payload, &back); err != nil || back.RequestID != rid {
		t.Fatalf("payload not kept: %v", err)
	}
	natstest.Eventually(t, func() error {
		if ack, _ := f.pending(t, "test"); ack != 0 {
			return fmt.Errorf("still pending")
		}
		return nil
	})
	if n := f.calls.Load(); n != 1 {
		t.Fatalf("handler called %d times for a permanent failure", n)
	}
}

func TestConsumerDeadLettersWhenMaxDeliverExhausted(t *testing.T) {
	f := newConsumeFixture(t)
	f.run(t, events.ConsumerConfig{MaxDeliver: 3, BackOff: []time.Duration{20 * time.Millisecond}},
		func(context.Context, *events.Delivery) error { return errors.New("always failing") })
	publishRequest(t, f.pub, newRID(), "")
	natstest.Eventually(t, func() error {
		if len(f.deadLetters(t)) != 1 {
			return fmt.Errorf("no dead letter yet")
		}
		return nil
	})
	dl := f.deadLetters(t)[0]
	if dl.Reason != events.ReasonMaxDeliver || dl.DeliveryCount != 3 {
		t.Fatalf("dead letter reason %q after %d deliveries", dl.Reason, dl.DeliveryCount)
	}
	if n := f.calls.Load(); n != 3 {
		t.Fatalf("handler called %d times, want 3", n)
	}
}

func TestConsumerRecoversPanicAndRetries(t *testing.T) {
	f := newConsumeFixture(t)
	var handled atomic.Bool
	f.run(t, events.ConsumerConfig{BackOff: []time.Duration{20 * time.Millisecond}}, func(_ context.Context, d *events.Delivery) error {
		if d.NumDelivered == 1 {
			panic("nil map somewhere")
		}
		handled.Store(true)
		return nil
	})
	publishRequest(t, f.pub, newRID(), "")
	natstest.Eventually(t, func() error {
		if !handled.Load() {
			return fmt.Errorf("not handled after panic")
		}
		return nil
	})
}

func TestConsumerDeadLettersSchemaInvalidAndBadEnvelope(t *testing.T) {
	f := newConsumeFixture(t)
	var reasons sync.Map
	f.run(t, events.ConsumerConfig{OnReject: func(_ context.Context, d *events.Delivery, reason string, _ error) {
		reasons.Store(reason, true)
	}}, func(context.Context, *events.Delivery) error { return nil })
	_, js := natstest.Connect(t, f.s, "agent")
	ctx := context.Background()
	rid := newRID()
	// A payload that breaks the contract, sent around the publisher's check.
	m := nats.NewMsg("cc.request." + rid + ".submitted")
	events.Envelope{ID: "x1", Source: "/rogue", Type: contracts.TypeRequestSubmitted, Time: time.Now(), CorrelationID: rid}.Header(m.Header)
	m.Data = []byte(`{"request_id":"not-a-uuid"}`)
	if _, err := js.PublishMsg(ctx, m); err != nil {
		t.Fatal(err)
	}
	// A message with no envelope at all.
	if _, err := js.Publish(ctx, "cc.request."+rid+".submitted", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, func() error {
		if len(f.deadLetters(t)) != 2 {
			return fmt.Errorf("%d dead letters", len(f.deadLetters(t)))
		}
		return nil
	})
	byReason := map[string]events.DeadLetter{}
	for _, dl := range f.deadLetters(t) {
		byReason[dl.Reason] = dl
	}
	if dl, ok := byReason[events.ReasonSchema]; !ok || len(dl.Problems) == 0 || dl.Problems[0].Pointer == "" {
		t.Fatalf("schema dead letter: %+v", byReason)
	}
	if _, ok := byReason[events.ReasonEnvelope]; !ok {
		t.Fatalf("no envelope dead letter: %+v", byReason)
	}
	if f.calls.Load() != 0 {
		t.Fatal("handler saw an invalid message")
	}
}

func TestConsumerDrainsInFlightWorkOnCancel(t *testing.T) {
	f := newConsumeFixture(t)
	started := make(chan struct{})
	release := make(chan struct{})
	var finished atomic.Int32
	stop := f.run(t, events.ConsumerConfig{Durable: "drain"}, func(ctx context.Context, d *events.Delivery) error {
		close(started)
		<-release
		if ctx.Err() != nil {
			return ctx.Err()
		}
		finished.Add(1)
		return nil
	})
	publishRequest(t, f.pub, newRID(), "")
	<-started
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("Run returned while a handler was still working")
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	<-stopped
	if finished.Load() != 1 {
		t.Fatal("in-flight handler did not finish")
	}
	natstest.Eventually(t, func() error {
		if ack, pending := f.pending(t, "drain"); ack != 0 || pending != 0 {
			return fmt.Errorf("after drain: %d unacked, %d pending; the message would be redelivered", ack, pending)
		}
		return nil
	})
	// A new runner on the same durable gets nothing again.
	f.calls.Store(0)
	f.run(t, events.ConsumerConfig{Durable: "drain"}, func(context.Context, *events.Delivery) error { return nil })
	publishRequest(t, f.pub, newRID(), "")
	natstest.Eventually(t, func() error {
		if f.calls.Load() < 1 {
			return fmt.Errorf("second runner idle")
		}
		return nil
	})
	if n := f.calls.Load(); n != 1 {
		t.Fatalf("second runner handled %d messages, want only the new one", n)
	}
}

// A stop that comes while the consumer is still starting is a stop, not a
// failure: a service told to shut down as it starts must exit cleanly.
func TestConsumerStoppedWhileStartingReturnsNil(t *testing.T) {
	f := newConsumeFixture(t)
	c, err := events.NewConsumer(f.js, events.ConsumerConfig{Stream: events.StreamCCRequests, Durable: "early-stop",
		Origin: "broker", Types: []string{contracts.TypeRequestSubmitted}}, func(context.Context, *events.Delivery) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Run(ctx); err != nil {
		t.Fatalf("Run stopped before it started: %v", err)
	}
}

func TestTraceIDCarriedFromPublisherToConsumer(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	f := newConsumeFixture(t)
	f.pub = agentPublisher(t, f.s, events.WithTracerProvider(tp))
	done := make(chan struct{})
	f.run(t, events.ConsumerConfig{TracerProvider: tp}, func(context.Context, *events.Delivery) error {
		close(done)
		return nil
	})
	ctx, root := tp.Tracer("test").Start(context.Background(), "capture request")
	rid := newRID()
	if _, err := f.pub.Publish(ctx, events.Outgoing{Type: contracts.TypeRequestSubmitted, Tokens: []string{rid},
		Subject: rid, CorrelationID: rid, Payload: submitted(rid)}); err != nil {
		t.Fatal(err)
	}
	root.End()
	<-done
	var producer, consumer sdktrace.ReadOnlySpan
	natstest.Eventually(t, func() error {
		for _, s := range rec.Ended() {
			switch s.Name() {
			case "send cc.request.{request_id}.submitted":
				producer = s
			case "process cc.request.{request_id}.submitted":
				consumer = s
			}
		}
		if producer == nil || consumer == nil {
			return fmt.Errorf("spans: producer %v consumer %v", producer != nil, consumer != nil)
		}
		return nil
	})
	if consumer.SpanContext().TraceID() != root.SpanContext().TraceID() {
		t.Fatal("consumer span is in another trace")
	}
	if consumer.Parent().SpanID() != producer.SpanContext().SpanID() {
		t.Fatal("consumer span is not a child of the producer span")
	}
	attrs := map[string]string{}
	for _, kv := range consumer.Attributes() {
		attrs[string(kv.Key)] = kv.Value.String()
	}
	if attrs["messaging.system"] != "nats" || attrs["messaging.operation.type"] != "process" ||
		attrs["messaging.destination.name"] != "cc.request.{request_id}.submitted" || attrs["messaging.message.id"] == "" {
		t.Fatalf("consumer attributes: %v", attrs)
	}
	for k, v := range attrs {
		if v == rid {
			t.Fatalf("attribute %s carries the request id", k)
		}
	}
}

// A publish that gets no ack (here: no stream for a moment, as during a
// leader election) is retried with the same id until it is stored, once.
func TestPublishRetriesUntilStored(t *testing.T) {
	s := natstest.Start(t)
	_, admin := natstest.Connect(t, s, "broker-admin")
	ctx := context.Background()
	if err := admin.DeleteStream(ctx, events.StreamCCRequests); err != nil {
		t.Fatal(err)
	}
	p := agentPublisher(t, s, events.WithPublishAttempts(20), events.WithPublishTimeout(200*time.Millisecond))
	rid := newRID()
	done := make(chan error, 1)
	go func() {
		_, err := p.Publish(ctx, events.Outgoing{Type: contracts.TypeRequestSubmitted, Tokens: []string{rid},
			ID: "retry-" + rid, Subject: rid, CorrelationID: rid, Payload: submitted(rid)})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("publish returned before the stream existed: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	if err := events.Provision(ctx, admin, events.AccountBroker, events.StoreConfig{Replicas: 1}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("publish not retried to success: %v", err)
	}
	msgs := natstest.StreamMessages(t, s, events.StreamCCRequests, "")
	if len(msgs) != 1 || msgs[0].Header.Get("Nats-Msg-Id") != "retry-"+rid {
		t.Fatalf("stored %d messages", len(msgs))
	}
}

func TestDeadLetterReplayedOnceFixed(t *testing.T) {
	f := newConsumeFixture(t)
	var fixed atomic.Bool
	var handled atomic.Int32
	f.run(t, events.ConsumerConfig{}, func(_ context.Context, d *events.Delivery) error {
		if !fixed.Load() {
			return events.Permanent("catalogue_missing_service", errors.New("service not in catalogue yet"))
		}
		handled.Add(1)
		return nil
	})
	rid := newRID()
	pub := publishRequest(t, f.pub, rid, "")
	natstest.Eventually(t, func() error {
		if len(f.deadLetters(t)) != 1 {
			return fmt.Errorf("not dead-lettered")
		}
		return nil
	})
	fixed.Store(true)
	dlqMsg := natstest.StreamMessages(t, f.s, events.StreamDeadLetter, "")[0]
	dl, _ := events.ReadDeadLetter(dlqMsg.Data)
	_, ops := natstest.Connect(t, f.s, "console")
	for i := 0; i < 2; i++ { // twice: stored once
		if _, err := events.Replay(context.Background(), ops, dl, dlqMsg.Sequence); err != nil {
			t.Fatal(err)
		}
	}
	natstest.Eventually(t, func() error {
		if handled.Load() != 1 {
			return fmt.Errorf("replayed message handled %d times", handled.Load())
		}
		return nil
	})
	msgs := natstest.StreamMessages(t, f.s, events.StreamCCRequests, "cc.request."+rid+".>")
	if len(msgs) != 2 || msgs[1].Header.Get("ce-id") != pub.ID {
		t.Fatalf("stream holds %d messages for the request; replay must keep ce-id", len(msgs))
	}
}

// A dead letter that cannot be written keeps the message, retried, until
// it can: never acknowledged and lost, never stuck past MaxDeliver.
func TestDeadLetterWriteFailureKeepsTheMessage(t *testing.T) {
	f := newConsumeFixture(t)
	restore := natstest.RefuseNew(t, f.s, events.StreamDeadLetter)
	f.run(t, events.ConsumerConfig{MaxDeliver: 2, BackOff: []time.Duration{30 * time.Millisecond}},
		func(context.Context, *events.Delivery) error {
			return events.Permanent("unknown_service", errors.New("no such service"))
		})
	publishRequest(t, f.pub, newRID(), "")
	// Delivered again and again, past MaxDeliver, while the DLQ says no.
	natstest.Eventually(t, func() error {
		if n := f.calls.Load(); n < 1 {
			return fmt.Errorf("not handled yet")
		}
		c, err := f.js.Consumer(context.Background(), events.StreamCCRequests, "test")
		if err != nil {
			return err
		}
		info, err := c.Info(context.Background())
		if err != nil {
			return err
		}
		if info.NumRedelivered < 1 || info.NumAckPending != 1 {
			return fmt.Errorf("redelivered %d, unacked %d", info.NumRedelivered, info.NumAckPending)
		}
		return nil
	})
	if n := len(f.deadLetters(t)); n != 0 {
		t.Fatalf("%d dead letters stored while the stream refused them", n)
	}
	restore()
	natstest.Eventually(t, func() error {
		if n := len(f.deadLetters(t)); n != 1 {
			return fmt.Errorf("%d dead letters", n)
		}
		if ack, _ := f.pending(t, "test"); ack != 0 {
			return fmt.Errorf("%d unacked", ack)
		}
		return nil
	})
}

func TestProvisionIsIdempotentAndStreamsKeepTheirRecord(t *testing.T) {
	s := natstest.Start(t) // provisions once
	_, admin := natstest.Connect(t, s, "broker-admin")
	ctx := context.Background()
	before, err := admin.Stream(ctx, events.StreamCCRequests)
	if err != nil {
		t.Fatal(err)
	}
	if err := events.Provision(ctx, admin, events.AccountBroker, events.StoreConfig{Replicas: 1}); err != nil {
		t.Fatalf("second provision: %v", err)
	}
	after, _ := admin.Stream(ctx, events.StreamCCRequests)
	cfg := after.CachedInfo().Config
	if after.CachedInfo().Created != before.CachedInfo().Created {
		t.Fatal("provisioning again recreated the stream")
	}
	if !cfg.DenyDelete || !cfg.DenyPurge || cfg.AllowRollup || cfg.Storage != jetstream.FileStorage ||
		cfg.MaxMsgSize != events.MaxMessageSize || cfg.Duplicates != events.DuplicateWindow {
		t.Fatalf("stream config: %+v", cfg)
	}
	p := agentPublisher(t, s)
	pub := publishRequest(t, p, newRID(), "")
	if err := after.DeleteMsg(ctx, pub.Sequence); err == nil {
		t.Fatal("a stored request could be deleted")
	}
	if err := after.Purge(ctx); err == nil {
		t.Fatal("the stream could be purged")
	}
	_, cc := natstest.Connect(t, s, "agent")
	huge := make([]byte, events.MaxMessageSize+1)
	if _, err := cc.Publish(ctx, "cc.request.x.submitted", huge); err == nil {
		t.Fatal("a message over the stream's size limit was stored")
	}
}
