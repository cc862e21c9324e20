package broker

import "github.com/sharjah-handoff/handoff/contracts"

// transitions is the state machine of DESIGN.md. Civil Defence moves a
// ticket from queued onwards; the contact centre may only cancel.
var transitions = map[contracts.Status][]contracts.Status{
	contracts.StatusSubmitted:     {contracts.StatusQueued, contracts.StatusRejected},
	contracts.StatusQueued:        {contracts.StatusAccepted, contracts.StatusRejected, contracts.StatusCancelled},
	contracts.StatusAccepted:      {contracts.StatusInProgress, contracts.StatusInfoRequested, contracts.StatusRejected, contracts.StatusCancelled},
	contracts.StatusInProgress:    {contracts.StatusInfoRequested, contracts.StatusResolved, contracts.StatusCancelled},
	contracts.StatusInfoRequested: {contracts.StatusInProgress, contracts.StatusCancelled},
	contracts.StatusResolved:      {contracts.StatusClosed, contracts.StatusInProgress},
}

// CanTransition reports whether a handoff may move from one common status
// to another.
func CanTransition(from, to contracts.Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}
