package intake

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
)

// errUnavailable wraps every failure to reach NATS while submitting: the
// client gets 503 and may retry.
var errUnavailable = errors.New("messaging unavailable")

// receipt is what a submitted request gets back.
type receipt struct {
	RequestID, Reference string
	SubmittedAt          time.Time
	// replay is the first response to an Idempotency-Key, to send again.
	replay *idemEntry
	entry  idemEntry
}

// submit gives a draft its id and reference and publishes it. It returns
// once JetStream has acknowledged the event, so an answer to the client
// means the request is stored. With an idempotency key, a repeat returns
// the first attempt's receipt (or replay) instead of a new request.
func (s *Service) submit(ctx context.Context, d *draft, key *idemKey) (*receipt, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.SubmitTimeout)
	defer cancel()
	if s.nc.IsClosed() {
		return nil, fmt.Errorf("%w: connection closed", errUnavailable)
	}
	ent := s.freshEntry()
	if key != nil {
		var err error
		if ent, err = s.idem.begin(ctx, *key, s.freshEntry); err != nil {
			return nil, classify(err)
		}
		if ent.Done {
			return &receipt{RequestID: ent.RequestID, Reference: ent.Reference, SubmittedAt: ent.SubmittedAt, replay: &ent}, nil
		}
	}
	ent, err := s.reserve(ctx, ent, key != nil)
	if err != nil {
		return nil, classify(err)
	}
	req := d.req
	req.RequestID, req.Reference, req.SubmittedAt = ent.RequestID, ent.Reference, ent.SubmittedAt
	trace.SpanFromContext(ctx).SetAttributes(attribute.String("handoff.request.id", req.RequestID),
		attribute.String("handoff.request.reference", req.Reference))
	if _, err := s.pub.Publish(ctx, events.Outgoing{Type: contracts.TypeRequestSubmitted, Tokens: []string{req.RequestID},
		ID: submittedEventID(req.RequestID), Subject: req.RequestID, CorrelationID: req.RequestID, Payload: req}); err != nil {
		return nil, classify(err)
	}
	// JetStream has the request: from here on the client must hear
	// success. A view that misses the request half only lacks details
	// until the agent looks again; the status half comes from the stream.
	if _, err := s.view.update(context.WithoutCancel(ctx), req.RequestID, func(r *Record) bool { return r.captured(req) }); err != nil {
		s.log.ErrorContext(ctx, "request published but not written to the view", "request_id", req.RequestID, "err", err)
	}
	return &receipt{RequestID: req.RequestID, Reference: req.Reference, SubmittedAt: req.SubmittedAt, entry: ent}, nil
}

// freshEntry gives a new request its id, reference and time. The time is
// the one inside the UUIDv7, so the id alone says which day the request
// belongs to.
func (s *Service) freshEntry() idemEntry {
	id := uuid.Must(uuid.NewV7())
	return idemEntry{RequestID: id.String(), Reference: contracts.RandomReference(contracts.RequestReferencePrefix, id),
		SubmittedAt: requestTime(id)}
}

// reserve claims the entry's reference. 40 random bits rarely collide;
// when they do, a new request takes a new id, while a retried one (whose
// reference its first attempt already claimed) must keep its own.
func (s *Service) reserve(ctx context.Context, ent idemEntry, retried bool) (idemEntry, error) {
	for range 5 {
		err := s.view.reserve(ctx, ent.Reference, ent.RequestID)
		if err == nil || retried || !errors.Is(err, jetstream.ErrKeyExists) {
			return ent, err
		}
		ent = s.freshEntry()
	}
	return ent, errors.New("no free reference after 5 attempts")
}

// submittedEventID is the ce-id of a request's submission, derived from
// its id so that every retry of one request carries the same Nats-Msg-Id.
func submittedEventID(rid string) string {
	return uuid.NewSHA1(eventIDSpace, []byte(rid+"/submitted")).String()
}

var eventIDSpace = uuid.MustParse("2f7c8e0a-5b1d-4c3e-9f6a-8d2b1e4c7a90")

// classify marks NATS failures as unavailability and leaves the rest.
func classify(err error) error {
	var ve *contracts.ValidationError
	switch {
	case errors.As(err, &ve), errors.Is(err, errIdempotencyMismatch):
		return err
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrConnectionClosed),
		errors.Is(err, nats.ErrTimeout), errors.Is(err, nats.ErrNoResponders), errors.Is(err, jetstream.ErrNoStreamResponse),
		errors.Is(err, nats.ErrConnectionReconnecting), errors.Is(err, nats.ErrDisconnected),
		errors.Is(err, nats.ErrReconnectBufExceeded):
		return fmt.Errorf("%w: %w", errUnavailable, err)
	}
	return err
}
