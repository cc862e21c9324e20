package backoffice

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sharjah-handoff/handoff/civildefence"
	"github.com/sharjah-handoff/handoff/contracts"
)

// Actions an officer may take on a ticket.
const (
	ActionAccept      = "accept"
	ActionReject      = "reject"
	ActionAssign      = "assign"
	ActionStart       = "start"
	ActionRequestInfo = "request-info"
	ActionResolve     = "resolve"
	ActionClose       = "close"
)

// statusAction is an action that changes the common status: one
// handoff.ticket.status.v1 event with the next version.
type statusAction struct {
	status contracts.Status
	// cdCode is Civil Defence's internal code sent unless the officer
	// gives another.
	cdCode   string
	needNote bool
}

var statusActions = map[string]statusAction{
	ActionAccept:      {contracts.StatusAccepted, "BO_ACKNOWLEDGED", false},
	ActionReject:      {contracts.StatusRejected, "BO_DECLINED", false},
	ActionStart:       {contracts.StatusInProgress, "BO_WORK_STARTED", false},
	ActionRequestInfo: {contracts.StatusInfoRequested, "BO_AWAITING_CALLER", true},
	ActionResolve:     {contracts.StatusResolved, "BO_RESOLVED", true},
	ActionClose:       {contracts.StatusClosed, "BO_CLOSED", false},
}

// actionOrder is the order actions are offered in.
var actionOrder = []string{ActionAccept, ActionStart, ActionRequestInfo, ActionResolve, ActionClose, ActionReject, ActionAssign}

// RejectReasons are the reason codes an officer may give for a rejection;
// the others belong to the broker or the caller.
var RejectReasons = []string{contracts.ReasonOutOfJurisdiction, contracts.ReasonDuplicate, contracts.ReasonInsufficientInfo,
	contracts.ReasonNotCDService, contracts.ReasonResolvedElsewhere, contracts.ReasonOther}

// ActionRequest is what an officer asks for. Only the fields of the action
// apply; ExpectedVersion, when given, makes the action fail with a
// conflict if the ticket's version has moved on since the officer looked.
type ActionRequest struct {
	Action               string          `json:"-"`
	ExpectedVersion      *int            `json:"expected_version,omitempty"`
	Note                 *contracts.Text `json:"note,omitempty"`
	ReasonCode           string          `json:"reason_code,omitempty"`
	CDStatusCode         string          `json:"cd_status_code,omitempty"`
	ExpectedResolutionAt *time.Time      `json:"expected_resolution_at,omitempty"`
	// Officer is whom to assign the ticket to (assign only).
	Officer string `json:"officer,omitempty"`
}

// Available lists the actions r allows now, in the order they are offered.
func Available(r *Record) []string {
	var out []string
	for _, a := range actionOrder {
		if a == ActionAssign {
			if !r.Status.Finished() {
				out = append(out, a)
			}
			continue
		}
		if civildefence.CanChange(r.Status, statusActions[a].status) {
			out = append(out, a)
		}
	}
	return out
}

// Act performs an officer's action on a ticket and returns the ticket as
// it stands afterwards. Errors are *ActionError.
func (s *Service) Act(ctx context.Context, by Officer, tid string, req ActionRequest) (*Record, error) {
	if err := checkRequest(req); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ActionTimeout)
	defer cancel()
	if !s.client.Connected() {
		// Fail at once: a write made now would wait in the reconnect
		// buffer and might land after the officer was told it failed.
		return nil, unavailable("nats_unavailable", errors.New("not connected to NATS"))
	}
	r, _, err := s.store.Get(ctx, tid)
	if errors.Is(err, ErrNotFound) || err == nil && !by.CanSee(r.Queue) {
		// Another queue's ticket is as good as absent: its existence is
		// not this officer's business.
		return nil, notFound(tid)
	}
	if err != nil {
		return nil, unavailable("store_unavailable", err)
	}
	if req.Action == ActionAssign {
		return s.assign(ctx, by, tid, req)
	}
	return s.changeStatus(ctx, by, tid, req)
}

