package intake

import (
	"slices"
	"time"

	"github.com/sharjah-handoff/handoff/contracts"
)

// Record is the contact centre's view of one request: what was asked
// (written when the intake accepts it) and where it stands (written from
// CC_UPDATES). Either half may arrive first. It holds no caller details:
// the view answers "where does it stand", not "who called".
type Record struct {
	RequestID   string    `json:"request_id"`
	Reference   string    `json:"reference,omitempty"`
	ServiceCode string    `json:"service_code,omitempty"`
	Description string    `json:"description,omitempty"`
	Address     string    `json:"address,omitempty"`
	AddressID   string    `json:"address_id,omitempty"`
	Lat         *float64  `json:"lat,omitempty"`
	Long        *float64  `json:"long,omitempty"`
	MediaURL    string    `json:"media_url,omitempty"`
	Language    string    `json:"language,omitempty"`
	Channel     string    `json:"channel,omitempty"`
	AgentID     string    `json:"agent_id,omitempty"`
	RequestedAt time.Time `json:"requested_at,omitzero"`
	// Captured says the request half was written by the intake.
	Captured bool `json:"captured,omitempty"`

	Status               contracts.Status    `json:"status"`
	Sequence             int                 `json:"sequence"`
	CDStatusCode         string              `json:"cd_status_code,omitempty"`
	ReasonCode           string              `json:"reason_code,omitempty"`
	PublicNote           *contracts.Text     `json:"public_note,omitempty"`
	Problems             []contracts.Problem `json:"problems,omitempty"`
	TicketID             string              `json:"ticket_id,omitempty"`
	TicketReference      string              `json:"ticket_reference,omitempty"`
	Queue                string              `json:"queue,omitempty"`
	AckDueAt             *time.Time          `json:"ack_due_at,omitempty"`
	ExpectedResolutionAt *time.Time          `json:"expected_resolution_at,omitempty"`
	Overdue              *Overdue            `json:"overdue,omitempty"`
	UpdatedAt            time.Time           `json:"updated_at,omitzero"`
	// LastSeq is the highest CC_UPDATES stream sequence applied: a page
	// showing this record resumes the live feed after it.
	LastSeq uint64  `json:"last_seq,omitempty"`
	History []Entry `json:"history,omitempty"`
}

// Overdue says Civil Defence has not acknowledged the ticket in time.
type Overdue struct {
	Since          time.Time `json:"since"`
	OverdueSeconds int64     `json:"overdue_seconds"`
	ReportCount    int       `json:"report_count"`
	ReportedAt     time.Time `json:"reported_at"`
}

// Entry kinds of a request's history.
const (
	EntrySubmitted = "submitted"
	EntryStatus    = "status"
	EntryRejected  = "rejected"
	EntryOverdue   = "overdue"
)

// Entry is one step of a request's history.
type Entry struct {
	At           time.Time        `json:"at"`
	Kind         string           `json:"kind"`
	Status       contracts.Status `json:"status,omitempty"`
	Sequence     int              `json:"sequence,omitempty"`
	CDStatusCode string           `json:"cd_status_code,omitempty"`
	ReasonCode   string           `json:"reason_code,omitempty"`
	Note         *contracts.Text  `json:"note,omitempty"`
	// Seq is the CC_UPDATES stream sequence the entry came from; 0 for
	// the intake's own submission.
	Seq uint64 `json:"seq,omitempty"`
}

// maxHistory bounds a record; the first entry (the submission) is kept.
const maxHistory = 200

// captured writes the request half, keeping whatever status already
// arrived.
func (r *Record) captured(req contracts.RequestSubmitted) bool {
	if r.Captured {
		return false
	}
	r.Captured = true
	r.Reference, r.ServiceCode, r.Description = req.Reference, req.ServiceCode, req.Description
	r.Language, r.Channel, r.AgentID, r.MediaURL = req.Language, req.Channel, req.AgentID, req.MediaURL
	r.RequestedAt = req.SubmittedAt
	if l := req.Location; l != nil {
		r.Address, r.AddressID, r.Lat, r.Long = l.Address, l.AddressID, l.Lat, l.Long
	}
	if r.Status == "" {
		r.Status = contracts.StatusSubmitted
	}
	if r.UpdatedAt.Before(req.SubmittedAt) {
		r.UpdatedAt = req.SubmittedAt
	}
	r.addHistory(Entry{At: req.SubmittedAt, Kind: EntrySubmitted, Status: contracts.StatusSubmitted})
	return true
}

