package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/sharjah-handoff/handoff/contracts"
)

// Delivery is one event handed to a Handler: its envelope, its payload
// (already validated against the contract) and where it came from.
type Delivery struct {
	Envelope
	Data         []byte
	NATSSubject  string
	Stream       string
	Sequence     uint64
	NumDelivered uint64
	// Header is the inbound header, for reading only; publishers build
	// their own headers and never copy these.
	Header map[string][]string
}

// Handler processes one delivery. See errors.go for what its error means.
type Handler func(ctx context.Context, d *Delivery) error

// RejectFunc is told about a delivery that was dead-lettered, after the
// dead letter is written and before the message is terminated, so that the
// sender can be informed. env may be incomplete if the envelope was bad.
type RejectFunc func(ctx context.Context, d *Delivery, reason string, err error)

// ConsumerConfig describes one durable pull consumer and how to run it.
type ConsumerConfig struct {
	Stream         string
	Durable        string
	FilterSubjects []string
	// Origin names the consuming side in dead-letter subjects: "broker",
	// "cc" or "cd".
	Origin string
	// Types are the event types this consumer accepts; others are
	// dead-lettered as unknown.
	Types       []string
	MaxDeliver  int
	BackOff     []time.Duration
	AckWait     time.Duration
	Concurrency int
	// HandlerTimeout bounds one handler call, including after shutdown
	// began, so that draining ends.
	HandlerTimeout time.Duration
	OnReject       RejectFunc
	Logger         *slog.Logger
	TracerProvider trace.TracerProvider
}

func (c *ConsumerConfig) defaults() {
	if c.MaxDeliver == 0 {
		c.MaxDeliver = 10
	}
	if len(c.BackOff) == 0 {
		c.BackOff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute}
	}
	if c.AckWait == 0 {
		c.AckWait = 30 * time.Second
	}
	if c.Concurrency == 0 {
		c.Concurrency = 8
	}
	if c.HandlerTimeout == 0 {
		c.HandlerTimeout = c.AckWait * 2 / 3
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.TracerProvider == nil {
		c.TracerProvider = otel.GetTracerProvider()
	}
}

// Validate checks the configuration.
func (c ConsumerConfig) Validate() error {
	for _, t := range []string{c.Stream, c.Durable, c.Origin} {
		if err := CheckToken(t); err != nil {
			return fmt.Errorf("consumer config: %w", err)
		}
	}
	if len(c.Types) == 0 {
		return errors.New("consumer config: no event types")
	}
	if c.MaxDeliver < 1 || c.Concurrency < 1 {
		return errors.New("consumer config: MaxDeliver and Concurrency must be at least 1")
	}
	return nil
}

// Consumer runs a handler over a durable pull consumer.
type Consumer struct {
	js     jetstream.JetStream
	cfg    ConsumerConfig
	h      Handler
	dl     deadLetterer
	types  map[string]bool
	tracer trace.Tracer
}

// NewConsumer checks cfg and returns a consumer; Run starts it.
func NewConsumer(js jetstream.JetStream, cfg ConsumerConfig, h Handler) (*Consumer, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	dlSubject, err := DeadLetterSubject(cfg.Origin, cfg.Stream, cfg.Durable)
	if err != nil {
		return nil, err
	}
	types := make(map[string]bool, len(cfg.Types))
	for _, t := range cfg.Types {
		types[t] = true
	}
	return &Consumer{js: js, cfg: cfg, h: h, dl: deadLetterer{js: js, subject: dlSubject},
		types: types, tracer: tracerOf(cfg.TracerProvider)}, nil
}

// jsConfig is the server-side consumer. The runner, not the server, enforces
// MaxDeliver: the server redelivers without limit, so the runner always sees
// a delivery past the limit and dead-letters it — even when the previous one
// was lost to a crash, and even when writing the dead letter failed before
// (the message then waits, retried, until the dead letter can be written).
// Back-off is applied by the runner with NakWithDelay; a server-side BackOff
// would shorten AckWait to its first step.
func (c *Consumer) jsConfig() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:        c.cfg.Durable,
		FilterSubjects: c.cfg.FilterSubjects,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        c.cfg.AckWait,
		MaxDeliver:     -1,
		MaxAckPending:  c.cfg.Concurrency * 4,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	}
}

// Run consumes until ctx ends, then stops fetching, lets in-flight handlers
// finish and ack, and returns.
func (c *Consumer) Run(ctx context.Context) error {
	cons, err := c.js.CreateOrUpdateConsumer(ctx, c.cfg.Stream, c.jsConfig())
	if err != nil {
		return c.startErr(ctx, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(c.cfg.Concurrency))
	if err != nil {
		return c.startErr(ctx, err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()

	slots := make(chan struct{}, c.cfg.Concurrency)
	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		// Acks are fire-and-forget; make sure they left before returning.
		_ = c.js.Conn().FlushTimeout(2 * time.Second)
	}()
	for {
		msg, err := it.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			if ctx.Err() == nil && errors.Is(err, jetstream.ErrConnectionClosed) {
				return fmt.Errorf("consumer %s/%s: %w", c.cfg.Stream, c.cfg.Durable, err)
			}
			return nil
		}
		if err != nil {
			// Missed heartbeats while NATS reconnects, a leader moving: the
			// iterator recovers by itself; don't spin while it does.
			c.cfg.Logger.Warn("consumer fetch", "stream", c.cfg.Stream, "consumer", c.cfg.Durable, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			_ = msg.Nak() // not started: let another instance take it now
			return nil
		}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			c.process(context.WithoutCancel(ctx), msg)
		}()
	}
}

// startErr is what Run returns when it could not start: nothing if ctx
// ended meanwhile, for a stop during start-up is still a stop.
func (c *Consumer) startErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("consumer %s/%s: %w", c.cfg.Stream, c.cfg.Durable, err)
}

