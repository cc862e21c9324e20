package broker

import (
	"testing"

	"github.com/sharjah-handoff/handoff/contracts"
)

func TestStateMachine(t *testing.T) {
	allowed := [][2]contracts.Status{
		{"queued", "accepted"}, {"queued", "rejected"}, {"queued", "cancelled"},
		{"accepted", "in_progress"}, {"accepted", "info_requested"}, {"in_progress", "info_requested"},
		{"info_requested", "in_progress"}, {"in_progress", "resolved"}, {"resolved", "closed"}, {"resolved", "in_progress"},
	}
	for _, tr := range allowed {
		if !CanTransition(tr[0], tr[1]) {
			t.Errorf("%s → %s refused", tr[0], tr[1])
		}
	}
	refused := [][2]contracts.Status{
		{"queued", "resolved"}, {"queued", "in_progress"}, {"closed", "in_progress"}, {"cancelled", "accepted"},
		{"rejected", "accepted"}, {"resolved", "cancelled"}, {"closed", "closed"}, {"accepted", "queued"},
	}
	for _, tr := range refused {
		if CanTransition(tr[0], tr[1]) {
			t.Errorf("%s → %s allowed", tr[0], tr[1])
		}
	}
}

func TestTicketReferencesAreUniqueAndWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for seq := uint64(1); seq <= 200000; seq++ {
		r := ticketReference(seq)
		if seen[r] {
			t.Fatalf("reference %s repeats at sequence %d", r, seq)
		}
		seen[r] = true
	}
	if r := ticketReference(1); len(r) != 12 || r[:3] != "CD-" {
		t.Fatalf("reference %q", r)
	}
}

func TestHistoryStaysBounded(t *testing.T) {
	h := &Handoff{}
	note := &contracts.Text{AR: "ملاحظة", EN: "note"}
	for i := 0; i < 300; i++ {
		h.record(Entry{Event: contracts.TypeRequestStatus, Version: i, Note: note})
	}
	if len(h.History) != maxHistory || h.History[0].Version != 0 || h.History[maxHistory-1].Version != 299 {
		t.Fatalf("history: %d entries, first v%d, last v%d", len(h.History), h.History[0].Version, h.History[len(h.History)-1].Version)
	}
	for _, e := range h.History {
		if e.Note != nil {
			t.Fatal("a status note was kept in the history")
		}
	}
}