// status applies handoff.request.status.v1. Every status joins the
// history, in sequence order; only one newer than the current becomes the
// current state, so a late or repeated delivery never turns the clock back.
func (r *Record) status(st contracts.RequestStatus, seq uint64) bool {
	if r.hasSeq(seq) || slices.ContainsFunc(r.History, func(e Entry) bool { return e.Kind == EntryStatus && e.Sequence == st.Sequence }) {
		return false
	}
	r.noteReference(st.RequestReference)
	r.addHistory(Entry{At: st.ChangedAt, Kind: EntryStatus, Status: st.Status, Sequence: st.Sequence,
		CDStatusCode: st.CDStatusCode, ReasonCode: st.ReasonCode, Note: st.PublicNote, Seq: seq})
	r.seen(seq, st.ChangedAt)
	if st.Sequence <= r.Sequence && r.Status != "" {
		return true
	}
	r.Status, r.Sequence = st.Status, st.Sequence
	r.CDStatusCode, r.ReasonCode, r.PublicNote = st.CDStatusCode, st.ReasonCode, st.PublicNote
	if st.TicketID != "" {
		r.TicketID, r.TicketReference, r.Queue = st.TicketID, st.TicketReference, st.Queue
	}
	if st.AckDueAt != nil {
		r.AckDueAt = st.AckDueAt
	}
	if st.ExpectedResolutionAt != nil {
		r.ExpectedResolutionAt = st.ExpectedResolutionAt
	}
	if st.Status != contracts.StatusQueued {
		r.Overdue = nil
	}
	return true
}

// rejected applies handoff.request.rejected.v1. A refused amendment or
// cancellation (handoff_finished) leaves the status as it is; any other
// rejection means the request never became a ticket.
func (r *Record) rejected(rj contracts.RequestRejected, seq uint64) bool {
	if r.hasSeq(seq) {
		return false
	}
	r.noteReference(rj.RequestReference)
	notice := rj.Notice
	r.addHistory(Entry{At: rj.RejectedAt, Kind: EntryRejected, Status: contracts.StatusRejected,
		ReasonCode: rj.ReasonCode, Note: &notice, Seq: seq})
	r.seen(seq, rj.RejectedAt)
	if rj.ReasonCode == contracts.ReasonHandoffFinished || r.Status.Finished() && r.Status != contracts.StatusRejected {
		return true
	}
	r.Status, r.ReasonCode, r.PublicNote, r.Problems = contracts.StatusRejected, rj.ReasonCode, &notice, rj.Problems
	r.Overdue = nil
	return true
}

// overdue applies handoff.request.overdue.v1 while the ticket still waits
// for acknowledgement. Repeated reports update one history entry instead of
// filling the history.
func (r *Record) overdue(od contracts.RequestOverdue, seq uint64) bool {
	if r.hasSeq(seq) {
		return false
	}
	r.noteReference(od.RequestReference)
	r.seen(seq, od.ReportedAt)
	if r.Status != "" && r.Status != contracts.StatusQueued && r.Status != contracts.StatusSubmitted {
		return true
	}
	r.Overdue = &Overdue{Since: od.AckDueAt, OverdueSeconds: od.OverdueSeconds, ReportCount: od.ReportCount, ReportedAt: od.ReportedAt}
	if r.TicketID == "" {
		r.TicketID, r.TicketReference, r.Queue = od.TicketID, od.TicketReference, od.Queue
	}
	// One entry stands for the reports since the last status change.
	for i := len(r.History) - 1; i >= 0 && r.History[i].Kind != EntryStatus; i-- {
		if r.History[i].Kind == EntryOverdue {
			if r.History[i].At.After(od.ReportedAt) {
				return true // a later report is shown already
			}
			r.History = slices.Delete(r.History, i, i+1)
			break
		}
	}
	r.addHistory(Entry{At: od.ReportedAt, Kind: EntryOverdue, Status: r.Status, Seq: seq})
	return true
}

func (r *Record) noteReference(ref string) {
	if r.Reference == "" {
		r.Reference = ref
	}
}

func (r *Record) seen(seq uint64, at time.Time) {
	r.LastSeq = max(r.LastSeq, seq)
	if at.After(r.UpdatedAt) {
		r.UpdatedAt = at
	}
}

func (r *Record) hasSeq(seq uint64) bool {
	return seq != 0 && slices.ContainsFunc(r.History, func(e Entry) bool { return e.Seq == seq })
}

// addHistory inserts e in time order (status entries of equal time in
// sequence order) and keeps the history bounded.
func (r *Record) addHistory(e Entry) {
	i := len(r.History)
	for i > 0 && (r.History[i-1].At.After(e.At) ||
		r.History[i-1].At.Equal(e.At) && e.Kind == EntryStatus && r.History[i-1].Kind == EntryStatus && r.History[i-1].Sequence > e.Sequence) {
		i--
	}
	r.History = slices.Insert(r.History, i, e)
	if len(r.History) > maxHistory {
		r.History = append(r.History[:1], r.History[len(r.History)-maxHistory+1:]...)
	}
}

// expected is Open311's expected_datetime: Civil Defence's own estimate
// once it gives one, until then the catalogue's resolution target.
func (r *Record) expected(cat *contracts.Catalogue) *time.Time {
	if r.ExpectedResolutionAt != nil {
		return r.ExpectedResolutionAt
	}
	svc, ok := cat.Lookup(r.ServiceCode)
	if !ok || !svc.Ticketed() || svc.ResolveSLASeconds == 0 || r.RequestedAt.IsZero() || !r.Status.Open() {
		return nil
	}
	t := r.RequestedAt.Add(svc.ResolveSLA())
	return &t
}

// notes is Open311's status_notes: Civil Defence's public note, or what
// the status means.
func (r *Record) notes() contracts.Text {
	if r.PublicNote != nil {
		return *r.PublicNote
	}
	if t, ok := statusExplanations[r.Status]; ok {
		return t
	}
	return contracts.Text{}
}
