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

// handleRequest routes the contact centre's request events.
func (b *Broker) handleRequest(ctx context.Context, d *events.Delivery) error {
	switch d.Type {
	case contracts.TypeRequestSubmitted:
		return b.submitted(ctx, d)
	case contracts.TypeRequestAmended:
		return b.amended(ctx, d)
	case contracts.TypeRequestCancelled:
		return b.cancelled(ctx, d)
	}
	return events.Permanent(events.ReasonUnknownType, fmt.Errorf("unexpected %s", d.Type))
}

// submitted turns a new request into a ticket. A request that already has
// a handoff — redelivered, re-sent with another message id, or sent again
// days later — only completes the handoff's outbox: never a second ticket.
func (b *Broker) submitted(ctx context.Context, d *events.Delivery) error {
	var req contracts.RequestSubmitted
	if err := json.Unmarshal(d.Data, &req); err != nil {
		return events.Permanent(events.ReasonSchema, err)
	}
	if err := onItsSubject(d, req.RequestID); err != nil {
		return err
	}
	h, err := b.route(&req, d)
	if err != nil {
		return events.Permanent(events.ReasonSchema, err)
	}
	rev, err := b.store.Create(ctx, h)
	if errors.Is(err, jetstream.ErrKeyExists) {
		// Submitted again, or another broker instance won the race: only
		// finish what the first one started.
		b.metrics.duplicates.Add(ctx, 1)
		_, err = b.change(ctx, req.RequestID, func(*Handoff) error { return errUnchanged })
		return err
	}
	if err != nil {
		return fmt.Errorf("create handoff %s: %w", req.RequestID, err)
	}
	if err := b.fault("after-create"); err != nil {
		return err
	}
	if h.Status == contracts.StatusQueued {
		b.metrics.tickets.Add(ctx, 1)
	} else {
		b.metrics.rejected.Add(ctx, 1)
	}
	return b.flush(ctx, h, rev)
}

// route decides the fate of a new request: a queued handoff with a ticket
// and the contact centre's "queued" status in its outbox, or a rejected one
// with the reasons.
func (b *Broker) route(req *contracts.RequestSubmitted, d *events.Delivery) (*Handoff, error) {
	now := b.cfg.Now().UTC()
	h := &Handoff{RequestID: req.RequestID, RequestReference: req.Reference, ServiceCode: req.ServiceCode,
		Status: contracts.StatusSubmitted, SubmittedAt: req.SubmittedAt, UpdatedAt: now}
	h.markSeen(d.ID)
	h.record(Entry{At: now, Event: d.Type, EventID: d.ID, Status: contracts.StatusSubmitted})
	svc, reason, problems := b.admit(req)
	if reason != "" {
		return h, b.reject(h, d.ID, reason, problems, svc.Notice)
	}
	tid := newTicketID()
	h.TicketID, h.TicketReference = tid, ticketReference(d.Sequence)
	h.Queue, h.Priority, h.OpenedAt = svc.Queue, svc.Priority, now
	ack, resolve := now.Add(svc.AckSLA()), now.Add(svc.ResolveSLA())
	h.AckDueAt, h.ResolveDueAt = &ack, &resolve
	opened := contracts.TicketOpened{TicketID: tid, TicketReference: h.TicketReference, RequestID: req.RequestID,
		RequestReference: req.Reference, Queue: svc.Queue, Priority: svc.Priority, OpenedAt: now,
		AckDueAt: ack, ResolveDueAt: resolve, Request: snapshot(req, svc)}
	if err := h.enqueue(eventID(req.RequestID, "ticket.opened"), contracts.TypeTicketOpened, []string{svc.Queue, tid}, d.ID, opened); err != nil {
		return nil, err
	}
	return h, b.setStatus(h, d.ID, contracts.StatusQueued, now, nil)
}

// admit checks the request against the catalogue. It returns the service
// and, when the request cannot be ticketed, a reason and the problems.
func (b *Broker) admit(req *contracts.RequestSubmitted) (contracts.Service, string, []contracts.Problem) {
	svc, ok := b.cfg.Catalogue.Lookup(req.ServiceCode)
	switch {
	case !ok:
		return svc, contracts.ReasonUnknownService, []contracts.Problem{{Pointer: "/service_code", Code: contracts.ReasonUnknownService,
			Message: contracts.Text{EN: "no service " + req.ServiceCode + " in the catalogue", AR: "لا توجد خدمة بالرمز " + req.ServiceCode + " في الدليل"}}}
	case svc.Emergency:
		return svc, contracts.ReasonEmergency, nil
	case !svc.Active:
		return svc, contracts.ReasonInactiveService, []contracts.Problem{{Pointer: "/service_code", Code: contracts.ReasonInactiveService,
			Message: contracts.Text{EN: svc.Name.EN + " is not offered at the moment", AR: "خدمة «" + svc.Name.AR + "» غير متاحة حالياً"}}}
	case !svc.Ticketed():
		return svc, contracts.ReasonNotCDService, nil
	}
	if ps := svc.CheckRequest(req.Attributes, req.Location); len(ps) > 0 {
		reason := contracts.ReasonInvalidAttributes
		if len(ps) == 1 && ps[0].Pointer == "/location" {
			reason = contracts.ReasonMissingLocation
		}
		return svc, reason, ps
	}
	return svc, "", nil
}

