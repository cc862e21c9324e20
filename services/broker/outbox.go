package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

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
			return h, b.flush(ctx, h, rev)
		}
		if merr != nil {
			return h, merr
		}
		h.UpdatedAt = b.cfg.Now().UTC()
		newRev, err := b.store.Update(ctx, h, rev)
		if errors.Is(err, jetstream.ErrKeyExists) || isWrongSequence(err) {
			b.metrics.conflicts.Add(ctx, 1)
			if attempt < 20 {
				continue
			}
		}
		if err != nil {
			return nil, fmt.Errorf("update handoff %s: %w", rid, err)
		}
		return h, b.flush(ctx, h, newRev)
	}
}

func isWrongSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// flush makes the indexes exist, sends the outbox with the events' fixed
// ids, empties it with compare-and-swap, and brings the SLA watch list in
// line with the record. Each step may be repeated safely. rev is the
// record's revision as last written, or 0 if unknown. Independent round
// trips to the server run concurrently: they dominate a handoff's latency.
func (b *Broker) flush(ctx context.Context, h *Handoff, rev uint64) error {
	// The SLA watch list is independent of the rest; the indexes must
	// exist before the ticket is sent, since Civil Defence's first answer
	// is looked up by them.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return b.syncSLA(gctx, h) })
	g.Go(func() error {
		if !h.Indexed {
			if err := b.store.index(gctx, h); err != nil {
				return err
			}
		}
		if len(h.Outbox) == 0 {
			return nil
		}
		if err := b.fault("before-publish"); err != nil {
			return err
		}
		if err := b.publishOutbox(gctx, h); err != nil {
			return err
		}
		return b.clearOutbox(gctx, h, rev)
	})
	return g.Wait()
}

// publishOutbox sends the pending events and waits for their acks. Events
// for one party (one stream) go one after another, in outbox order, so
// each side sees them in order; the two parties' events go concurrently.
func (b *Broker) publishOutbox(ctx context.Context, h *Handoff) error {
	lanes := map[string][]Pending{}
	var order []string
	for _, p := range h.Outbox {
		r, _ := events.RouteOf(p.Type)
		if _, ok := lanes[r.Stream]; !ok {
			order = append(order, r.Stream)
		}
		lanes[r.Stream] = append(lanes[r.Stream], p)
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, stream := range order {
		g.Go(func() error {
			for _, p := range lanes[stream] {
				if _, err := b.pub.Publish(gctx, events.Outgoing{Type: p.Type, Tokens: p.Tokens, ID: p.ID,
					Subject: subjectOf(p), CorrelationID: h.RequestID, CausationID: p.CausationID,
					Payload: json.RawMessage(p.Payload)}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, p := range h.Outbox {
		if err := b.fault("after-publish:" + p.Type); err != nil {
			return err
		}
	}
	return nil
}

// subjectOf is the CloudEvents subject of an outgoing event: the ticket
// for Civil Defence, the request for the contact centre.
func subjectOf(p Pending) string {
	return p.Tokens[len(p.Tokens)-1]
}

// clearOutbox removes the sent entries, by id, and marks the record
// indexed. Entries added meanwhile by another change stay for its flush.
func (b *Broker) clearOutbox(ctx context.Context, flushed *Handoff, rev uint64) error {
	rid := flushed.RequestID
	done := make(map[string]bool, len(flushed.Outbox))
	for _, p := range flushed.Outbox {
		done[p.ID] = true
	}
	// The first try assumes nobody wrote since the record we flushed, and
	// saves a read; a conflict falls back to reading it.
	for attempt := 0; attempt < 20; attempt++ {
		h := flushed.clone()
		if attempt > 0 || rev == 0 {
			var err error
			if h, rev, err = b.store.Get(ctx, rid); err != nil {
				return err
			}
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
		h.Outbox, h.Indexed = append([]Pending(nil), left...), true
		_, err := b.store.Update(ctx, h, rev)
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
	// Purge when the handoff has just left queued, and let the purge
	// marker expire, so that finished handoffs leave nothing behind for
	// the watchdog to read.
	if !h.leftQueue {
		return nil
	}
	if err := b.sla.Purge(ctx, h.RequestID, jetstream.PurgeTTL(time.Hour)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("sla unwatch %s: %w", h.RequestID, err)
	}
	return nil
}

// clone copies what clearOutbox changes, so the caller's record stays as
// it was flushed.
func (h *Handoff) clone() *Handoff {
	c := *h
	c.Outbox = append([]Pending(nil), h.Outbox...)
	return &c
}
