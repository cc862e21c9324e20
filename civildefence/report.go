package civildefence

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
)

// Errors of Report. ErrNotPublished and ErrUnconfirmed differ in what is
// known: the first means the update is certainly not stored, so its version
// is still free; the second means it may have been stored (no
// acknowledgement came back), so the same update, with the same EventID,
// must be sent again until it is confirmed — a different change under the
// same version would be dropped by the broker as a repeat.
var (
	ErrInvalidUpdate = errors.New("invalid status update")
	ErrNotPublished  = errors.New("status update not published")
	ErrUnconfirmed   = errors.New("status update not confirmed")
)

// Update is one status change of a ticket, as Civil Defence reports it
// (handoff.ticket.status.v1). Ticket.Next fills the ticket, the version and
// the trace; the caller adds the rest.
type Update struct {
	TicketID string
	// RequestID is the request behind the ticket; it travels as the
	// event's ce-correlationid so that both agencies' records join up.
	RequestID string
	Version   int
	Status    contracts.Status
	// CDStatusCode is Civil Defence's own, finer status code.
	CDStatusCode string
	// ReasonCode is required with StatusRejected.
	ReasonCode string
	// PublicNote is read to the caller; required with info_requested (the
	// question) and resolved (the outcome), in Arabic and English.
	PublicNote           *contracts.Text
	OfficerID            string
	ExpectedResolutionAt *time.Time
	// ChangedAt defaults to now.
	ChangedAt time.Time
	// EventID is the ce-id (and Nats-Msg-Id). Empty means a new UUIDv7;
	// set it to send the same update again after ErrUnconfirmed.
	EventID     string
	CausationID string
	// Trace is the ticket's trace context; the report continues it.
	Trace TraceContext
}

// Payload is the contract payload of u.
func (u Update) Payload() contracts.TicketStatus {
	return contracts.TicketStatus{TicketID: u.TicketID, Version: u.Version, Status: u.Status,
		CDStatusCode: u.CDStatusCode, ReasonCode: u.ReasonCode, PublicNote: u.PublicNote, OfficerID: u.OfficerID,
		ChangedAt: u.ChangedAt, ExpectedResolutionAt: u.ExpectedResolutionAt}
}

// Prepare fills the defaults of u (event id, time) and checks it against
// the contract, so that what is stored before sending is what is sent.
func (u Update) Prepare(now time.Time) (Update, error) {
	if u.EventID == "" {
		u.EventID = uuid.Must(uuid.NewV7()).String()
	}
	if u.ChangedAt.IsZero() {
		u.ChangedAt = now
	}
	u.ChangedAt = u.ChangedAt.UTC()
	if err := events.CheckToken(u.TicketID); err != nil {
		return u, fmt.Errorf("%w: ticket id: %w", ErrInvalidUpdate, err)
	}
	if u.RequestID == "" {
		return u, fmt.Errorf("%w: no request id", ErrInvalidUpdate)
	}
	if err := contracts.ValidateValue(contracts.TypeTicketStatus, u.Payload()); err != nil {
		return u, fmt.Errorf("%w: %w", ErrInvalidUpdate, err)
	}
	return u, nil
}

// Reported tells what the stream stored.
type Reported struct {
	EventID  string
	Subject  string
	Sequence uint64
	// Duplicate is true when the stream already had this event id: an
	// earlier, unconfirmed attempt had been stored after all.
	Duplicate bool
}

// Report publishes u on cd.update.<ticket_id>.status. It does not check the
// state machine (Ticket.Next does); the broker refuses an illegal change
// with a handoff.ticket.refused.v1 event on the ticket's queue. Errors wrap
// ErrInvalidUpdate, ErrNotPublished or ErrUnconfirmed.
func (c *Client) Report(ctx context.Context, u Update) (Reported, error) {
	u, err := u.Prepare(time.Now())
	if err != nil {
		return Reported{}, err
	}
	ctx, span := c.startReportSpan(ctx, u)
	defer span.End()
	rep, err := c.publish(ctx, u)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "report failed")
	}
	return rep, err
}

// startReportSpan makes the report a child of the ticket's trace, so that
// the whole life of a request is one trace; a span the caller was in (an
// officer's HTTP request, say) is linked rather than lost.
func (c *Client) startReportSpan(ctx context.Context, u Update) (context.Context, trace.Span) {
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(attribute.String("handoff.ticket.status", string(u.Status)),
			attribute.Int("handoff.ticket.version", u.Version))}
	if sc := u.Trace.SpanContext(); sc.IsValid() {
		if caller := trace.SpanContextFromContext(ctx); caller.IsValid() {
			opts = append(opts, trace.WithLinks(trace.Link{SpanContext: caller}))
		}
		ctx = trace.ContextWithRemoteSpanContext(ctx, sc)
	}
	return c.tracer.Start(ctx, "report ticket status", opts...)
}

// publish sends u, retrying with the same event id, and tells apart a
// failure after which the update is certainly not stored from one after
// which it may be.
func (c *Client) publish(ctx context.Context, u Update) (Reported, error) {
	out := events.Outgoing{Type: contracts.TypeTicketStatus, Tokens: []string{u.TicketID}, ID: u.EventID,
		Subject: u.TicketID, CorrelationID: u.RequestID, CausationID: u.CausationID, Time: u.ChangedAt, Payload: u.Payload()}
	uncertain := false
	var err error
	for attempt := 1; attempt <= c.cfg.PublishAttempts; attempt++ {
		if !c.Connected() {
			// Nothing is sent while disconnected: a publish now would sit
			// in the reconnect buffer and might arrive after we gave up.
			err = nats.ErrConnectionReconnecting
		} else {
			var p events.Published
			if p, err = c.pub.Publish(ctx, out); err == nil {
				return Reported{EventID: p.ID, Subject: p.Subject, Sequence: p.Sequence, Duplicate: p.Duplicate}, nil
			}
			uncertain = uncertain || !certainlyNotStored(err)
		}
		if ctx.Err() != nil || !retryable(err) || attempt == c.cfg.PublishAttempts {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
		}
	}
	if uncertain {
		return Reported{EventID: u.EventID}, fmt.Errorf("%w: ticket %s version %d (event %s): %w", ErrUnconfirmed, u.TicketID, u.Version, u.EventID, err)
	}
	return Reported{EventID: u.EventID}, fmt.Errorf("%w: ticket %s version %d: %w", ErrNotPublished, u.TicketID, u.Version, err)
}

// certainlyNotStored reports whether a publish error proves that the
// message was not stored: the server said no, or nobody was there to
// store it, or it never left this process.
func certainlyNotStored(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrConnectionClosed) ||
		errors.Is(err, nats.ErrReconnectBufExceeded) || errors.Is(err, nats.ErrBadSubject) ||
		errors.Is(err, nats.ErrMaxPayload)
}

func retryable(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return false
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrConnectionReconnecting) || errors.Is(err, nats.ErrReconnectBufExceeded)
}
