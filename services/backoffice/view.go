package backoffice

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sharjah-handoff/handoff/contracts"
)

// view is this instance's copy of the ticket store, kept current by
// watching the bucket. Queue lists and live updates read it; actions and
// single tickets read the store itself, which is never stale. Every
// instance watches the same bucket, so officers on any instance see every
// change.
type view struct {
	mu      sync.RWMutex
	tickets map[string]*Record
	subs    map[chan Change]struct{}
	ready   chan struct{}
	once    sync.Once
}

// Change tells live pages that a ticket changed.
type Change struct {
	TicketID  string           `json:"ticket_id"`
	Reference string           `json:"ticket_reference"`
	Queue     string           `json:"queue"`
	Kind      string           `json:"kind"`
	Status    contracts.Status `json:"status"`
	Version   int              `json:"version"`
	At        time.Time        `json:"at"`
}

func newView() *view {
	return &view{tickets: map[string]*Record{}, subs: map[chan Change]struct{}{}, ready: make(chan struct{})}
}

// follow keeps the view current until ctx ends. After NATS reconnects it
// watches the bucket anew rather than wait for the old watcher to notice
// that its server-side consumer is gone, which takes many seconds.
func (v *view) follow(ctx context.Context, s *Store, reconnects func() uint64) {
	for ctx.Err() == nil {
		seen := reconnects()
		w, err := s.Watch(ctx)
		if err == nil {
			v.watch(ctx, w, func() bool { return reconnects() != seen })
			_ = w.Stop()
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// watch applies one watcher's updates until ctx ends, the watcher closes
// or stale says the connection changed under it. The watcher first lists
// every record: they replace the view at once when the listing ends, so
// that a ticket deleted meanwhile does not linger.
func (v *view) watch(ctx context.Context, w jetstream.KeyWatcher, stale func() bool) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	listing := map[string]*Record{}
	lastPrune := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if stale() {
				return
			}
			if now.Sub(lastPrune) > time.Hour {
				v.prune(now)
				lastPrune = now
			}
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			switch {
			case e == nil:
				v.replace(listing)
				listing = nil
			case listing != nil:
				if r, err := decodeRecord(e.Value()); err == nil && e.Operation() == jetstream.KeyValuePut && kept(r, time.Now()) {
					listing[r.ID] = r
				}
			default:
				v.apply(e)
			}
		}
	}
}

// kindResync tells live pages that the whole view was reloaded.
const kindResync = "resync"

// finishedKept is how long a finished ticket (closed, rejected, cancelled)
// stays in the view after its last change. Older ones stay in the store,
// where the ticket page reads them, but not in memory: the view's size
// follows the open tickets and the last weeks' finished ones, not the
// years of history.
const finishedKept = 30 * 24 * time.Hour

func kept(r *Record, now time.Time) bool {
	return r.Open() || now.Sub(r.UpdatedAt) < finishedKept
}

// prune drops finished tickets older than finishedKept.
func (v *view) prune(now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for id, r := range v.tickets {
		if !kept(r, now) {
			delete(v.tickets, id)
		}
	}
}

// replace swaps in a complete listing and tells live pages to refresh.
func (v *view) replace(all map[string]*Record) {
	v.mu.Lock()
	v.tickets = all
	v.mu.Unlock()
	v.once.Do(func() { close(v.ready) })
	v.publish(Change{Kind: kindResync, At: time.Now().UTC()})
}

func (v *view) apply(e jetstream.KeyValueEntry) {
	tid := strings.TrimPrefix(e.Key(), keyPrefix)
	if e.Operation() != jetstream.KeyValuePut {
		v.mu.Lock()
		delete(v.tickets, tid)
		v.mu.Unlock()
		return
	}
	r, err := decodeRecord(e.Value())
	if err != nil {
		return
	}
	v.mu.Lock()
	v.tickets[tid] = r
	v.mu.Unlock()
	v.publish(changeOf(r))
}

func changeOf(r *Record) Change {
	c := Change{TicketID: r.ID, Reference: r.Reference, Queue: r.Queue, Status: r.Status, Version: r.Version, At: r.UpdatedAt}
	switch {
	case r.Pending != nil:
		c.Kind = "pending"
	case len(r.History) > 0:
		c.Kind = r.History[len(r.History)-1].Kind
	}
	return c
}

// subscribe returns a channel of changes and how to stop it. A subscriber
// that falls behind loses changes rather than slowing the others; pages
// reload what they show, so a lost change is made up by the next one.
func (v *view) subscribe() (<-chan Change, func()) {
	ch := make(chan Change, 64)
	v.mu.Lock()
	v.subs[ch] = struct{}{}
	v.mu.Unlock()
	return ch, func() {
		v.mu.Lock()
		delete(v.subs, ch)
		v.mu.Unlock()
	}
}