// reject records the rejection and puts the notice for the contact centre
// in the outbox.
func (b *Broker) reject(h *Handoff, cause, reason string, problems []contracts.Problem, notice *contracts.Text) error {
	now := b.cfg.Now().UTC()
	h.Status, h.ReasonCode = contracts.StatusRejected, reason
	n := rejectionNotice(reason, notice)
	h.PublicNote = &n
	h.record(Entry{At: now, Event: contracts.TypeRequestRejected, EventID: cause,
		Status: contracts.StatusRejected, ReasonCode: reason, Note: &n})
	rej := contracts.RequestRejected{RequestID: h.RequestID, RequestReference: h.RequestReference, ReasonCode: reason,
		Problems: problems, Notice: n, RejectedAt: now}
	return h.enqueue(eventID(h.RequestID, "rejected", cause), contracts.TypeRequestRejected, []string{h.RequestID}, cause, rej)
}

// setStatus moves the handoff to a new status and tells the contact centre.
func (b *Broker) setStatus(h *Handoff, cause string, s contracts.Status, at time.Time, ts *contracts.TicketStatus) error {
	h.leftQueue = h.Status == contracts.StatusQueued && s != contracts.StatusQueued
	h.Status = s
	h.Sequence++
	st := contracts.RequestStatus{RequestID: h.RequestID, RequestReference: h.RequestReference, Sequence: h.Sequence,
		Status: s, TicketID: h.TicketID, TicketReference: h.TicketReference, Queue: h.Queue, ChangedAt: at}
	e := Entry{At: at, Event: contracts.TypeRequestStatus, EventID: cause, Status: s}
	if s == contracts.StatusQueued {
		st.AckDueAt = h.AckDueAt
	}
	if ts != nil {
		h.CDStatusCode, h.ReasonCode, h.PublicNote, h.TicketVersion = ts.CDStatusCode, ts.ReasonCode, ts.PublicNote, ts.Version
		if ts.ExpectedResolutionAt != nil {
			h.ExpectedResolutionAt = ts.ExpectedResolutionAt
		}
		st.CDStatusCode, st.ReasonCode, st.PublicNote = ts.CDStatusCode, ts.ReasonCode, ts.PublicNote
		e.Version, e.CDStatusCode, e.Note, e.ReasonCode = ts.Version, ts.CDStatusCode, ts.PublicNote, ts.ReasonCode
	}
	if ts == nil && (s == contracts.StatusCancelled || s == contracts.StatusRejected) {
		st.ReasonCode, st.PublicNote = h.ReasonCode, h.PublicNote
		e.ReasonCode, e.Note = h.ReasonCode, h.PublicNote
	}
	st.ExpectedResolutionAt = h.ExpectedResolutionAt
	h.record(e)
	return h.enqueue(eventID(h.RequestID, "status", fmt.Sprint(h.Sequence)), contracts.TypeRequestStatus,
		[]string{h.RequestID}, cause, st)
}

func snapshot(req *contracts.RequestSubmitted, svc contracts.Service) contracts.RequestSnapshot {
	return contracts.RequestSnapshot{ServiceCode: req.ServiceCode, ServiceName: svc.Name, SubmittedAt: req.SubmittedAt,
		Channel: req.Channel, Language: req.Language, Description: req.Description, Attributes: req.Attributes,
		Location: req.Location, Caller: req.Caller, MediaURL: req.MediaURL}
}

// must panics on an error that only a programming mistake can cause
// (marshalling a contract struct); the consumer turns the panic into a
// retried, then dead-lettered, message.
func must(err error) {
	if err != nil {
		panic(err)
	}
}

// ticketReference derives a ticket's reference from the stream sequence of
// the request that opened it: unique by construction, since the first
// writer's sequence is kept. Multiplying by an odd constant modulo 2^40 is
// a bijection, so references stay unique while no longer counting up
// visibly from CD-0000-0001.
func ticketReference(seq uint64) string {
	const mask = 1<<40 - 1
	return contracts.Reference(contracts.TicketReferencePrefix, (seq*0x9E3779B97F)&mask)
}

// onItsSubject checks that an event travelled on the subject its payload
// names: a request filed under another request's id (or a status under
// another ticket's) would otherwise change the wrong handoff.
func onItsSubject(d *events.Delivery, id string) error {
	want, err := events.Subject(d.Type, id)
	if err != nil || want != d.NATSSubject {
		return events.Permanent(contracts.ReasonContractViolation,
			fmt.Errorf("payload names %s but travelled on %s", id, d.NATSSubject))
	}
	return nil
}