func (c *Consumer) process(ctx context.Context, msg jetstream.Msg) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.HandlerTimeout)
	defer cancel()
	d := c.delivery(msg)
	ctx = ExtractTrace(ctx, msg.Headers())
	route, _ := RouteOf(d.Type)
	ctx, span := c.tracer.Start(ctx, "process "+route.Template,
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(messagingAttrs("process", route.Template, d.ID)...),
		trace.WithAttributes(attribute.String("messaging.consumer.group.name", c.cfg.Durable),
			attribute.Int64("messaging.nats.delivery_count", int64(d.NumDelivered)),
			attribute.String("handoff.event.type", d.Type)))
	defer span.End()

	reason, err := c.admit(msg, d)
	if err == nil {
		if d.NumDelivered > uint64(c.cfg.MaxDeliver) {
			reason, err = ReasonMaxDeliver, errors.New("delivered more often than MaxDeliver without success")
		} else {
			err = c.handle(ctx, d)
			reason = ""
		}
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "handler failed")
	}
	c.settle(ctx, msg, d, reason, err)
}

func (c *Consumer) delivery(msg jetstream.Msg) *Delivery {
	d := &Delivery{Data: msg.Data(), NATSSubject: msg.Subject(), Header: copyHeaders(msg.Headers()), Stream: c.cfg.Stream}
	if md, err := msg.Metadata(); err == nil {
		d.Sequence, d.NumDelivered = md.Sequence.Stream, md.NumDelivered
	}
	d.Type = msg.Headers().Get(HeaderType)
	d.ID = msg.Headers().Get(HeaderID)
	return d
}

// admit decodes the envelope and checks the payload against the contract.
// A failure here is permanent: no retry can fix the message.
func (c *Consumer) admit(msg jetstream.Msg, d *Delivery) (string, error) {
	env, err := DecodeEnvelope(msg.Headers())
	if err != nil {
		d.Envelope.ID = msg.Headers().Get(HeaderID)
		d.Envelope.CorrelationID = msg.Headers().Get(HeaderCorrelationID)
		return ReasonEnvelope, err
	}
	d.Envelope = env
	if !c.types[env.Type] {
		return ReasonUnknownType, fmt.Errorf("event type %q is not consumed here: %w", env.Type, contracts.ErrUnknownEventType)
	}
	if err := contracts.Validate(env.Type, d.Data); err != nil {
		return ReasonSchema, err
	}
	return "", nil
}

// handle runs the handler, turning a panic into an ordinary error so that
// the message is retried and, in the end, dead-lettered rather than lost.
func (c *Consumer) handle(ctx context.Context, d *Delivery) (err error) {
	defer func() {
		if r := recover(); r != nil {
			c.cfg.Logger.Error("handler panic", "stream", c.cfg.Stream, "consumer", c.cfg.Durable,
				"seq", d.Sequence, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("handler panic: %v", r)
		}
	}()
	return c.h(ctx, d)
}

// settle acks, retries or dead-letters msg according to the outcome.
func (c *Consumer) settle(ctx context.Context, msg jetstream.Msg, d *Delivery, reason string, err error) {
	log := c.cfg.Logger.With("stream", c.cfg.Stream, "consumer", c.cfg.Durable, "seq", d.Sequence,
		"event_id", d.ID, "type", d.Type, "delivery", d.NumDelivered)
	if err == nil {
		if aerr := msg.Ack(); aerr != nil {
			log.Warn("ack failed", "err", aerr)
		}
		return
	}
	if reason == "" {
		if r, ok := IsPermanent(err); ok {
			reason = r
		}
	}
	var ra *retryAfterError
	if reason == "" && d.NumDelivered >= uint64(c.cfg.MaxDeliver) && !errors.As(err, &ra) {
		reason = ReasonMaxDeliver
	}
	if reason == "" {
		delay := c.backoff(d.NumDelivered)
		if errors.As(err, &ra) {
			delay = ra.delay
		} else {
			log.Warn("handler failed, will retry", "err", err, "retry_in", delay)
		}
		_ = msg.NakWithDelay(delay)
		return
	}
	c.deadLetter(ctx, msg, d, reason, err, log)
}

func (c *Consumer) deadLetter(ctx context.Context, msg jetstream.Msg, d *Delivery, reason string, cause error, log *slog.Logger) {
	dl := DeadLetter{Reason: reason, Error: cause.Error(), Stream: c.cfg.Stream, Consumer: c.cfg.Durable,
		StreamSequence: d.Sequence, DeliveryCount: d.NumDelivered, Subject: d.NATSSubject,
		Headers: d.Header, Payload: d.Data, DeadLetteredAt: time.Now().UTC()}
	var ve *contracts.ValidationError
	if errors.As(cause, &ve) {
		dl.Problems = ve.Problems
	}
	// The dead letter must be stored before the message is terminated;
	// if it cannot be, the message stays and is retried.
	if err := c.dl.write(ctx, dl); err != nil {
		log.Error("dead letter not written, message kept for retry", "err", err)
		_ = msg.NakWithDelay(c.backoff(d.NumDelivered))
		return
	}
	log.Warn("dead-lettered", "reason", reason, "err", cause)
	if c.cfg.OnReject != nil {
		c.cfg.OnReject(ctx, d, reason, cause)
	}
	if err := msg.TermWithReason(reason); err != nil {
		log.Warn("terminate failed", "err", err)
	}
}

func (c *Consumer) backoff(delivered uint64) time.Duration {
	i := int(delivered) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(c.cfg.BackOff) {
		i = len(c.cfg.BackOff) - 1
	}
	return c.cfg.BackOff[i]
}
