package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/sharjah-handoff/handoff/contracts"
)

// Outgoing is one event to publish.
type Outgoing struct {
	// Type is the contract event type; it selects the schema and route.
	Type string
	// Tokens fill the route's subject template, in order.
	Tokens []string
	// ID is the ce-id and Nats-Msg-Id. Empty means a fresh UUIDv7; set it
	// when a retry of the same logical event must be recognised as one.
	ID string
	// Subject is the CloudEvents subject (request or ticket id).
	Subject       string
	CorrelationID string
	CausationID   string
	// Time defaults to now.
	Time time.Time
	// Payload is a contracts payload struct, or json.RawMessage.
	Payload any
}

// Published tells what JetStream stored.
type Published struct {
	ID        string
	Subject   string
	Stream    string
	Sequence  uint64
	Duplicate bool
}

// Publisher sends contract events: validated, enveloped, traced and
// idempotent.
type Publisher struct {
	js     jetstream.JetStream
	source string
	opts   publisherOptions
	tracer trace.Tracer
}

type publisherOptions struct {
	attempts int
	timeout  time.Duration
	backoff  time.Duration
	tp       trace.TracerProvider
	log      *slog.Logger
}

// PublisherOpt configures a Publisher.
type PublisherOpt func(*publisherOptions) error

// WithPublishAttempts sets how many times a publish that got no ack is
// tried, with the same message id, before giving up.
func WithPublishAttempts(n int) PublisherOpt {
	return func(o *publisherOptions) error {
		if n < 1 {
			return fmt.Errorf("publish attempts must be at least 1, got %d", n)
		}
		o.attempts = n
		return nil
	}
}

// WithPublishTimeout sets how long one attempt waits for its ack.
func WithPublishTimeout(d time.Duration) PublisherOpt {
	return func(o *publisherOptions) error {
		if d <= 0 {
			return fmt.Errorf("publish timeout must be positive, got %s", d)
		}
		o.timeout = d
		return nil
	}
}

// WithTracerProvider sets the tracer provider; the default is the global one.
func WithTracerProvider(tp trace.TracerProvider) PublisherOpt {
	return func(o *publisherOptions) error {
		if tp == nil {
			return errors.New("nil tracer provider")
		}
		o.tp = tp
		return nil
	}
}

// WithPublisherLogger sets the logger for retries.
func WithPublisherLogger(l *slog.Logger) PublisherOpt {
	return func(o *publisherOptions) error {
		o.log = l
		return nil
	}
}

// NewPublisher returns a publisher whose events carry source as ce-source,
// e.g. "/handoff/broker".
func NewPublisher(js jetstream.JetStream, source string, opts ...PublisherOpt) (*Publisher, error) {
	o := publisherOptions{attempts: 5, timeout: 5 * time.Second, backoff: 250 * time.Millisecond,
		tp: otel.GetTracerProvider(), log: slog.Default()}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("new publisher: %w", err)
		}
	}
	if !validSource(source) || source == "" {
		return nil, fmt.Errorf("new publisher: invalid source %q", source)
	}
	return &Publisher{js: js, source: source, opts: o, tracer: tracerOf(o.tp)}, nil
}

// Source is the ce-source of this publisher's events.
func (p *Publisher) Source() string { return p.source }

// Publish validates the payload against the contract, wraps it in the
// envelope and publishes it, retrying a publish that got no ack with the
// same Nats-Msg-Id. A duplicate ack counts as success: the event is stored
// once.
func (p *Publisher) Publish(ctx context.Context, out Outgoing) (Published, error) {
	msg, route, err := p.build(out)
	if err != nil {
		return Published{}, err
	}
	id := msg.Header.Get(HeaderID)
	ctx, span := p.tracer.Start(ctx, "send "+route.Template,
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(messagingAttrs("send", route.Template, id)...))
	defer span.End()
	InjectTrace(ctx, msg.Header)

	ack, err := p.send(ctx, msg)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "publish failed")
		return Published{}, fmt.Errorf("publish %s %s: %w", out.Type, id, err)
	}
	return Published{ID: id, Subject: msg.Subject, Stream: ack.Stream, Sequence: ack.Sequence, Duplicate: ack.Duplicate}, nil
}

func (p *Publisher) build(out Outgoing) (*nats.Msg, Route, error) {
	route, ok := RouteOf(out.Type)
	if !ok {
		return nil, route, fmt.Errorf("publish %q: %w", out.Type, contracts.ErrUnknownEventType)
	}
	subject, err := Subject(out.Type, out.Tokens...)
	if err != nil {
		return nil, route, fmt.Errorf("publish: %w", err)
	}
	data, err := marshalPayload(out.Payload)
	if err != nil {
		return nil, route, fmt.Errorf("publish %s: %w", out.Type, err)
	}
	if err := contracts.Validate(out.Type, data); err != nil {
		return nil, route, fmt.Errorf("publish %s: %w", out.Type, err)
	}
	env := Envelope{ID: out.ID, Source: p.source, Type: out.Type, Time: out.Time, Subject: out.Subject,
		DataSchema: contracts.SchemaURI(out.Type), CorrelationID: out.CorrelationID, CausationID: out.CausationID}
	if env.ID == "" {
		env.ID = uuid.Must(uuid.NewV7()).String()
	}
	if env.Time.IsZero() {
		env.Time = time.Now()
	}
	if err := env.Validate(); err != nil {
		return nil, route, fmt.Errorf("publish %s: %w", out.Type, err)
	}
	msg := nats.NewMsg(subject)
	env.Header(msg.Header)
	msg.Header.Set(jetstream.MsgIDHeader, env.ID)
	msg.Data = data
	return msg, route, nil
}

func marshalPayload(v any) ([]byte, error) {
	switch d := v.(type) {
	case json.RawMessage:
		return d, nil
	case []byte:
		return d, nil
	case nil:
		return nil, errors.New("no payload")
	}
	return json.Marshal(v)
}

// send publishes msg, retrying when no ack came back in time. Each retry
// carries the same Nats-Msg-Id, so the stream keeps one copy.
func (p *Publisher) send(ctx context.Context, msg *nats.Msg) (*jetstream.PubAck, error) {
	var err error
	for attempt := 1; attempt <= p.opts.attempts; attempt++ {
		actx, cancel := context.WithTimeout(ctx, p.opts.timeout)
		var ack *jetstream.PubAck
		ack, err = p.js.PublishMsg(actx, msg)
		cancel()
		if err == nil {
			return ack, nil
		}
		if !retryablePublish(err) || ctx.Err() != nil {
			return nil, err
		}
		p.opts.log.Warn("publish not acknowledged, retrying", "type", msg.Header.Get(HeaderType),
			"event_id", msg.Header.Get(HeaderID), "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(p.opts.backoff * time.Duration(attempt)):
		}
	}
	return nil, err
}

func retryablePublish(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrConnectionReconnecting) || errors.Is(err, nats.ErrReconnectBufExceeded)
}
