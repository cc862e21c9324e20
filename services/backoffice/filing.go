package backoffice

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sharjah-handoff/handoff/civildefence"
	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
)

// filing is the civildefence.Handler that files ticket events in the
// store. Each event is applied at most once (by event id), and an event
// about a ticket not stored yet — an amendment handled before its opening,
// say — is retried shortly.
type filing struct {
	store *Store
	now   func() time.Time
	retry time.Duration
}

var _ civildefence.Handler = (*filing)(nil)

func (f *filing) Opened(ctx context.Context, m civildefence.Meta, t contracts.TicketOpened) error {
	now := f.now().UTC()
	r := &Record{Ticket: civildefence.NewTicket(m, t), Request: t.Request, OpenedAt: t.OpenedAt,
		AckDueAt: t.AckDueAt, ResolveDueAt: t.ResolveDueAt,
		History: []Entry{{At: now, Kind: KindOpened, EventID: m.EventID, Status: contracts.StatusQueued}}}
	r.markSeen(m.EventID)
	if err := f.store.Create(ctx, r); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return err
	}
	return nil // an existing record means a redelivery: it is filed already
}

func (f *filing) Amended(ctx context.Context, m civildefence.Meta, a contracts.TicketAmended) error {
	return f.change(ctx, m, func(r *Record) {
		changed := amend(&r.Request, a)
		if r.Status == contracts.StatusInfoRequested {
			r.CallerReplied = true
		}
		r.History = append(r.History, Entry{At: f.now().UTC(), Kind: KindAmended, EventID: m.EventID,
			Status: r.Status, CallerNote: a.Note, Changed: changed})
	})
}

func (f *filing) Cancelled(ctx context.Context, m civildefence.Meta, c contracts.TicketCancelled) error {
	return f.change(ctx, m, func(r *Record) {
		r.Cancel()
		r.ReasonCode = c.ReasonCode
		r.History = append(r.History, Entry{At: f.now().UTC(), Kind: KindCancelled, EventID: m.EventID,
			Status: contracts.StatusCancelled, ReasonCode: c.ReasonCode, CallerNote: c.Note})
	})
}

// Refused takes back a change the broker refused: its version is free
// again, and the history says why.
func (f *filing) Refused(ctx context.Context, m civildefence.Meta, rf contracts.TicketRefused) error {
	return f.change(ctx, m, func(r *Record) {
		if r.Refuse(rf) {
			r.restoreCDStatus()
		}
		msg := rf.Message
		r.History = append(r.History, Entry{At: f.now().UTC(), Kind: KindRefused, EventID: m.EventID,
			Status: rf.Status, Version: rf.Version, ReasonCode: rf.ReasonCode, Note: &msg})
	})
}

// change applies an inbound event to a stored ticket once.
func (f *filing) change(ctx context.Context, m civildefence.Meta, apply func(r *Record)) error {
	_, err := f.store.Change(ctx, m.TicketID, func(r *Record) error {
		if r.seen(m.EventID) {
			return errUnchanged
		}
		r.markSeen(m.EventID)
		apply(r)
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return events.RetryAfter(f.retry, err)
	}
	return err
}

// amend applies the caller's amendment to the request and lists what
// changed. Absent fields are unchanged; attributes are merged by code.
func amend(req *contracts.RequestSnapshot, a contracts.TicketAmended) []string {
	var changed []string
	if a.Description != "" && a.Description != req.Description {
		req.Description = a.Description
		changed = append(changed, "description")
	}
	if a.Location != nil {
		req.Location = a.Location
		changed = append(changed, "location")
	}
	if len(a.Attributes) > 0 {
		if req.Attributes == nil {
			req.Attributes = contracts.Attributes{}
		}
		codes := slices.Collect(maps.Keys(a.Attributes))
		sort.Strings(codes)
		for _, code := range codes {
			req.Attributes[code] = a.Attributes[code]
			changed = append(changed, "attributes."+code)
		}
	}
	return changed
}

// restoreCDStatus brings Civil Defence's code and note back to those of the
// change the ticket's version now stands at.
func (r *Record) restoreCDStatus() {
	r.CDStatusCode, r.ReasonCode, r.PublicNote = "", "", nil
	for i := len(r.History) - 1; i >= 0; i-- {
		if e := r.History[i]; e.Kind == KindStatus && e.Version == r.Version {
			r.CDStatusCode, r.ReasonCode, r.PublicNote = e.CDStatusCode, e.ReasonCode, e.Note
			return
		}
	}
}
