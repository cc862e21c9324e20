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

// watch is the SLA watchdog. It keeps an in-memory copy of the SLA bucket,
// which holds only the handoffs Civil Defence has not yet acknowledged, by
// watching it; each tick it reports those past their acknowledgement
// deadline to the contact centre, again every ReportEvery until someone
// acts. Its memory and each tick's work grow with the open handoffs only:
// finished ones have left the bucket.
func (b *Broker) watch(ctx context.Context) error {
	for {
		err := b.watchOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		// The watcher broke (a long outage, a bucket moved): start over
		// from the bucket's current contents rather than stop the broker.
		b.log.Warn("sla watchdog restarting", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// watchOnce runs one watcher until ctx ends or the watcher breaks.
func (b *Broker) watchOnce(ctx context.Context) error {
	w, err := b.sla.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("sla watchdog: %w", err)
	}
	defer func() { _ = w.Stop() }()
	open := map[string]slaEntry{}
	tick := time.NewTicker(b.cfg.WatchInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				return errors.New("sla watchdog: watcher closed")
			}
			if e == nil { // initial values delivered
				continue
			}
			b.track(open, e)
		case <-tick.C:
			b.report(ctx, open)
		}
	}
}

func (b *Broker) track(open map[string]slaEntry, e jetstream.KeyValueEntry) {
	if e.Operation() != jetstream.KeyValuePut {
		delete(open, e.Key())
		return
	}
	var s slaEntry
	if err := json.Unmarshal(e.Value(), &s); err != nil {
		b.log.Error("sla watchdog: unreadable entry", "key", e.Key(), "err", err)
		return
	}
	open[e.Key()] = s
}

// report sends an overdue event for each handoff that is due one.
func (b *Broker) report(ctx context.Context, open map[string]slaEntry) {
	now := b.cfg.Now().UTC()
	overdue := 0
	for key, s := range open {
		if !now.After(s.AckDueAt) {
			continue
		}
		overdue++
		if !s.LastReportAt.IsZero() && now.Sub(s.LastReportAt) < b.cfg.ReportEvery {
			continue
		}
		next, err := b.reportOne(ctx, key, s, now)
		if err != nil {
			b.log.Warn("sla watchdog: report", "request_id", s.RequestID, "err", err)
			continue
		}
		open[key] = next
	}
	b.metrics.awaiting.Record(ctx, int64(overdue))
}

// reportOne claims the report with compare-and-swap on the SLA entry, so
// that of several broker instances exactly one reports, then publishes it.
func (b *Broker) reportOne(ctx context.Context, key string, s slaEntry, now time.Time) (slaEntry, error) {
	cur, err := b.sla.Get(ctx, key)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(cur.Value(), &s); err != nil {
		return s, err
	}
	if !s.LastReportAt.IsZero() && now.Sub(s.LastReportAt) < b.cfg.ReportEvery {
		return s, nil // another instance reported it
	}
	// The record has the last word: a watch left behind (a crash between
	// acknowledgement and unwatching, or a late watch racing a quick
	// acknowledgement) is removed rather than reported.
	if h, _, err := b.store.Get(ctx, s.RequestID); err == nil && h.Status != contracts.StatusQueued {
		if err := b.sla.Purge(ctx, key, jetstream.PurgeTTL(time.Hour)); err != nil {
			return s, fmt.Errorf("remove stale sla watch: %w", err)
		}
		return s, nil
	}
	s.Reports++
	s.LastReportAt = now
	data, _ := json.Marshal(s)
	if _, err := b.sla.Update(ctx, key, data, cur.Revision()); err != nil {
		return s, err
	}
	od := contracts.RequestOverdue{RequestID: s.RequestID, RequestReference: s.RequestReference, TicketID: s.TicketID,
		TicketReference: s.TicketReference, Queue: s.Queue, AckDueAt: s.AckDueAt,
		OverdueSeconds: int64(now.Sub(s.AckDueAt).Seconds()), ReportCount: s.Reports, ReportedAt: now}
	_, err = b.pub.Publish(ctx, events.Outgoing{Type: contracts.TypeRequestOverdue, Tokens: []string{s.RequestID},
		ID: eventID(s.RequestID, "overdue", fmt.Sprint(s.Reports)), Subject: s.RequestID, CorrelationID: s.RequestID, Payload: od})
	if err != nil {
		return s, err
	}
	b.metrics.overdue.Add(ctx, 1)
	b.log.Warn("ticket not acknowledged within SLA", "request_id", s.RequestID, "ticket_id", s.TicketID,
		"queue", s.Queue, "overdue", now.Sub(s.AckDueAt).Round(time.Second), "reports", s.Reports)
	return s, nil
}