func (v *view) publish(c Change) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	for ch := range v.subs {
		select {
		case ch <- c:
		default:
		}
	}
}

func (v *view) pending() []*Record {
	v.mu.RLock()
	defer v.mu.RUnlock()
	var out []*Record
	for _, r := range v.tickets {
		if r.Pending != nil {
			out = append(out, r)
		}
	}
	return out
}

// QueueSummary is one queue at a glance.
type QueueSummary struct {
	Queue            string                   `json:"queue"`
	Name             contracts.Text           `json:"name"`
	Depth            int                      `json:"depth"`
	Overdue          int                      `json:"overdue"`
	OldestOpenedAt   *time.Time               `json:"oldest_opened_at,omitempty"`
	OldestAgeSeconds int64                    `json:"oldest_age_seconds"`
	ByStatus         map[contracts.Status]int `json:"by_status"`
}

// queues summarises the given queues: depth counts the tickets still open
// (not closed, rejected or cancelled).
func (v *view) queues(names []string, now time.Time) []QueueSummary {
	out := make([]QueueSummary, len(names))
	idx := map[string]int{}
	for i, q := range names {
		out[i] = QueueSummary{Queue: q, Name: queueName(q), ByStatus: map[contracts.Status]int{}}
		idx[q] = i
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	for _, r := range v.tickets {
		i, ok := idx[r.Queue]
		if !ok || !r.Open() {
			continue
		}
		s := &out[i]
		s.Depth++
		s.ByStatus[r.Status]++
		if r.Overdue(now) {
			s.Overdue++
		}
		if s.OldestOpenedAt == nil || r.OpenedAt.Before(*s.OldestOpenedAt) {
			at := r.OpenedAt
			s.OldestOpenedAt = &at
		}
	}
	for i := range out {
		if at := out[i].OldestOpenedAt; at != nil {
			out[i].OldestAgeSeconds = int64(now.Sub(*at).Seconds())
		}
	}
	return out
}

// TicketSummary is one line of a queue.
type TicketSummary struct {
	ID               string           `json:"ticket_id"`
	Reference        string           `json:"ticket_reference"`
	RequestReference string           `json:"request_reference"`
	Queue            string           `json:"queue"`
	Priority         string           `json:"priority"`
	Status           contracts.Status `json:"status"`
	Version          int              `json:"version"`
	ServiceCode      string           `json:"service_code"`
	ServiceName      contracts.Text   `json:"service_name"`
	OpenedAt         time.Time        `json:"opened_at"`
	DueAt            *time.Time       `json:"due_at,omitempty"`
	Overdue          bool             `json:"overdue"`
	Assignee         string           `json:"assignee,omitempty"`
	CallerReplied    bool             `json:"caller_replied,omitempty"`
	Pending          bool             `json:"pending,omitempty"`
}

func summaryOf(r *Record, now time.Time) TicketSummary {
	s := TicketSummary{ID: r.ID, Reference: r.Reference, RequestReference: r.RequestReference, Queue: r.Queue,
		Priority: r.Priority, Status: r.Status, Version: r.Version, ServiceCode: r.Request.ServiceCode,
		ServiceName: r.Request.ServiceName, OpenedAt: r.OpenedAt, Overdue: r.Overdue(now), Assignee: r.Assignee,
		CallerReplied: r.CallerReplied, Pending: r.Pending != nil}
	if due := r.DueAt(); !due.IsZero() {
		s.DueAt = &due
	}
	return s
}

// list lists a queue's tickets whose status passes keep, most urgent
// first: by priority, then by the deadline that applies now, then oldest.
func (v *view) list(queue string, keep func(contracts.Status) bool, now time.Time) []TicketSummary {
	v.mu.RLock()
	out := []TicketSummary{}
	for _, r := range v.tickets {
		if r.Queue == queue && keep(r.Status) {
			out = append(out, summaryOf(r, now))
		}
	}
	v.mu.RUnlock()
	slices.SortFunc(out, compareUrgency)
	return out
}

var priorityRank = map[string]int{contracts.PriorityHigh: 0, contracts.PriorityNormal: 1, contracts.PriorityLow: 2}

func rank(p string) int {
	if r, ok := priorityRank[p]; ok {
		return r
	}
	return len(priorityRank)
}

func compareUrgency(a, b TicketSummary) int {
	if d := rank(a.Priority) - rank(b.Priority); d != 0 {
		return d
	}
	switch {
	case a.DueAt != nil && b.DueAt == nil:
		return -1
	case a.DueAt == nil && b.DueAt != nil:
		return 1
	case a.DueAt != nil && !a.DueAt.Equal(*b.DueAt):
		return a.DueAt.Compare(*b.DueAt)
	}
	if c := a.OpenedAt.Compare(b.OpenedAt); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}