func checkRequest(req ActionRequest) error {
	spec, isStatus := statusActions[req.Action]
	if !isStatus && req.Action != ActionAssign {
		return &ActionError{Kind: ErrInvalid, Code: "unknown_action",
			Message: text(fmt.Sprintf("no action %q", req.Action), fmt.Sprintf("لا يوجد إجراء باسم «%s»", req.Action))}
	}
	var ps []contracts.Problem
	if spec.needNote && (req.Note == nil || req.Note.AR == "" || req.Note.EN == "") {
		ps = append(ps, problem("/note", "required", "a note for the caller is required, in Arabic and English",
			"يلزم إدخال ملاحظة للمتصل باللغتين العربية والإنجليزية"))
	} else if req.Note != nil && (req.Note.AR == "") != (req.Note.EN == "") {
		ps = append(ps, problem("/note", "incomplete", "a note must be given in both Arabic and English",
			"يجب كتابة الملاحظة باللغتين العربية والإنجليزية"))
	}
	if req.Action == ActionReject && !slices.Contains(RejectReasons, req.ReasonCode) {
		ps = append(ps, problem("/reason_code", "invalid", fmt.Sprintf("reason_code must be one of %v", RejectReasons),
			"يجب اختيار سبب رفض من القائمة"))
	}
	if req.Action == ActionAssign && req.Officer == "" {
		ps = append(ps, problem("/officer", "required", "the officer to assign to is required", "يلزم تحديد الموظف"))
	}
	if len(ps) > 0 {
		return invalid(ps)
	}
	return nil
}

// changeStatus reserves the next version with compare-and-swap, publishes
// the event, and commits — or, if the event certainly did not go out,
// rolls the reservation back so that nothing changed.
func (s *Service) changeStatus(ctx context.Context, by Officer, tid string, req ActionRequest) (*Record, error) {
	p, err := s.reserve(ctx, by, tid, req)
	if err != nil {
		return nil, err
	}
	// The officer's connection may drop; the change must still end in a
	// commit or a rollback.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ActionTimeout)
	defer cancel()
	return s.complete(pctx, tid, p.EventID, true)
}

func (s *Service) reserve(ctx context.Context, by Officer, tid string, req ActionRequest) (*Pending, error) {
	spec := statusActions[req.Action]
	var p *Pending
	r, err := s.store.Change(ctx, tid, func(r *Record) error {
		if err := checkState(r, req); err != nil {
			return err
		}
		u, err := r.Next(spec.status)
		if err != nil {
			return conflict("illegal_transition", r, fmt.Sprintf("a ticket that is %s cannot be moved with %s", r.Status, req.Action),
				fmt.Sprintf("لا يمكن تنفيذ «%s» على تذكرة حالتها «%s»", actionNames[req.Action].AR, statusNames[r.Status].AR))
		}
		u.CDStatusCode, u.ReasonCode, u.PublicNote, u.OfficerID = spec.cdCode, req.ReasonCode, req.Note, by.ID
		u.ExpectedResolutionAt = req.ExpectedResolutionAt
		if req.CDStatusCode != "" {
			u.CDStatusCode = req.CDStatusCode
		}
		if u, err = u.Prepare(s.cfg.Now()); err != nil {
			return invalidUpdate(err)
		}
		p = &Pending{EventID: u.EventID, Action: req.Action, Officer: by.ID, Status: u.Payload(), ReservedAt: s.cfg.Now().UTC()}
		if req.Action == ActionAccept && r.Assignee == "" {
			p.Assignee = by.ID
		}
		r.Pending = p
		return nil
	})
	if err != nil {
		return nil, storeError(err, r)
	}
	return p, nil
}

// checkState refuses an action on a ticket whose state moved on: another
// change in flight, or a version other than the one the officer saw.
func checkState(r *Record, req ActionRequest) error {
	if r.Pending != nil {
		return conflict("change_in_progress", r, "another change of this ticket is being sent",
			"يجري إرسال تغيير آخر على هذه التذكرة")
	}
	if req.ExpectedVersion != nil && *req.ExpectedVersion != r.Version {
		return conflict("stale_version", r, fmt.Sprintf("the ticket is at version %d, not %d: it changed meanwhile", r.Version, *req.ExpectedVersion),
			"تغيّرت التذكرة في أثناء ذلك؛ راجع حالتها الحالية")
	}
	return nil
}

// complete sends a reserved change and commits it. rollback says whether a
// change that certainly did not go out may be taken back (an officer's
// action) or must be tried again later (the sweeper's retry of a change
// whose first send was unconfirmed).
func (s *Service) complete(ctx context.Context, tid, eventID string, rollback bool) (*Record, error) {
	r, _, err := s.store.Get(ctx, tid)
	if err != nil {
		return nil, unavailable("store_unavailable", err)
	}
	if r.Pending == nil || r.Pending.EventID != eventID {
		return r, nil // completed by someone else meanwhile
	}
	_, err = s.client.Report(ctx, r.Pending.update(r))
	switch {
	case err == nil:
		return s.commit(ctx, tid, eventID)
	case errors.Is(err, civildefence.ErrNotPublished) && rollback:
		s.log.Warn("status change not published, rolled back", "ticket", tid, "event_id", eventID, "err", err)
		if _, rerr := s.release(ctx, tid, eventID); rerr != nil {
			s.log.Error("roll back reservation", "ticket", tid, "event_id", eventID, "err", rerr)
		}
		return nil, unavailable("not_published", err)
	default:
		// The event may be stored: only the same event may follow, so the
		// reservation stays and the sweeper sends it again.
		s.log.Warn("status change unconfirmed, will be sent again", "ticket", tid, "event_id", eventID, "err", err)
		return nil, unavailable("unconfirmed", err)
	}
}

