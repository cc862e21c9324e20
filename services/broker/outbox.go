package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
)

// errUnchanged tells change that the mutation decided there is nothing to
// write (a duplicate, a stale update).
var errUnchanged = errors.New("unchanged")

// enqueue adds an outgoing event to the handoff's outbox.
func (h *Handoff) enqueue(id, typ string, tokens []string, causation string, payload any) error {
	data, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("outbox %s: %w", typ, err)
	}
	// Checked now, before it is written: an outbox entry that could never
	// be published would block the handoff for good.
	if err := contracts.Validate(typ, data); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	h.Outbox = append(h.Outbox, Pending{ID: id, Type: typ, Tokens: tokens, CausationID: causation, Payload: data})
	return nil
}

// change applies mutate to the current record with compare-and-swap,
// retrying on a conflict, then delivers what the change put in the outbox.
// If mutate returns errUnchanged, nothing is written but any outbox left
// by an earlier, interrupted change is still delivered.
func (b *Broker) change(ctx context.Context, rid string, mutate func(h *Handoff) error) (*Handoff, error) {
	for attempt := 0; ; attempt++ {
		h, rev, err := b.store.Get(ctx, rid)
		if err != nil {
			return nil, err
		}
		merr := mutate(h)
		if errors.Is(merr, errUnchanged) {
			return h, b.flush(ctx, h)
		}
		if merr != nil {
			return h, merr
		}
		h.UpdatedAt = b.cfg.Now().UTC()
		_, err = b.store.Update(ctx, h, rev)
		if errors.Is(err, jetstream.ErrKeyExists) || isWrongSequence(err) {
			b.metrics.conflicts.Add(ctx, 1)
			if attempt < 20 {
				continue
			}
		}
		if err != nil {
			return nil, fmt.Errorf("update handoff %s: %w", rid, err)
		}
		return h, b.flush(ctx, h)
	}
}

func isWrongSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// flush makes the indexes exist, sends the outbox with the events' fixed
// ids, empties it with compare-and-swap, and brings the SLA watch list in
// line with the record. Each step may be repeated safely.
func (b *Broker) flush(ctx context.Context, h *Handoff) error {
	if !h.Indexed || len(h.Outbox) > 0 {
		if err := b.store.index(ctx, h); err != nil {
			return err
		}
		if err := b.fault("before-publish"); err != nil {
			return err
		}
		for _, p := range h.Outbox {
			if _, err := b.pub.Publish(ctx, events.Outgoing{Type: p.Type, Tokens: p.Tokens, ID: p.ID,
				Subject: subjectOf(p), CorrelationID: h.RequestID, CausationID: p.CausationID,
				Payload: json.RawMessage(p.Payload)}); err != nil {
				return err
			}
			if err := b.fault("after-publish:" + p.Type); err != nil {
				return err
			}
		}
		if err := b.clearOutbox(ctx, h.RequestID, h.Outbox); err != nil {
			return err
		}
	}
	return b.syncSLA(ctx, h)
}

// subjectOf is the CloudEvents subject of an outgoing event: the ticket
// for Civil Defence, the request for the contact centre.
func subjectOf(p Pending) string {
	return p.Tokens[len(p.Tokens)-1]
}

// clearOutbox removes the sent entries, by id, and marks the record
// indexed. Entries added meanwhile by another change stay for its flush.
func (b *Broker) clearOutbox(ctx context.Context, rid string, sent []Pending) error {
	done := make(map[string]bool, len(sent))
	for _, p := range sent {
		done[p.ID] = true
	}
	for attempt := 0; attempt < 20; attempt++ {
		h, rev, err := b.store.Get(ctx, rid)
		if err != nil {
			return err
		}
		left := h.Outbox[:0]
		for _, p := range h.Outbox {
			if !done[p.ID] {
				left = append(left, p)
			}
		}
		if len(left) == len(h.Outbox) && h.Indexed {
			return nil
		}
		h.Outbox, h.Indexed = left, true
		_, err = b.store.Update(ctx, h, rev)
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !isWrongSequence(err) {
			return fmt.Errorf("clear outbox %s: %w", rid, err)
		}
	}
	return fmt.Errorf("clear outbox %s: too many conflicts", rid)
}

// slaEntry is what the watchdog keeps per handoff awaiting acknowledgement.
type slaEntry struct {
	RequestID        string    `json:"request_id"`
	RequestReference string    `json:"request_reference"`
	TicketID         string    `json:"ticket_id"`
	TicketReference  string    `json:"ticket_reference"`
	Queue            string    `json:"queue"`
	AckDueAt         time.Time `json:"ack_due_at"`
	Reports          int       `json:"reports"`
	LastReportAt     time.Time `json:"last_report_at,omitzero"`
}

// syncSLA keeps exactly the queued, unacknowledged handoffs in the SLA
// bucket, so that the watchdog's work depends only on how many are open.
func (b *Broker) syncSLA(ctx context.Context, h *Handoff) error {
	if h.Status == contracts.StatusQueued && h.AckDueAt != nil {
		e := slaEntry{RequestID: h.RequestID, RequestReference: h.RequestReference, TicketID: h.TicketID,
			TicketReference: h.TicketReference, Queue: h.Queue, AckDueAt: *h.AckDueAt}
		data, _ := json.Marshal(e)
		if _, err := b.sla.Create(ctx, h.RequestID, data); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("sla watch %s: %w", h.RequestID, err)
		}
		return nil
	}
	// Purge only what is there, and let the purge marker expire, so that
	// finished handoffs leave nothing behind for the watchdog to read.
	if _, err := b.sla.Get(ctx, h.RequestID); errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	if err := b.sla.Purge(ctx, h.RequestID, jetstream.PurgeTTL(time.Hour)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("sla unwatch %s: %w", h.RequestID, err)
	}
	return nil
}
