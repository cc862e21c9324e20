package contracts_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"testing"

	"github.com/sharjah-handoff/handoff/contracts"
)

// validExample is one file of examples/valid: <event-type>[.N].json.
type validExample struct {
	name, eventType string
	payload         []byte
}

// invalidExample is one file of examples/invalid.
type invalidExample struct {
	name        string
	Description string          `json:"description"`
	EventType   string          `json:"event_type"`
	Pointer     string          `json:"pointer"`
	Code        string          `json:"code"`
	Payload     json.RawMessage `json:"payload"`
}

var exampleName = regexp.MustCompile(`^(.+\.v[0-9]+)(\.[0-9]+)?\.json$`)

func validExamples(t testing.TB) []validExample {
	t.Helper()
	names, err := fs.Glob(contracts.Files(), "examples/valid/*.json")
	if err != nil || len(names) == 0 {
		t.Fatalf("no valid examples (%v)", err)
	}
	var out []validExample
	for _, name := range names {
		m := exampleName.FindStringSubmatch(path.Base(name))
		if m == nil {
			t.Fatalf("%s: name is not <event-type>[.N].json", name)
		}
		out = append(out, validExample{name: name, eventType: m[1], payload: readFile(t, name)})
	}
	return out
}

func invalidExamples(t testing.TB) []invalidExample {
	t.Helper()
	names, err := fs.Glob(contracts.Files(), "examples/invalid/*.json")
	if err != nil || len(names) == 0 {
		t.Fatalf("no invalid examples (%v)", err)
	}
	var out []invalidExample
	for _, name := range names {
		var ex invalidExample
		if err := json.Unmarshal(readFile(t, name), &ex); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ex.name = name
		out = append(out, ex)
	}
	return out
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := fs.ReadFile(contracts.Files(), name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// problems returns the problems of err, failing the test if err is not a
// *contracts.ValidationError.
func problems(t *testing.T, err error) []contracts.Problem {
	t.Helper()
	var verr *contracts.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("want *ValidationError, got %T: %v", err, err)
	}
	return verr.Problems
}

func hasProblem(ps []contracts.Problem, pointer, code string) bool {
	for _, p := range ps {
		if p.Pointer == pointer && p.Code == code {
			return true
		}
	}
	return false
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
