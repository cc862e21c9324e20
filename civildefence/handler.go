package civildefence

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
)

// Meta is what every ticket event carries besides its payload.
type Meta struct {
	// EventID is the event's ce-id; a redelivered event has the same one.
	EventID string
	// Type is the contract event type, e.g. handoff.ticket.opened.v1.
	Type     string
	Queue    string
	TicketID string
	// RequestID is the contact centre's request behind the ticket (the
	// event's ce-correlationid).
	RequestID   string
	CausationID string
	Time        time.Time
	// Trace is the message's trace context. Keep the one of the opened
	// event: status reports about the ticket continue it.
	Trace TraceContext
	// Delivery counts deliveries of this message, 1 the first time.
	Delivery uint64
	// Sequence is the message's sequence in the CD_TICKETS stream.
	Sequence uint64
}

// Handler receives the events of the queues a Client consumes. Each
// method's error decides the message's fate: nil acknowledges it, an error
// marked with events.Permanent dead-letters it with its reason, and any
// other error retries it after a back-off (events.RetryAfter chooses the
// delay). Events of one ticket may be handled concurrently and, after a
// retry, out of order: an amendment can arrive before its ticket is stored,
// and is best retried then.
type Handler interface {
	Opened(ctx context.Context, m Meta, t contracts.TicketOpened) error
	Amended(ctx context.Context, m Meta, a contracts.TicketAmended) error
	Cancelled(ctx context.Context, m Meta, c contracts.TicketCancelled) error
	Refused(ctx context.Context, m Meta, r contracts.TicketRefused) error
}

// Handlers implements Handler with a function per event; a nil function
// acknowledges the event and does nothing else.
type Handlers struct {
	OnOpened    func(ctx context.Context, m Meta, t contracts.TicketOpened) error
	OnAmended   func(ctx context.Context, m Meta, a contracts.TicketAmended) error
	OnCancelled func(ctx context.Context, m Meta, c contracts.TicketCancelled) error
	OnRefused   func(ctx context.Context, m Meta, r contracts.TicketRefused) error
}

// Opened calls OnOpened.
func (h Handlers) Opened(ctx context.Context, m Meta, t contracts.TicketOpened) error {
	return call(h.OnOpened, ctx, m, t)
}

// Amended calls OnAmended.
func (h Handlers) Amended(ctx context.Context, m Meta, a contracts.TicketAmended) error {
	return call(h.OnAmended, ctx, m, a)
}

// Cancelled calls OnCancelled.
func (h Handlers) Cancelled(ctx context.Context, m Meta, c contracts.TicketCancelled) error {
	return call(h.OnCancelled, ctx, m, c)
}

// Refused calls OnRefused.
func (h Handlers) Refused(ctx context.Context, m Meta, r contracts.TicketRefused) error {
	return call(h.OnRefused, ctx, m, r)
}

func call[T any](f func(context.Context, Meta, T) error, ctx context.Context, m Meta, v T) error {
	if f == nil {
		return nil
	}
	return f(ctx, m, v)
}

// ticketTypes are the event types on a Civil Defence queue.
var ticketTypes = []string{contracts.TypeTicketOpened, contracts.TypeTicketAmended,
	contracts.TypeTicketCancelled, contracts.TypeTicketRefused}

// ticketFields are the fields every ticket payload shares, checked against
// the subject it came on.
type ticketFields struct {
	TicketID string `json:"ticket_id"`
	Queue    string `json:"queue"`
}

// dispatch turns a validated delivery into a typed call of h. The payload
// has passed its schema already; what is left to check is that it agrees
// with its subject, so that a ticket can never be filed under another
// queue or id than the one it travelled on.
func dispatch(ctx context.Context, h Handler, d *events.Delivery) error {
	m, err := metaOf(d)
	if err != nil {
		return events.Permanent(contracts.ReasonContractViolation, err)
	}
	switch d.Type {
	case contracts.TypeTicketOpened:
		return decodeAndCall(ctx, d, m, h.Opened)
	case contracts.TypeTicketAmended:
		return decodeAndCall(ctx, d, m, h.Amended)
	case contracts.TypeTicketCancelled:
		return decodeAndCall(ctx, d, m, h.Cancelled)
	case contracts.TypeTicketRefused:
		return decodeAndCall(ctx, d, m, h.Refused)
	}
	return events.Permanent(events.ReasonUnknownType, fmt.Errorf("unexpected event type %q", d.Type))
}

func decodeAndCall[T any](ctx context.Context, d *events.Delivery, m Meta, f func(context.Context, Meta, T) error) error {
	var v T
	if err := json.Unmarshal(d.Data, &v); err != nil {
		return events.Permanent(events.ReasonSchema, err)
	}
	return f(ctx, m, v)
}

// metaOf reads the envelope and subject of a delivery. The subject is
// cd.ticket.<queue>.<ticket_id>.<kind>.
func metaOf(d *events.Delivery) (Meta, error) {
	parts := strings.Split(d.NATSSubject, ".")
	if len(parts) != 5 || parts[0] != "cd" || parts[1] != "ticket" {
		return Meta{}, fmt.Errorf("subject %q is not cd.ticket.<queue>.<ticket_id>.<kind>", d.NATSSubject)
	}
	var f ticketFields
	if err := json.Unmarshal(d.Data, &f); err != nil {
		return Meta{}, err
	}
	if f.TicketID != parts[3] || f.Queue != parts[2] {
		return Meta{}, fmt.Errorf("payload names ticket %s on queue %s but travelled on %s", f.TicketID, f.Queue, d.NATSSubject)
	}
	return Meta{EventID: d.ID, Type: d.Type, Queue: f.Queue, TicketID: f.TicketID, RequestID: d.CorrelationID,
		CausationID: d.CausationID, Time: d.Time, Trace: traceOf(nats.Header(d.Header)),
		Delivery: d.NumDelivered, Sequence: d.Sequence}, nil
}
