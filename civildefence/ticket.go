package civildefence

import (
	"errors"
	"fmt"
	"slices"

	"github.com/sharjah-handoff/handoff/contracts"
)

// ErrTransition is matched by every *TransitionError.
var ErrTransition = errors.New("status change not allowed")

// TransitionError says that a ticket in one status cannot be moved to
// another. The broker would refuse the change, so it is never sent.
type TransitionError struct {
	From, To contracts.Status
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("%s: a ticket that is %s cannot become %s", ErrTransition, e.From, e.To)
}

// Is makes errors.Is(err, ErrTransition) true.
func (e *TransitionError) Is(target error) bool { return target == ErrTransition }

// changes are the moves Civil Defence may make, from the state machine both
// agencies share (DESIGN.md): the broker enforces the same table, and a
// test keeps the two in step. Cancellation belongs to the caller.
var changes = map[contracts.Status][]contracts.Status{
	contracts.StatusQueued:        {contracts.StatusAccepted, contracts.StatusRejected},
	contracts.StatusAccepted:      {contracts.StatusInProgress, contracts.StatusInfoRequested, contracts.StatusRejected},
	contracts.StatusInProgress:    {contracts.StatusInfoRequested, contracts.StatusResolved},
	contracts.StatusInfoRequested: {contracts.StatusInProgress},
	contracts.StatusResolved:      {contracts.StatusClosed, contracts.StatusInProgress},
}

// CanChange reports whether Civil Defence may move a ticket from one
// common status to another.
func CanChange(from, to contracts.Status) bool {
	return slices.Contains(changes[from], to)
}

// NextStatuses lists the statuses Civil Defence may move a ticket in from
// to, in the order of the state machine.
func NextStatuses(from contracts.Status) []contracts.Status {
	return slices.Clone(changes[from])
}

// Ticket is what a Civil Defence system must remember about a ticket to
// report on it: where it stands, the last version sent, and the trace to
// continue. Its zero Version means no change was reported yet.
type Ticket struct {
	ID               string           `json:"ticket_id"`
	Reference        string           `json:"ticket_reference"`
	RequestID        string           `json:"request_id"`
	RequestReference string           `json:"request_reference"`
	Queue            string           `json:"queue"`
	Priority         string           `json:"priority"`
	Status           contracts.Status `json:"status"`
	Version          int              `json:"version"`
	Trace            TraceContext     `json:"trace,omitzero"`
	// OpenedEventID is the ce-id of the ticket.opened event; reports
	// name it as their cause until a later event takes its place.
	OpenedEventID string `json:"opened_event_id,omitempty"`
}

// NewTicket is the state of a ticket just opened: queued, version 0, and
// the opened event's trace.
func NewTicket(m Meta, t contracts.TicketOpened) Ticket {
	return Ticket{ID: t.TicketID, Reference: t.TicketReference, RequestID: t.RequestID,
		RequestReference: t.RequestReference, Queue: t.Queue, Priority: t.Priority,
		Status: contracts.StatusQueued, Trace: m.Trace, OpenedEventID: m.EventID}
}

// Next returns the update that moves the ticket to status with the next
// version, or a *TransitionError. The caller adds the CD status code and
// any note or reason, reports it, and then calls Apply.
func (t Ticket) Next(status contracts.Status) (Update, error) {
	if !CanChange(t.Status, status) {
		return Update{}, &TransitionError{From: t.Status, To: status}
	}
	return Update{TicketID: t.ID, RequestID: t.RequestID, Version: t.Version + 1, Status: status,
		Trace: t.Trace, CausationID: t.OpenedEventID}, nil
}

// Apply records a reported update as the ticket's state.
func (t *Ticket) Apply(u Update) {
	t.Status, t.Version = u.Status, u.Version
}

// Cancel records that the caller withdrew the request: no further change
// may be reported.
func (t *Ticket) Cancel() {
	t.Status = contracts.StatusCancelled
}

// Refuse takes back a change the broker refused, so that its version is
// used again by the next change. It reports whether the refusal concerned
// the ticket's last change; an older or unknown refusal changes nothing.
func (t *Ticket) Refuse(r contracts.TicketRefused) bool {
	if r.TicketID != t.ID || r.Version == 0 || r.Version != t.Version {
		return false
	}
	t.Version = r.Version - 1
	if r.CurrentVersion > 0 || r.CurrentStatus != "" {
		t.Version = r.CurrentVersion
	}
	// A cancellation the broker knows of reaches us as its own event;
	// until then, the broker's status is the truth.
	if r.CurrentStatus != "" && t.Status != contracts.StatusCancelled {
		t.Status = r.CurrentStatus
	}
	return true
}
