package backoffice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sharjah-handoff/handoff/civildefence"
	"github.com/sharjah-handoff/handoff/contracts"
)

// Record is Civil Defence's own record of one ticket: where it stands, the
// caller's request as amended, its deadlines, who works on it, and what
// happened to it.
type Record struct {
	civildefence.Ticket
	Request      contracts.RequestSnapshot `json:"request"`
	OpenedAt     time.Time                 `json:"opened_at"`
	AckDueAt     time.Time                 `json:"ack_due_at"`
	ResolveDueAt time.Time                 `json:"resolve_due_at"`
	// AcknowledgedAt is when the ticket first left queued; ResolvedAt when
	// it was last resolved.
	AcknowledgedAt       *time.Time      `json:"acknowledged_at,omitempty"`
	ResolvedAt           *time.Time      `json:"resolved_at,omitempty"`
	Assignee             string          `json:"assignee,omitempty"`
	CDStatusCode         string          `json:"cd_status_code,omitempty"`
	ReasonCode           string          `json:"reason_code,omitempty"`
	PublicNote           *contracts.Text `json:"public_note,omitempty"`
	ExpectedResolutionAt *time.Time      `json:"expected_resolution_at,omitempty"`
	// CallerReplied is set when the caller amended the request after an
	// officer asked for information, until the next status change.
	CallerReplied bool      `json:"caller_replied,omitempty"`
	UpdatedAt     time.Time `json:"updated_at"`
	History       []Entry   `json:"history"`
	// Pending is a status change whose version is reserved and whose event
	// is being published; no other change may start meanwhile.
	Pending *Pending `json:"pending,omitempty"`
	// Seen holds the ids of recent inbound events already applied, so that
	// a redelivery changes nothing.
	Seen []string `json:"seen,omitempty"`
}

// Entry is one step of a ticket's history.
type Entry struct {
	At      time.Time        `json:"at"`
	Kind    string           `json:"kind"`
	EventID string           `json:"event_id,omitempty"`
	Status  contracts.Status `json:"status,omitempty"`
	Version int              `json:"version,omitempty"`
	// Officer is who acted; Assignee whom a ticket was assigned to.
	Officer      string `json:"officer,omitempty"`
	Assignee     string `json:"assignee,omitempty"`
	CDStatusCode string `json:"cd_status_code,omitempty"`
	ReasonCode   string `json:"reason_code,omitempty"`
	// Note is a bilingual public note, question or refusal message;
	// CallerNote is what the caller said (an amendment's or cancellation's
	// note, in the caller's words).
	Note       *contracts.Text `json:"note,omitempty"`
	CallerNote string          `json:"caller_note,omitempty"`
	// Changed lists what an amendment changed: description, attributes
	// (by code) or location.
	Changed []string `json:"changed,omitempty"`
}

// History kinds.
const (
	KindOpened    = "opened"
	KindAmended   = "amended"
	KindCancelled = "cancelled"
	KindRefused   = "refused"
	KindStatus    = "status"
	KindAssigned  = "assigned"
)

// Pending is a reserved status change: the event exactly as it is (or
// will be) published, so that it can be sent again with the same id.
type Pending struct {
	EventID    string                 `json:"event_id"`
	Action     string                 `json:"action"`
	Officer    string                 `json:"officer"`
	Assignee   string                 `json:"assignee,omitempty"`
	Status     contracts.TicketStatus `json:"status"`
	ReservedAt time.Time              `json:"reserved_at"`
}

// update rebuilds the client update of a pending change.
func (p *Pending) update(r *Record) civildefence.Update {
	s := p.Status
	return civildefence.Update{TicketID: s.TicketID, RequestID: r.RequestID, Version: s.Version, Status: s.Status,
		CDStatusCode: s.CDStatusCode, ReasonCode: s.ReasonCode, PublicNote: s.PublicNote, OfficerID: s.OfficerID,
		ExpectedResolutionAt: s.ExpectedResolutionAt, ChangedAt: s.ChangedAt, EventID: p.EventID,
		CausationID: r.OpenedEventID, Trace: r.Trace}
}

// Open reports whether the ticket still needs Civil Defence's work.
func (r *Record) Open() bool { return r.Status.Open() }

