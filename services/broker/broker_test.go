package broker_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/internal/natstest"
	"github.com/sharjah-handoff/handoff/services/broker"
)

func TestRequestBecomesTicketAndStatusesTravelBack(t *testing.T) {
	h := newHarness(t)
	b, _ := h.startBroker(nil)
	req := inspection()
	h.submit(req, "")

	opened := h.waitTicket(req.RequestID)
	if opened.Queue != "inspections" || opened.Priority != "normal" || opened.RequestReference != req.Reference {
		t.Fatalf("ticket routed wrong: %+v", opened)
	}
	if opened.Request.Description != req.Description || opened.Request.Attributes["building_type"] != "warehouse" ||
		opened.Request.Caller == nil || opened.Request.ServiceName.AR == "" {
		t.Fatalf("snapshot incomplete: %+v", opened.Request)
	}
	if got := opened.AckDueAt.Sub(opened.OpenedAt); got != 4*time.Hour {
		t.Fatalf("ack SLA %s, want the catalogue's 4h", got)
	}
	subj := h.ticketEvents("cd.ticket.inspections." + opened.TicketID + ".opened")
	if len(subj) != 1 {
		t.Fatalf("ticket not on the inspections queue subject")
	}
	st := h.waitStatuses(req.RequestID, 1)
	if st[0].Status != contracts.StatusQueued || st[0].TicketReference != opened.TicketReference || st[0].AckDueAt == nil {
		t.Fatalf("queued status: %+v", st[0])
	}

	tid, rid := opened.TicketID, req.RequestID
	h.status(tid, rid, 1, contracts.StatusAccepted)
	h.status(tid, rid, 2, contracts.StatusInProgress)
	h.status(tid, rid, 3, contracts.StatusInfoRequested)
	h.waitStatuses(rid, 4)
	h.publish(h.cc, contracts.TypeRequestAmended, "", []string{rid}, rid, contracts.RequestAmended{
		RequestID: rid, AmendedAt: time.Now().UTC(), Note: "the warehouse has a mezzanine", Attributes: contracts.Attributes{"floors": 3}})
	natstest.Eventually(t, func() error {
		if n := len(h.ticketEvents("cd.ticket.inspections." + tid + ".amended")); n != 1 {
			return fmt.Errorf("%d amendments on the ticket", n)
		}
		return nil
	})
	h.status(tid, rid, 4, contracts.StatusInProgress)
	h.status(tid, rid, 5, contracts.StatusResolved)
	h.status(tid, rid, 6, contracts.StatusClosed)
	st = h.waitStatuses(rid, 7)

	want := []contracts.Status{"queued", "accepted", "in_progress", "info_requested", "in_progress", "resolved", "closed"}
	if !reflect.DeepEqual(statusList(st), want) {
		t.Fatalf("statuses at the contact centre: %v, want %v", statusList(st), want)
	}
	for i, s := range st {
		if s.Sequence != i+1 {
			t.Fatalf("status %d has sequence %d", i, s.Sequence)
		}
	}
	if st[5].PublicNote == nil || st[5].PublicNote.AR == "" || st[5].PublicNote.EN == "" || st[5].CDStatusCode != "CD_resolved" {
		t.Fatalf("resolved status lacks the bilingual note or CD code: %+v", st[5])
	}
	rec, err := b.Store().Find(context.Background(), opened.TicketReference)
	if err != nil || rec.Status != contracts.StatusClosed || rec.TicketVersion != 6 || len(rec.Outbox) != 0 {
		t.Fatalf("record by ticket reference: %+v, %v", rec, err)
	}
	if byRef, err := b.Store().Find(context.Background(), strings.ToLower(req.Reference)); err != nil || byRef.RequestID != rid {
		t.Fatalf("lookup by request reference: %v", err)
	}
}

func TestSameRequestSubmittedAgainMakesOneTicket(t *testing.T) {
	h := newHarness(t)
	h.startBroker(nil)
	req := inspection()
	h.submit(req, "msg-1-"+req.RequestID)
	h.submit(req, "msg-1-"+req.RequestID) // a retry: dropped by the duplicate window
	h.waitStatuses(req.RequestID, 1)
	h.submit(req, "msg-2-"+req.RequestID) // re-sent later with a new message id
	natstest.Eventually(t, func() error {
		if n := len(natstest.StreamMessages(t, h.s, "CC_REQUESTS", "cc.request."+req.RequestID+".>")); n != 2 {
			return fmt.Errorf("%d stored requests", n)
		}
		return nil
	})
	// Let the broker consume the re-sent request: its consumer must have
	// nothing pending before we count.
	natstest.Eventually(t, func() error { return consumerIdle(h, "CC_REQUESTS", "broker-requests") })
	if n := len(h.ticketEvents("cd.ticket.*.*.opened")); n != 1 {
		t.Fatalf("%d tickets, want 1", n)
	}
	if st, _, _ := h.ccEvents(req.RequestID); len(st) != 1 {
		t.Fatalf("%d statuses, want one queued", len(st))
	}
}

