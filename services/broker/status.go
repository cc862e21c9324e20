package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
)

// errRefused marks a status change the state machine forbids.
var errRefused = errors.New("status change refused")

// handleStatus applies Civil Defence's status changes in version order.
// A repeated or stale version is dropped and counted; a version that
// arrives before the one it follows waits for it; a change the state
// machine forbids is refused back to Civil Defence and dead-lettered.
func (b *Broker) handleStatus(ctx context.Context, d *events.Delivery) error {
	var ts contracts.TicketStatus
	if err := json.Unmarshal(d.Data, &ts); err != nil {
		return events.Permanent(events.ReasonSchema, err)
	}
	if err := onItsSubject(d, ts.TicketID); err != nil {
		return err
	}
	rid, err := b.store.RequestOfTicket(ctx, ts.TicketID)
	if errors.Is(err, ErrNotFound) {
		return events.Permanent(contracts.ReasonUnknownTicket, err)
	}
	if err != nil {
		return err
	}
	var refusal error
	_, err = b.change(ctx, rid, func(h *Handoff) error {
		refusal = nil
		switch {
		case h.seen(d.ID) && refusedBefore(h, d.ID):
			refusal = fmt.Errorf("%w: event %s was refused before", errRefused, d.ID)
			return errUnchanged
		case h.seen(d.ID) || ts.Version <= h.TicketVersion:
			b.metrics.stale.Add(ctx, 1)
			return errUnchanged
		case ts.Version > h.TicketVersion+1:
			return events.RetryAfter(b.cfg.GapWait, fmt.Errorf("ticket %s: version %d arrived before %d", ts.TicketID, ts.Version, h.TicketVersion+1))
		case !CanTransition(h.Status, ts.Status):
			refusal = b.refuseStatus(h, d, &ts)
			return nil
		}
		h.markSeen(d.ID)
		at := b.cfg.Now().UTC()
		if h.AcknowledgedAt == nil && h.Status == contracts.StatusQueued {
			h.AcknowledgedAt = &at
		}
		if err := b.setStatus(h, d.ID, ts.Status, ts.ChangedAt, &ts); err != nil {
			return events.Permanent(events.ReasonSchema, err)
		}
		b.metrics.statuses.Add(ctx, 1)
		return nil
	})
	if err == nil && refusal != nil {
		return events.Permanent(contracts.ReasonIllegalTransition, refusal)
	}
	return err
}

// refuseStatus records the refusal and puts handoff.ticket.refused.v1 in
// the outbox, so Civil Defence learns why and what the current state is.
func (b *Broker) refuseStatus(h *Handoff, d *events.Delivery, ts *contracts.TicketStatus) error {
	h.markSeen(d.ID)
	now := b.cfg.Now().UTC()
	msg := contracts.Text{
		EN: fmt.Sprintf("a ticket that is %s cannot become %s", h.Status, ts.Status),
		AR: fmt.Sprintf("لا يمكن نقل تذكرة حالتها «%s» إلى «%s»", statusName(h.Status), statusName(ts.Status)),
	}
	h.record(Entry{At: now, Event: contracts.TypeTicketRefused, EventID: d.ID, Status: h.Status,
		Version: ts.Version, ReasonCode: contracts.ReasonIllegalTransition, Note: &msg})
	ref := contracts.TicketRefused{TicketID: h.TicketID, Queue: h.Queue, RefusedEventID: d.ID, Version: ts.Version,
		Status: ts.Status, CurrentStatus: h.Status, CurrentVersion: h.TicketVersion,
		ReasonCode: contracts.ReasonIllegalTransition, Message: msg, RefusedAt: now}
	must(h.enqueue(eventID(h.RequestID, "ticket.refused", d.ID), contracts.TypeTicketRefused,
		[]string{h.Queue, h.TicketID}, d.ID, ref))
	b.metrics.refused.Add(context.Background(), 1)
	return fmt.Errorf("%w: ticket %s is %s, cannot become %s (version %d)", errRefused, h.TicketID, h.Status, ts.Status, ts.Version)
}

func refusedBefore(h *Handoff, eventID string) bool {
	for _, e := range h.History {
		if e.EventID == eventID && e.Event == contracts.TypeTicketRefused {
			return true
		}
	}
	return false
}