// Overdue reports whether the ticket has missed the deadline that applies
// to it now: acknowledgement while queued, resolution while being worked.
func (r *Record) Overdue(now time.Time) bool {
	switch r.Status {
	case contracts.StatusQueued:
		return now.After(r.AckDueAt)
	case contracts.StatusAccepted, contracts.StatusInProgress, contracts.StatusInfoRequested:
		return now.After(r.ResolveDueAt)
	}
	return false
}

// DueAt is the deadline that applies now, zero once the ticket is resolved
// or finished.
func (r *Record) DueAt() time.Time {
	switch r.Status {
	case contracts.StatusQueued:
		return r.AckDueAt
	case contracts.StatusAccepted, contracts.StatusInProgress, contracts.StatusInfoRequested:
		return r.ResolveDueAt
	}
	return time.Time{}
}

const maxSeen = 64

func (r *Record) seen(id string) bool { return slices.Contains(r.Seen, id) }

func (r *Record) markSeen(id string) {
	r.Seen = append(r.Seen, id)
	if len(r.Seen) > maxSeen {
		r.Seen = r.Seen[len(r.Seen)-maxSeen:]
	}
}

// ErrNotFound is returned for a ticket the store does not hold.
var ErrNotFound = errors.New("ticket not found")

// errUnchanged tells Store.Change that nothing needs writing.
var errUnchanged = errors.New("unchanged")

// Store reads and writes ticket records in the CD_TICKET_STORE bucket,
// one key per ticket: "ticket.<ticket_id>".
type Store struct {
	kv  jetstream.KeyValue
	now func() time.Time
}

// NewStore opens the bucket.
func NewStore(ctx context.Context, js jetstream.JetStream, bucket string, now func() time.Time) (*Store, error) {
	kv, err := js.KeyValue(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("ticket store %s: %w", bucket, err)
	}
	if now == nil {
		now = time.Now
	}
	return &Store{kv: kv, now: now}, nil
}

const keyPrefix = "ticket."

func recordKey(tid string) string { return keyPrefix + tid }

// Get returns a ticket's record and its revision.
func (s *Store) Get(ctx context.Context, tid string) (*Record, uint64, error) {
	e, err := s.kv.Get(ctx, recordKey(tid))
	// An id that cannot even be a key (one with "*" in it, say) names no
	// ticket: it is not the store being unavailable.
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrInvalidKey) {
		return nil, 0, fmt.Errorf("ticket %s: %w", tid, ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("get ticket %s: %w", tid, err)
	}
	r, err := decodeRecord(e.Value())
	if err != nil {
		return nil, 0, fmt.Errorf("ticket %s: %w", tid, err)
	}
	return r, e.Revision(), nil
}

func decodeRecord(data []byte) (*Record, error) {
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode record: %w", err)
	}
	return &r, nil
}

// Create stores a new record; jetstream.ErrKeyExists if there is one.
func (s *Store) Create(ctx context.Context, r *Record) error {
	r.UpdatedAt = s.now().UTC()
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = s.kv.Create(ctx, recordKey(r.ID), data)
	return err
}

// Change applies mutate to the current record and writes it with
// compare-and-swap, trying again from a fresh read when someone else wrote
// in between. mutate may return errUnchanged to write nothing, or any other
// error to give up with it.
func (s *Store) Change(ctx context.Context, tid string, mutate func(r *Record) error) (*Record, error) {
	for attempt := 0; ; attempt++ {
		r, rev, err := s.Get(ctx, tid)
		if err != nil {
			return nil, err
		}
		if err := mutate(r); err != nil {
			if errors.Is(err, errUnchanged) {
				return r, nil
			}
			return r, err
		}
		err = s.put(ctx, r, rev)
		if isConflict(err) && attempt < 50 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("update ticket %s: %w", tid, err)
		}
		return r, nil
	}
}

func (s *Store) put(ctx context.Context, r *Record, rev uint64) error {
	r.UpdatedAt = s.now().UTC()
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = s.kv.Update(ctx, recordKey(r.ID), data, rev)
	return err
}

// isConflict reports whether a write lost a compare-and-swap race.
func isConflict(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, jetstream.ErrKeyExists) ||
		errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// Watch streams every record as it is now and then every change, until
// ctx ends. The watcher survives reconnects.
func (s *Store) Watch(ctx context.Context) (jetstream.KeyWatcher, error) {
	w, err := s.kv.Watch(ctx, keyPrefix+">")
	if err != nil {
		return nil, fmt.Errorf("watch ticket store: %w", err)
	}
	return w, nil
}
