package civildefence_test

import (
	"testing"

	"github.com/sharjah-handoff/handoff/civildefence"
	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/services/broker"
)

// The client refuses locally exactly what the broker would refuse, for
// every status Civil Defence may send: otherwise an officer would either be
// stopped from a legal change or see a change refused after the fact.
func TestChangesAgreeWithTheBrokersStateMachine(t *testing.T) {
	// A ticket exists from queued on; submitted → rejected is the broker's own move.
	all := []contracts.Status{"queued", "accepted", "in_progress", "info_requested", "resolved", "closed", "rejected", "cancelled"}
	cd := []contracts.Status{"accepted", "in_progress", "info_requested", "resolved", "closed", "rejected"}
	for _, from := range all {
		for _, to := range cd {
			if got, want := civildefence.CanChange(from, to), broker.CanTransition(from, to); got != want {
				t.Errorf("%s → %s: client says %v, broker %v", from, to, got, want)
			}
		}
	}
}

func TestRefusalFreesTheVersion(t *testing.T) {
	tk := civildefence.Ticket{ID: "t1", Status: contracts.StatusResolved, Version: 5}
	if tk.Refuse(contracts.TicketRefused{TicketID: "t1", Version: 4}) {
		t.Fatal("a refusal of an older version took the ticket back")
	}
	if !tk.Refuse(contracts.TicketRefused{TicketID: "t1", Version: 5, Status: "resolved", CurrentStatus: "in_progress", CurrentVersion: 4}) {
		t.Fatal("refusal of the last change ignored")
	}
	if tk.Version != 4 || tk.Status != contracts.StatusInProgress {
		t.Fatalf("after refusal: %+v", tk)
	}
	u, err := tk.Next(contracts.StatusResolved)
	if err != nil || u.Version != 5 {
		t.Fatalf("next after refusal: %+v %v", u, err)
	}
}
