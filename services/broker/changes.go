package broker

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"

	"github.com/google/uuid"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
)

func newTicketID() string { return uuid.Must(uuid.NewV7()).String() }

// waitForHandoff turns "no handoff yet" into a retry: an amendment or
// cancellation may be consumed before the submission it follows.
func (b *Broker) waitForHandoff(err error) error {
	if errors.Is(err, ErrNotFound) {
		return events.RetryAfter(b.cfg.GapWait, err)
	}
	return err
}

// amended forwards the caller's amendment to the ticket while the handoff
// is not finished, and refuses it once it is.
func (b *Broker) amended(ctx context.Context, d *events.Delivery) error {
	var am contracts.RequestAmended
	if err := json.Unmarshal(d.Data, &am); err != nil {
		return events.Permanent(events.ReasonSchema, err)
	}
	if err := onItsSubject(d, am.RequestID); err != nil {
		return err
	}
	_, err := b.change(ctx, am.RequestID, func(h *Handoff) error {
		if h.seen(d.ID) {
			return errUnchanged
		}
		h.markSeen(d.ID)
		now := b.cfg.Now().UTC()
		if h.Status.Finished() || h.TicketID == "" {
			b.refuseChange(h, d)
			return nil
		}
		h.record(Entry{At: now, Event: d.Type, EventID: d.ID, Status: h.Status})
		ta := contracts.TicketAmended{TicketID: h.TicketID, RequestID: h.RequestID, Queue: h.Queue, AmendedAt: am.AmendedAt,
			Description: am.Description, Attributes: am.Attributes, Location: am.Location, Note: am.Note}
		return h.enqueue(eventID(h.RequestID, "ticket.amended", d.ID), contracts.TypeTicketAmended,
			[]string{h.Queue, h.TicketID}, d.ID, ta)
	})
	return b.waitForHandoff(err)
}

// cancelled withdraws the ticket and tells the contact centre, unless the
// handoff is already finished.
func (b *Broker) cancelled(ctx context.Context, d *events.Delivery) error {
	var c contracts.RequestCancelled
	if err := json.Unmarshal(d.Data, &c); err != nil {
		return events.Permanent(events.ReasonSchema, err)
	}
	if err := onItsSubject(d, c.RequestID); err != nil {
		return err
	}
	_, err := b.change(ctx, c.RequestID, func(h *Handoff) error {
		if h.seen(d.ID) {
			return errUnchanged
		}
		h.markSeen(d.ID)
		now := b.cfg.Now().UTC()
		if h.TicketID == "" || !CanTransition(h.Status, contracts.StatusCancelled) {
			b.refuseChange(h, d)
			return nil
		}
		tc := contracts.TicketCancelled{TicketID: h.TicketID, RequestID: h.RequestID, Queue: h.Queue,
			CancelledAt: c.CancelledAt, ReasonCode: c.ReasonCode, Note: c.Note}
		if err := h.enqueue(eventID(h.RequestID, "ticket.cancelled", d.ID), contracts.TypeTicketCancelled,
			[]string{h.Queue, h.TicketID}, d.ID, tc); err != nil {
			return err
		}
		h.CDStatusCode, h.ReasonCode = "", c.ReasonCode
		note := cancelledNote()
		h.PublicNote = &note
		return b.setStatus(h, d.ID, contracts.StatusCancelled, now, nil)
	})
	return b.waitForHandoff(err)
}

// refuseChange tells the contact centre that an amendment or cancellation
// came too late. The handoff's own status does not change.
func (b *Broker) refuseChange(h *Handoff, d *events.Delivery) {
	notice := finishedNotice(h.Status)
	h.record(Entry{At: b.cfg.Now().UTC(), Event: d.Type, EventID: d.ID, Status: h.Status,
		ReasonCode: contracts.ReasonHandoffFinished, Note: &notice})
	rej := contracts.RequestRejected{RequestID: h.RequestID, RequestReference: h.RequestReference,
		ReasonCode: contracts.ReasonHandoffFinished, Notice: notice, RejectedAt: b.cfg.Now().UTC(),
		Problems: []contracts.Problem{{Pointer: "", Code: contracts.ReasonHandoffFinished, Message: notice}}}
	must(h.enqueue(eventID(h.RequestID, "refused", d.ID), contracts.TypeRequestRejected, []string{h.RequestID}, d.ID, rej))
	b.metrics.refused.Add(context.Background(), 1)
}

// onReject is called for every dead-lettered inbound event. A request that
// broke the contract is answered with handoff.request.rejected.v1, so that
// the contact centre is never left waiting.
func (b *Broker) onReject(ctx context.Context, d *events.Delivery, reason string, cause error) {
	if d.Stream != events.StreamCCRequests || d.Type != contracts.TypeRequestSubmitted {
		return
	}
	var probe struct {
		RequestID string `json:"request_id"`
		Reference string `json:"reference"`
	}
	_ = json.Unmarshal(d.Data, &probe)
	if _, err := uuid.Parse(probe.RequestID); err != nil || events.CheckToken(probe.RequestID) != nil {
		b.log.Warn("cannot tell the contact centre: no usable request id", "event_id", d.ID, "reason", reason)
		return
	}
	if !referencePattern.MatchString(probe.Reference) {
		probe.Reference = ""
	}
	var problems []contracts.Problem
	var ve *contracts.ValidationError
	if errors.As(cause, &ve) {
		problems = ve.Problems
	}
	notice := rejectionNotice(contracts.ReasonContractViolation, nil)
	rej := contracts.RequestRejected{RequestID: probe.RequestID, RequestReference: probe.Reference,
		ReasonCode: contracts.ReasonContractViolation, Problems: problems, Notice: notice, RejectedAt: b.cfg.Now().UTC()}
	if _, err := b.pub.Publish(ctx, events.Outgoing{Type: contracts.TypeRequestRejected, Tokens: []string{probe.RequestID},
		ID: eventID(probe.RequestID, "rejected", d.ID), Subject: probe.RequestID, CorrelationID: probe.RequestID,
		CausationID: d.ID, Payload: rej}); err != nil {
		b.log.Error("tell contact centre of rejection", "event_id", d.ID, "err", err)
	}
	b.metrics.rejected.Add(ctx, 1)
}

var referencePattern = regexp.MustCompile(`^CC-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`)
