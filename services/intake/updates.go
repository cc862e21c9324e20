package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
)

// applyUpdate writes one CC_UPDATES event into the request view. The
// payload is already validated against the contract by the consumer.
func (s *Service) applyUpdate(ctx context.Context, d *events.Delivery) error {
	rid, ref, apply, err := decodeUpdate(d)
	if err != nil {
		return events.Permanent(events.ReasonSchema, err)
	}
	if ref != "" {
		// A request that came another way (not through this intake) is
		// found by its reference too.
		if err := s.view.reserve(ctx, ref, rid); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
			return err
		}
	}
	if _, err := s.view.update(ctx, rid, apply); err != nil {
		return err
	}
	s.metrics.updates.Add(ctx, 1, metric.WithAttributes(attribute.String("type", d.Type)))
	return nil
}

// decodeUpdate reads an update and returns its request and how it changes
// the record.
func decodeUpdate(d *events.Delivery) (rid, ref string, apply func(*Record) bool, err error) {
	switch d.Type {
	case contracts.TypeRequestStatus:
		var st contracts.RequestStatus
		err = json.Unmarshal(d.Data, &st)
		return st.RequestID, st.RequestReference, func(r *Record) bool { return r.status(st, d.Sequence) }, err
	case contracts.TypeRequestRejected:
		var rj contracts.RequestRejected
		err = json.Unmarshal(d.Data, &rj)
		return rj.RequestID, rj.RequestReference, func(r *Record) bool { return r.rejected(rj, d.Sequence) }, err
	case contracts.TypeRequestOverdue:
		var od contracts.RequestOverdue
		err = json.Unmarshal(d.Data, &od)
		return od.RequestID, od.RequestReference, func(r *Record) bool { return r.overdue(od, d.Sequence) }, err
	}
	return "", "", nil, fmt.Errorf("unexpected event type %s", d.Type)
}