func consumerIdle(h *harness, stream, durable string) error {
	c, err := h.js.Consumer(context.Background(), stream, durable)
	if err != nil {
		return err
	}
	info, err := c.Info(context.Background())
	if err != nil {
		return err
	}
	if info.NumPending != 0 || info.NumAckPending != 0 {
		return fmt.Errorf("%s: %d pending, %d unacked", durable, info.NumPending, info.NumAckPending)
	}
	return nil
}

func TestBrokerKilledMidHandoffCompletesOnRestart(t *testing.T) {
	for _, point := range []string{"after-create", "before-publish", "after-publish:" + contracts.TypeTicketOpened} {
		t.Run(point, func(t *testing.T) {
			h := newHarness(t)
			// The first broker has a connection of its own; at the fault
			// point it is cut, as if the process were killed: no ack, no
			// NAK, no further step.
			nc, js := natstest.Connect(t, h.s, "broker")
			var crashed atomic.Bool
			cfg := func(c *broker.Config) { c.AckWait = time.Second }
			h.runBroker(js, func(c *broker.Config) {
				cfg(c)
				c.Fault = func(p string) error {
					if p == point && crashed.CompareAndSwap(false, true) {
						nc.Close()
						return errors.New("killed at " + p)
					}
					return nil
				}
			}, true)
			req := inspection()
			h.submit(req, "")
			natstest.Eventually(t, func() error {
				if !crashed.Load() {
					return errors.New("fault not reached")
				}
				return nil
			})
			h.startBroker(cfg) // the restart
			h.waitStatuses(req.RequestID, 1)
			natstest.Eventually(t, func() error { return consumerIdle(h, "CC_REQUESTS", "broker-requests") })
			if n := len(h.ticketEvents("cd.ticket.*.*.opened")); n != 1 {
				t.Fatalf("%d tickets after restart, want 1", n)
			}
			if st, _, _ := h.ccEvents(req.RequestID); len(st) != 1 {
				t.Fatalf("%d statuses after restart, want one queued", len(st))
			}
		})
	}
}

func TestStatusUpdatesTwiceAndOutOfOrder(t *testing.T) {
	h := newHarness(t)
	b, _ := h.startBroker(nil)
	req, opened := h.handOff()
	tid, rid := opened.TicketID, req.RequestID

	mk := func(v int, s contracts.Status) contracts.TicketStatus {
		return contracts.TicketStatus{TicketID: tid, Version: v, Status: s, CDStatusCode: "X", ChangedAt: time.Now().UTC()}
	}
	v1, v2 := uuid.NewString(), uuid.NewString()
	// Version 2 first, then version 1 twice (same event id), then 2 again.
	h.publish(h.cd, contracts.TypeTicketStatus, v2, []string{tid}, rid, mk(2, contracts.StatusInProgress))
	h.publish(h.cd, contracts.TypeTicketStatus, v1, []string{tid}, rid, mk(1, contracts.StatusAccepted))
	h.publish(h.cd, contracts.TypeTicketStatus, "again-"+v1, []string{tid}, rid, mk(1, contracts.StatusAccepted))
	h.publish(h.cd, contracts.TypeTicketStatus, "again-"+v2, []string{tid}, rid, mk(2, contracts.StatusInProgress))
	natstest.Eventually(t, func() error { return consumerIdle(h, "CD_UPDATES", "broker-updates") })
	st := h.waitStatuses(rid, 3)
	if want := []contracts.Status{"queued", "accepted", "in_progress"}; !reflect.DeepEqual(statusList(st), want) {
		t.Fatalf("statuses %v, want %v (each applied once, in version order)", statusList(st), want)
	}
	rec, _ := b.Store().Find(context.Background(), rid)
	if rec.TicketVersion != 2 || rec.Status != contracts.StatusInProgress {
		t.Fatalf("record: version %d status %s", rec.TicketVersion, rec.Status)
	}
	if n := h.counter("handoff.status.stale"); n != 2 {
		t.Fatalf("stale updates counted: %d, want 2", n)
	}
}

