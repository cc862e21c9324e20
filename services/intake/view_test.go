package intake_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/internal/natstest"
)

func TestViewAppliesStatusesBySequence(t *testing.T) {
	h := newHarness(t)
	c := h.submit(hazardForm())
	h.ccStatus(c.ID, c.Reference, 3, contracts.StatusInProgress, &contracts.Text{EN: "Inspector on the way.", AR: "المفتش في الطريق."})
	h.waitStatus(c.ID, contracts.StatusInProgress)
	// Older sequences arrive late: they join the history, not the status.
	h.ccStatus(c.ID, c.Reference, 1, contracts.StatusQueued, nil)
	h.ccStatus(c.ID, c.Reference, 2, contracts.StatusAccepted, nil)
	var r requestJSON
	natstest.Eventually(t, func() error {
		if r = h.request(c.ID, ""); len(r.History) != 4 {
			return fmt.Errorf("history has %d entries", len(r.History))
		}
		return nil
	})
	if r.StatusCode != "in_progress" || *r.StatusNotes != "Inspector on the way." {
		t.Fatalf("a late, older status replaced a newer one: %+v", r)
	}
	var order []string
	for _, e := range r.History {
		order = append(order, e.StatusCode)
	}
	if fmt.Sprint(order) != "[submitted queued accepted in_progress]" {
		t.Fatalf("history order %v", order)
	}
	// A repeated sequence changes nothing.
	h.ccStatus(c.ID, c.Reference, 3, contracts.StatusInProgress, nil)
	h.ccStatus(c.ID, c.Reference, 4, contracts.StatusResolved, &contracts.Text{EN: "Fixed.", AR: "تم الإصلاح."})
	r = h.waitStatus(c.ID, contracts.StatusResolved)
	if len(r.History) != 5 {
		t.Fatalf("a repeated status was recorded twice: %+v", r.History)
	}
}

func TestViewRecordsRejectionAndOverdue(t *testing.T) {
	h := newHarness(t)
	c := h.submit(hazardForm())
	h.ccStatus(c.ID, c.Reference, 1, contracts.StatusQueued, nil)
	h.waitStatus(c.ID, contracts.StatusQueued)
	due := time.Now().Add(-time.Hour).UTC()
	for n := 1; n <= 3; n++ {
		h.ccUpdate(contracts.TypeRequestOverdue, c.ID, contracts.RequestOverdue{RequestID: c.ID, RequestReference: c.Reference,
			TicketID: c.ID, TicketReference: "CD-0000-00A1", Queue: "complaints", AckDueAt: due, OverdueSeconds: int64(3600 * n),
			ReportCount: n, ReportedAt: h.clock.Add(time.Duration(10+n) * time.Second)})
	}
	natstest.Eventually(t, func() error {
		r := h.request(c.ID, "")
		if n := len(r.History); n != 3 || r.History[2].Event != "overdue" {
			return fmt.Errorf("history %+v", r.History)
		}
		return nil
	})

	other := h.submit(hazardForm())
	notice := contracts.Text{EN: "A location is required for this service.", AR: "يلزم تحديد الموقع لهذه الخدمة."}
	h.ccUpdate(contracts.TypeRequestRejected, other.ID, contracts.RequestRejected{RequestID: other.ID, RequestReference: other.Reference,
		ReasonCode: contracts.ReasonMissingLocation, Notice: notice, RejectedAt: time.Now().UTC()})
	r := h.waitStatus(other.ID, contracts.StatusRejected)
	if r.Status != "closed" || *r.StatusNotes != notice.EN {
		t.Fatalf("rejected request = %+v", r)
	}
	// A refused amendment is history; the status stays.
	h.ccStatus(c.ID, c.Reference, 2, contracts.StatusClosed, nil)
	h.waitStatus(c.ID, contracts.StatusClosed)
	h.ccUpdate(contracts.TypeRequestRejected, c.ID, contracts.RequestRejected{RequestID: c.ID, RequestReference: c.Reference,
		ReasonCode: contracts.ReasonHandoffFinished, Notice: contracts.Text{EN: "too late", AR: "متأخر"}, RejectedAt: h.clock.Add(time.Minute)})
	natstest.Eventually(t, func() error {
		r := h.request(c.ID, "")
		if r.History[len(r.History)-1].Event != "rejected" {
			return fmt.Errorf("refusal not recorded")
		}
		if r.StatusCode != "closed" {
			return fmt.Errorf("a refused amendment changed the status to %s", r.StatusCode)
		}
		return nil
	})
}

func TestViewFindsRequestsMadeElsewhereAndSurvivesRestart(t *testing.T) {
	h := newHarness(t)
	c := h.submit(hazardForm())
	// A request the contact centre's CRM published itself: the view learns
	// it from its status and finds it by reference.
	rid := v7At(time.Now())
	h.ccStatus(rid, "CC-0000-0CRM", 1, contracts.StatusQueued, nil)
	h.waitStatus("CC-0000-0CRM", contracts.StatusQueued)

	h.stop()
	h2 := startIntake(t, h.s)
	h2.ccStatus(c.ID, c.Reference, 1, contracts.StatusQueued, nil)
	r := h2.waitStatus(c.ID, contracts.StatusQueued)
	if *r.Description != "Fire exit blocked by boxes" || len(r.History) != 2 {
		t.Fatalf("after restart: %+v", r)
	}
	if h2.request("CC-0000-0CRM", "").ID != rid {
		t.Fatal("reference index lost")
	}
}
