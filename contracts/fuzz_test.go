package contracts_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sharjah-handoff/handoff/contracts"
)

// FuzzValidate feeds arbitrary payloads to Validate. It must never panic,
// and its answer is either nil or a *ValidationError with sorted problems
// whose pointers are JSON pointers. The seed corpus is every example, so
// `go test` runs them as ordinary cases.
func FuzzValidate(f *testing.F) {
	for _, ex := range validExamples(f) {
		f.Add(ex.eventType, ex.payload)
	}
	for _, ex := range invalidExamples(f) {
		f.Add(ex.EventType, []byte(ex.Payload))
	}
	f.Add(contracts.TypeTicketStatus, []byte("{\"version\": 1e400, \"ticket_id\": \"\xff\"}"))
	f.Add(contracts.TypeRequestSubmitted, []byte(`{"attributes": {"": [[]], "a": {"b": null}}, "location": []}`))
	f.Fuzz(func(t *testing.T, eventType string, payload []byte) {
		err := contracts.Validate(eventType, payload)
		if err == nil {
			return
		}
		if !contracts.KnownEventType(eventType) {
			if !errors.Is(err, contracts.ErrUnknownEventType) {
				t.Fatalf("unknown type %q: %v", eventType, err)
			}
			return
		}
		var verr *contracts.ValidationError
		if !errors.As(err, &verr) || len(verr.Problems) == 0 {
			t.Fatalf("want *ValidationError with problems, got %T %v", err, err)
		}
		for i, p := range verr.Problems {
			if p.Pointer != "" && !strings.HasPrefix(p.Pointer, "/") || p.Code == "" {
				t.Fatalf("bad problem %+v", p)
			}
			if i > 0 && verr.Problems[i-1].Pointer > p.Pointer {
				t.Fatalf("problems not sorted: %+v", verr.Problems)
			}
		}
	})
}