func TestIllegalTransitionsRefusedAndDeadLettered(t *testing.T) {
	h := newHarness(t)
	h.startBroker(nil)
	req, opened := h.handOff()
	tid, rid := opened.TicketID, req.RequestID

	bad := h.status(tid, rid, 1, contracts.StatusResolved) // queued → resolved
	natstest.Eventually(t, func() error {
		if len(h.ticketEvents("cd.ticket.inspections."+tid+".refused")) != 1 || len(h.deadLetters()) != 1 {
			return errors.New("not refused and dead-lettered yet")
		}
		return nil
	})
	ref := decode[contracts.TicketRefused](t, h.ticketEvents("cd.ticket.inspections." + tid + ".refused")[0].Data)
	if ref.RefusedEventID != bad || ref.CurrentStatus != contracts.StatusQueued || ref.ReasonCode != contracts.ReasonIllegalTransition {
		t.Fatalf("refusal: %+v", ref)
	}
	if dl := h.deadLetters()[0]; dl.Reason != contracts.ReasonIllegalTransition || dl.Headers["ce-id"][0] != bad {
		t.Fatalf("dead letter: %+v", dl)
	}
	// The refused version is free again: CD continues from it.
	for v, s := range []contracts.Status{"accepted", "in_progress", "resolved", "closed"} {
		h.status(tid, rid, v+1, s)
	}
	h.waitStatuses(rid, 5)
	h.status(tid, rid, 5, contracts.StatusInProgress) // closed → in_progress
	natstest.Eventually(t, func() error {
		if len(h.ticketEvents("cd.ticket.inspections."+tid+".refused")) != 2 || len(h.deadLetters()) != 2 {
			return errors.New("second refusal missing")
		}
		return nil
	})
	if st, _, _ := h.ccEvents(rid); st[len(st)-1].Status != contracts.StatusClosed || len(st) != 5 {
		t.Fatalf("contact centre saw %v", statusList(st))
	}
}

func TestRequestsThatCannotBeTicketed(t *testing.T) {
	h := newHarness(t)
	h.startBroker(nil)
	cases := []struct {
		name, reason, pointer string
		mutate                func(*contracts.RequestSubmitted)
	}{
		{"emergency", contracts.ReasonEmergency, "", func(r *contracts.RequestSubmitted) { r.ServiceCode = "emergency"; r.Attributes = nil }},
		{"unknown service", contracts.ReasonUnknownService, "/service_code", func(r *contracts.RequestSubmitted) { r.ServiceCode = "moon_landing" }},
		{"inactive service", contracts.ReasonInactiveService, "/service_code", func(r *contracts.RequestSubmitted) { r.ServiceCode = "fireworks_display_permit" }},
		{"missing attribute", contracts.ReasonInvalidAttributes, "/attributes/building_type", func(r *contracts.RequestSubmitted) { delete(r.Attributes, "building_type") }},
		{"wrong type", contracts.ReasonInvalidAttributes, "/attributes/floors", func(r *contracts.RequestSubmitted) { r.Attributes["floors"] = "two" }},
		{"value not in list", contracts.ReasonInvalidAttributes, "/attributes/building_type", func(r *contracts.RequestSubmitted) { r.Attributes["building_type"] = "castle" }},
		{"no location", contracts.ReasonMissingLocation, "/location", func(r *contracts.RequestSubmitted) { r.Location = nil }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := inspection()
			tc.mutate(&req)
			h.submit(req, "")
			var rej []contracts.RequestRejected
			natstest.Eventually(t, func() error {
				if _, rej, _ = h.ccEvents(req.RequestID); len(rej) != 1 {
					return errors.New("no rejection")
				}
				return nil
			})
			r := rej[0]
			if r.ReasonCode != tc.reason || r.Notice.AR == "" || r.Notice.EN == "" {
				t.Fatalf("rejection: %+v", r)
			}
			if tc.pointer != "" && (len(r.Problems) == 0 || r.Problems[0].Pointer != tc.pointer || r.Problems[0].Message.AR == "") {
				t.Fatalf("problems %+v, want the field %s named", r.Problems, tc.pointer)
			}
			if tc.reason == contracts.ReasonEmergency && !strings.Contains(r.Notice.EN, "997") {
				t.Fatalf("emergency notice does not say 997: %q", r.Notice.EN)
			}
		})
	}
	natstest.Eventually(t, func() error { return consumerIdle(h, "CC_REQUESTS", "broker-requests") })
	if n := len(h.ticketEvents("")); n != 0 {
		t.Fatalf("%d ticket events for requests that cannot be ticketed", n)
	}
}

