package backoffice

import (
	"testing"
	"time"

	"github.com/sharjah-handoff/handoff/civildefence"
	"github.com/sharjah-handoff/handoff/contracts"
)

// The view keeps open tickets and recently finished ones; finished tickets
// older than finishedKept leave memory (they stay in the store).
func TestViewForgetsLongFinishedTickets(t *testing.T) {
	now := time.Now()
	v := newView()
	v.replace(map[string]*Record{
		"open-old":    {Ticket: civildefence.Ticket{ID: "open-old", Status: contracts.StatusAccepted}, UpdatedAt: now.Add(-90 * 24 * time.Hour)},
		"closed-new":  {Ticket: civildefence.Ticket{ID: "closed-new", Status: contracts.StatusClosed}, UpdatedAt: now.Add(-time.Hour)},
		"closed-old":  {Ticket: civildefence.Ticket{ID: "closed-old", Status: contracts.StatusClosed}, UpdatedAt: now.Add(-31 * 24 * time.Hour)},
		"rejected-ol": {Ticket: civildefence.Ticket{ID: "rejected-ol", Status: contracts.StatusRejected}, UpdatedAt: now.Add(-60 * 24 * time.Hour)},
	})
	v.prune(now)
	v.mu.RLock()
	defer v.mu.RUnlock()
	if len(v.tickets) != 2 || v.tickets["open-old"] == nil || v.tickets["closed-new"] == nil {
		t.Fatalf("view kept %v", keys(v.tickets))
	}
}

func keys(m map[string]*Record) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