// commit makes a published change the ticket's state.
func (s *Service) commit(ctx context.Context, tid, eventID string) (*Record, error) {
	r, err := s.store.Change(ctx, tid, func(r *Record) error {
		if r.Pending == nil || r.Pending.EventID != eventID {
			return errUnchanged
		}
		s.apply(r, r.Pending)
		return nil
	})
	if err != nil {
		// Published but not recorded: the reservation stays and the
		// sweeper commits it (sending the same event again is harmless).
		return nil, unavailable("commit_failed", err)
	}
	return r, nil
}

func (s *Service) apply(r *Record, p *Pending) {
	u := p.update(r)
	at := s.cfg.Now().UTC()
	// A cancellation filed while the change was in flight stands: the
	// broker refuses the change, and its refusal gives the version back.
	cancelled := r.Status == contracts.StatusCancelled
	r.Apply(u)
	if cancelled {
		r.Status = contracts.StatusCancelled
	}
	r.CDStatusCode, r.ReasonCode, r.PublicNote = u.CDStatusCode, u.ReasonCode, u.PublicNote
	if u.ExpectedResolutionAt != nil {
		r.ExpectedResolutionAt = u.ExpectedResolutionAt
	}
	if r.AcknowledgedAt == nil {
		r.AcknowledgedAt = &at
	}
	if u.Status == contracts.StatusResolved {
		r.ResolvedAt = &at
	}
	if p.Assignee != "" && r.Assignee == "" {
		r.Assignee = p.Assignee
	}
	r.CallerReplied = false
	r.History = append(r.History, Entry{At: at, Kind: KindStatus, EventID: p.EventID, Status: u.Status, Version: u.Version,
		Officer: p.Officer, CDStatusCode: u.CDStatusCode, ReasonCode: u.ReasonCode, Note: u.PublicNote})
	r.Pending = nil
}

// release takes back a reservation whose event certainly did not go out.
func (s *Service) release(ctx context.Context, tid, eventID string) (*Record, error) {
	return s.store.Change(ctx, tid, func(r *Record) error {
		if r.Pending == nil || r.Pending.EventID != eventID {
			return errUnchanged
		}
		r.Pending = nil
		return nil
	})
}

// assign changes who works on a ticket. It is Civil Defence's own business:
// no status event is sent and the version does not change.
func (s *Service) assign(ctx context.Context, by Officer, tid string, req ActionRequest) (*Record, error) {
	r, err := s.store.Change(ctx, tid, func(r *Record) error {
		if req.ExpectedVersion != nil && *req.ExpectedVersion != r.Version {
			return checkState(r, req)
		}
		if r.Status.Finished() {
			return conflict("ticket_finished", r, "a finished ticket cannot be assigned", "لا يمكن إسناد تذكرة منتهية")
		}
		to, ok := s.cfg.Officers.Get(req.Officer)
		if !ok || !to.CanSee(r.Queue) {
			return invalid([]contracts.Problem{problem("/officer", "not_of_queue",
				fmt.Sprintf("%q is not an officer of queue %s", req.Officer, r.Queue), "الموظف المختار لا يعمل على هذه القائمة")})
		}
		if r.Assignee == to.ID {
			return errUnchanged
		}
		r.Assignee = to.ID
		r.History = append(r.History, Entry{At: s.cfg.Now().UTC(), Kind: KindAssigned, Officer: by.ID, Assignee: to.ID, Status: r.Status})
		return nil
	})
	if err != nil {
		return nil, storeError(err, r)
	}
	return r, nil
}

// sweep finishes reservations left behind: by a send that was not
// confirmed, or by a process that stopped between reserving and
// committing. It sends the same event again (the stream and the broker
// drop a repeat) until it is confirmed, then commits it.
func (s *Service) sweep(ctx context.Context) {
	now := s.cfg.Now()
	for _, r := range s.view.pending() {
		if now.Sub(r.Pending.ReservedAt) < s.cfg.PendingGrace {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, s.cfg.ActionTimeout)
		if _, err := s.complete(cctx, r.ID, r.Pending.EventID, false); err != nil {
			s.log.Warn("pending status change still not confirmed", "ticket", r.ID, "event_id", r.Pending.EventID, "err", err)
		} else {
			s.log.Info("pending status change completed", "ticket", r.ID, "event_id", r.Pending.EventID)
		}
		cancel()
	}
}