func TestContractBreakingRequestIsDeadLetteredAndRejected(t *testing.T) {
	h := newHarness(t)
	h.startBroker(nil)
	req := inspection()
	_, js := natstest.Connect(t, h.s, "agent")
	// Sent around the publisher's own check, as a buggy client might.
	body := fmt.Sprintf(`{"request_id":%q,"reference":%q,"service_code":"fire_safety_inspection","submitted_at":"yesterday","channel":"phone","language":"ar"}`,
		req.RequestID, req.Reference)
	m := natsMsg("cc.request."+req.RequestID+".submitted", req.RequestID, body)
	if _, err := js.PublishMsg(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	var rej []contracts.RequestRejected
	natstest.Eventually(t, func() error {
		if _, rej, _ = h.ccEvents(req.RequestID); len(rej) != 1 || len(h.deadLetters()) != 1 {
			return errors.New("not yet")
		}
		return nil
	})
	if rej[0].ReasonCode != contracts.ReasonContractViolation || rej[0].Problems[0].Pointer != "/submitted_at" {
		t.Fatalf("rejection %+v", rej[0])
	}
}

func TestCancelAndAmendAfterFinish(t *testing.T) {
	h := newHarness(t)
	h.startBroker(nil)
	cancel := func(rid string) {
		h.publish(h.cc, contracts.TypeRequestCancelled, "", []string{rid}, rid, contracts.RequestCancelled{
			RequestID: rid, CancelledAt: time.Now().UTC(), ReasonCode: contracts.ReasonCallerRequest})
	}
	// Before acceptance.
	a := inspection()
	h.submit(a, "")
	ta := h.waitTicket(a.RequestID)
	cancel(a.RequestID)
	if st := h.waitStatuses(a.RequestID, 2); st[1].Status != contracts.StatusCancelled {
		t.Fatalf("statuses %v", statusList(st))
	}
	natstest.Eventually(t, func() error {
		if len(h.ticketEvents("cd.ticket.inspections."+ta.TicketID+".cancelled")) != 1 {
			return errors.New("ticket not cancelled")
		}
		return nil
	})
	// After acceptance.
	b := inspection()
	h.submit(b, "")
	tb := h.waitTicket(b.RequestID)
	h.status(tb.TicketID, b.RequestID, 1, contracts.StatusAccepted)
	h.waitStatuses(b.RequestID, 2)
	cancel(b.RequestID)
	if st := h.waitStatuses(b.RequestID, 3); st[2].Status != contracts.StatusCancelled {
		t.Fatalf("statuses %v", statusList(st))
	}
	// Amend after close is refused, and nothing reaches the ticket.
	c := inspection()
	h.submit(c, "")
	tc := h.waitTicket(c.RequestID)
	for v, s := range []contracts.Status{"accepted", "in_progress", "resolved", "closed"} {
		h.status(tc.TicketID, c.RequestID, v+1, s)
	}
	h.waitStatuses(c.RequestID, 5)
	h.publish(h.cc, contracts.TypeRequestAmended, "", []string{c.RequestID}, c.RequestID, contracts.RequestAmended{
		RequestID: c.RequestID, AmendedAt: time.Now().UTC(), Note: "one more thing"})
	cancel(c.RequestID)
	natstest.Eventually(t, func() error {
		if _, rej, _ := h.ccEvents(c.RequestID); len(rej) != 2 || rej[0].ReasonCode != contracts.ReasonHandoffFinished {
			return fmt.Errorf("refusals: %+v", rej)
		}
		return nil
	})
	if n := len(h.ticketEvents("cd.ticket.inspections." + tc.TicketID + ".amended")); n != 0 {
		t.Fatal("an amendment after close reached the ticket")
	}
	if st, _, _ := h.ccEvents(c.RequestID); st[len(st)-1].Status != contracts.StatusClosed {
		t.Fatal("a late cancellation changed a closed request")
	}
}

func TestWatchdogReportsUnacknowledgedUntilAccepted(t *testing.T) {
	h := newHarness(t)
	h.setAckSLA("fire_safety_inspection", 1)
	h.startBroker(func(c *broker.Config) { c.ReportEvery = 300 * time.Millisecond })
	req, opened := h.handOff()
	var od []contracts.RequestOverdue
	natstest.Eventually(t, func() error {
		if _, _, od = h.ccEvents(req.RequestID); len(od) < 2 {
			return fmt.Errorf("%d overdue reports", len(od))
		}
		return nil
	})
	if od[0].TicketReference != opened.TicketReference || od[0].ReportCount != 1 || od[1].ReportCount != 2 || od[0].OverdueSeconds < 0 {
		t.Fatalf("overdue reports: %+v", od)
	}
	h.status(opened.TicketID, req.RequestID, 1, contracts.StatusAccepted)
	h.waitStatuses(req.RequestID, 2)
	_, _, od = h.ccEvents(req.RequestID)
	after := len(od)
	// Watch for three more report periods: no further report may come.
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if _, _, od = h.ccEvents(req.RequestID); len(od) > after+1 {
			t.Fatalf("still reported after acceptance: %d reports", len(od))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A broker told to stop while it is still starting (SIGTERM during a
// deployment, say) stops cleanly: `handoff broker` exits 0, not 1.
func TestBrokerStoppedWhileStartingReturnsNil(t *testing.T) {
	h := newHarness(t)
	b, err := broker.New(context.Background(), h.js, broker.Config{Catalogue: h.cat})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Run(ctx); err != nil {
		t.Fatalf("Run stopped before it started: %v", err)
	}
}

// A watch left behind for a handoff that was acknowledged (as after a crash
// between acknowledgement and unwatching) is removed, never reported.
func TestWatchdogRemovesAStaleWatchInsteadOfReporting(t *testing.T) {
	h := newHarness(t)
	h.setAckSLA("fire_safety_inspection", 1)
	h.startBroker(func(c *broker.Config) { c.ReportEvery = 200 * time.Millisecond })
	req, opened := h.handOff()
	h.status(opened.TicketID, req.RequestID, 1, contracts.StatusAccepted)
	h.waitStatuses(req.RequestID, 2)

	_, admin := natstest.Connect(t, h.s, "broker-admin")
	sla, err := admin.KeyValue(context.Background(), "HANDOFF_SLA")
	if err != nil {
		t.Fatal(err)
	}
	stale := fmt.Sprintf(`{"request_id":%q,"request_reference":%q,"ticket_id":%q,"ticket_reference":%q,"queue":"inspections","ack_due_at":%q,"reports":0}`,
		req.RequestID, req.Reference, opened.TicketID, opened.TicketReference, time.Now().Add(-time.Minute).UTC().Format(time.RFC3339))
	if _, err := sla.Put(context.Background(), req.RequestID, []byte(stale)); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, func() error {
		if _, err := sla.Get(context.Background(), req.RequestID); err == nil {
			return fmt.Errorf("stale watch still there")
		}
		return nil
	})
	if _, _, od := h.ccEvents(req.RequestID); len(od) != 0 {
		t.Fatalf("an acknowledged handoff was reported overdue %d times", len(od))
	}
}

// An event whose payload names another request or ticket than its subject
// is refused as a contract violation and changes nothing.
func TestEventOnAnotherIDsSubjectIsRefused(t *testing.T) {
	h := newHarness(t)
	b, _ := h.startBroker(nil)
	req, opened := h.handOff()
	other := uuid.Must(uuid.NewV7()).String()
	h.publish(h.cd, contracts.TypeTicketStatus, "", []string{other}, req.RequestID, contracts.TicketStatus{
		TicketID: opened.TicketID, Version: 1, Status: contracts.StatusAccepted, CDStatusCode: "ACK", ChangedAt: time.Now().UTC()})
	misfiled := inspection()
	h.publish(h.cc, contracts.TypeRequestSubmitted, "", []string{other}, other, misfiled)
	natstest.Eventually(t, func() error {
		n := 0
		for _, dl := range h.deadLetters() {
			if dl.Reason == contracts.ReasonContractViolation {
				n++
			}
		}
		if n != 2 {
			return fmt.Errorf("%d contract violations dead-lettered", n)
		}
		return nil
	})
	if rec, _ := b.Store().Find(context.Background(), req.RequestID); rec.Status != contracts.StatusQueued {
		t.Fatalf("a status on another ticket's subject changed this one to %s", rec.Status)
	}
	if _, err := b.Store().Find(context.Background(), misfiled.RequestID); err == nil {
		t.Fatal("a request filed under another id was handed off")
	}
}
