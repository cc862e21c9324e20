package contracts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Sentinel errors. A *ValidationError matches ErrInvalidPayload with
// errors.Is, so a consumer can tell "this message can never succeed" from a
// transient failure without a type switch.
var (
	ErrUnknownEventType = errors.New("unknown event type")
	ErrInvalidPayload   = errors.New("invalid payload")
)

// Codes for problems found before schema validation can start.
const (
	CodeInvalidJSON = "invalid_json"
	CodeInvalidUTF8 = "invalid_utf8"
)

// ValidationError lists everything wrong with a payload. Problems are sorted
// by pointer, then code, so the same input always yields the same error.
type ValidationError struct {
	// EventType is the type the payload was checked against, or "catalogue".
	EventType string
	Problems  []Problem
}

// Error names the first problems by pointer and code only. It leaves out
// the messages on purpose: they may quote the offending value, a caller's
// phone number for instance, and errors end up in logs.
func (e *ValidationError) Error() string {
	const listed = 10
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem(s):", e.EventType, len(e.Problems))
	for i, p := range e.Problems {
		if i == listed {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-listed)
			break
		}
		if i > 0 {
			b.WriteByte(';')
		}
		ptr := p.Pointer
		if ptr == "" {
			ptr = "/"
		}
		fmt.Fprintf(&b, " %s %s", ptr, p.Code)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalidPayload) true for a *ValidationError.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidPayload }

// compiledSchemas holds every schema of the contract, compiled once. The
// embedded files never change, so compiling on first use and sharing the
// result is safe; sync.OnceValues keeps a compile error instead of panicking.
type compiledSchemas struct {
	events    map[string]*jsonschema.Schema
	catalogue *jsonschema.Schema
}

var loadSchemas = sync.OnceValues(compileSchemas)

func compileSchemas() (*compiledSchemas, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(offlineLoader{})
	names, err := fs.Glob(files, SchemaDir+"/*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range append(names, CatalogueSchemaFile) {
		if err := addResource(c, name); err != nil {
			return nil, err
		}
	}
	out := &compiledSchemas{events: make(map[string]*jsonschema.Schema, len(EventTypes))}
	for _, t := range EventTypes {
		if out.events[t], err = c.Compile(SchemaURI(t)); err != nil {
			return nil, fmt.Errorf("compile schema %s: %w", t, err)
		}
	}
	if out.catalogue, err = c.Compile(SchemaBaseURI + CatalogueSchemaFile); err != nil {
		return nil, fmt.Errorf("compile catalogue schema: %w", err)
	}
	return out, nil
}

func addResource(c *jsonschema.Compiler, name string) error {
	data, err := fs.ReadFile(files, name)
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("schema %s: %w", name, err)
	}
	return c.AddResource(SchemaBaseURI+path.Base(name), doc)
}

// offlineLoader refuses every URL: all schemas are added from the embedded
// files, so a reference that needs loading is a mistake in the contract, and
// validation must never reach for the network.
type offlineLoader struct{}

func (offlineLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("schema %s is not part of the contract", url)
}

// Validate checks payload against eventType's schema. It returns nil, a
// *ValidationError listing every problem, or an error wrapping
// ErrUnknownEventType.
func Validate(eventType string, payload []byte) error {
	schemas, err := loadSchemas()
	if err != nil {
		return err
	}
	sch, ok := schemas.events[eventType]
	if !ok {
		return fmt.Errorf("validate %q: %w", eventType, ErrUnknownEventType)
	}
	return validateAgainst(eventType, sch, payload)
}

// ValidateValue marshals v to JSON and validates the result, so a producer
// checks exactly the bytes it would send.
func ValidateValue(eventType string, v any) error {
	payload, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("validate %s: marshal: %w", eventType, err)
	}
	return Validate(eventType, payload)
}

func validateAgainst(name string, sch *jsonschema.Schema, payload []byte) error {
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD; the
	// contract says UTF-8, so say so instead of validating altered text.
	if !utf8.Valid(payload) {
		return singleProblem(name, CodeInvalidUTF8, "payload is not valid UTF-8")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	if err != nil {
		return singleProblem(name, CodeInvalidJSON, "payload is not valid JSON: "+err.Error())
	}
	err = sch.Validate(doc)
	var verr *jsonschema.ValidationError
	if errors.As(err, &verr) {
		return &ValidationError{EventType: name, Problems: tidy(flatten(verr, nil))}
	}
	return err
}

func singleProblem(name, code, en string) *ValidationError {
	return &ValidationError{EventType: name, Problems: []Problem{{
		Pointer: "", Code: code, Message: Text{EN: en, AR: arabicMessage(code, "")},
	}}}
}
