package contracts_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sharjah-handoff/handoff/contracts"
)

func TestValidExamplesPass(t *testing.T) {
	for _, ex := range validExamples(t) {
		t.Run(path.Base(ex.name), func(t *testing.T) {
			if err := contracts.Validate(ex.eventType, ex.payload); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestEveryEventTypeHasAValidExample(t *testing.T) {
	seen := map[string]bool{}
	for _, ex := range validExamples(t) {
		if !contracts.KnownEventType(ex.eventType) {
			t.Errorf("%s: example for unknown event type %q", ex.name, ex.eventType)
		}
		seen[ex.eventType] = true
	}
	for _, typ := range contracts.EventTypes {
		if !seen[typ] {
			t.Errorf("no valid example for %s", typ)
		}
	}
}

// Each invalid example breaks one rule, so the only problems reported must be
// at the expected pointer, and one of them must have the expected code.
func TestInvalidExamplesFailWhereExpected(t *testing.T) {
	cases := invalidExamples(t)
	if len(cases) < 12 {
		t.Fatalf("only %d invalid examples, want at least 12", len(cases))
	}
	for _, ex := range cases {
		t.Run(path.Base(ex.name), func(t *testing.T) {
			ps := problems(t, contracts.Validate(ex.EventType, ex.Payload))
			if !hasProblem(ps, ex.Pointer, ex.Code) {
				t.Fatalf("want %s at %q, got %+v", ex.Code, ex.Pointer, ps)
			}
			for _, p := range ps {
				if p.Pointer != ex.Pointer {
					t.Errorf("unexpected problem %+v: the example should break one rule only", p)
				}
				if p.Message.EN == "" || p.Message.AR == "" {
					t.Errorf("problem %+v lacks a bilingual message", p)
				}
			}
		})
	}
}

func TestSchemaFilesMatchEventTypes(t *testing.T) {
	names, err := fs.Glob(contracts.Files(), contracts.SchemaDir+"/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, typ := range contracts.EventTypes {
		want = append(want, contracts.SchemaPath(typ))
		var doc struct {
			ID     string `json:"$id"`
			Schema string `json:"$schema"`
		}
		if err := json.Unmarshal(readFile(t, contracts.SchemaPath(typ)), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.ID != contracts.SchemaURI(typ) || doc.Schema != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: $id %q, $schema %q", typ, doc.ID, doc.Schema)
		}
	}
	want = append(want, contracts.SchemaDir+"/common.json")
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("schema files %v, want %v", names, want)
	}
}

func TestSchemaURI(t *testing.T) {
	got := contracts.SchemaURI(contracts.TypeRequestSubmitted)
	if got != "https://schemas.handoff.sharjah.example/handoff.request.submitted.v1.json" {
		t.Errorf("SchemaURI = %q", got)
	}
	if got := contracts.SchemaURI("handoff.request.submitted.v9"); got != "" {
		t.Errorf("SchemaURI of an unknown type = %q, want empty", got)
	}
}

func TestValidateUnknownEventType(t *testing.T) {
	err := contracts.Validate("handoff.request.submitted.v9", []byte(`{}`))
	if !errors.Is(err, contracts.ErrUnknownEventType) {
		t.Fatalf("got %v, want ErrUnknownEventType", err)
	}
	var verr *contracts.ValidationError
	if errors.As(err, &verr) || errors.Is(err, contracts.ErrInvalidPayload) {
		t.Error("an unknown type is not an invalid payload")
	}
}

func TestValidateRejectsMalformedInput(t *testing.T) {
	cases := map[string]struct {
		payload []byte
		code    string
	}{
		"truncated":      {[]byte(`{"request_id": "0195`), contracts.CodeInvalidJSON},
		"trailing data":  {[]byte(`{} {}`), contracts.CodeInvalidJSON},
		"empty":          {nil, contracts.CodeInvalidJSON},
		"invalid utf-8":  {[]byte("{\"description\": \"\xff\xfe\"}"), contracts.CodeInvalidUTF8},
		"not an object":  {[]byte(`[1,2]`), "type"},
		"null payload":   {[]byte(`null`), "type"},
		"number payload": {[]byte(`42`), "type"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := contracts.Validate(contracts.TypeRequestSubmitted, tc.payload)
			if !errors.Is(err, contracts.ErrInvalidPayload) {
				t.Errorf("errors.Is(err, ErrInvalidPayload) = false for %v", err)
			}
			ps := problems(t, err)
			if len(ps) != 1 || ps[0].Pointer != "" || ps[0].Code != tc.code {
				t.Fatalf("want one %s problem at the root, got %+v", tc.code, ps)
			}
		})
	}
}

// A sender with many mistakes learns all of them at once, in a stable order,
// and each missing field is named by its own pointer.
func TestValidateReportsEveryLeafInOrder(t *testing.T) {
	payload := []byte(`{"request_id":"nope","reference":"CC-7K3M-Q9TX","channel":"fax","language":"ar",
		"submitted_at":"2026-02-03T09:14:27+04:00","location":{"area":"Al Nahda"}}`)
	ps := problems(t, contracts.Validate(contracts.TypeRequestSubmitted, payload))
	want := []struct{ pointer, code string }{
		{"/channel", "enum"},
		{"/location", "anyOf"},
		{"/request_id", "format"},
		{"/service_code", "required"},
	}
	if len(ps) != len(want) {
		t.Fatalf("got %d problems %+v, want %d", len(ps), ps, len(want))
	}
	for i, w := range want {
		if ps[i].Pointer != w.pointer || ps[i].Code != w.code {
			t.Errorf("problem %d = %s %s, want %s %s", i, ps[i].Pointer, ps[i].Code, w.pointer, w.code)
		}
	}
	again := problems(t, contracts.Validate(contracts.TypeRequestSubmitted, payload))
	if !slices.Equal(ps, again) {
		t.Error("the same payload gave problems in a different order")
	}
}

func TestValidationErrorSummarises(t *testing.T) {
	err := contracts.Validate(contracts.TypeRequestCancelled, []byte(`{}`))
	msg := err.Error()
	for _, want := range []string{contracts.TypeRequestCancelled, "3 problem", "/request_id required", "/reason_code required"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Error() = %q, lacks %q", msg, want)
		}
	}
}

// Errors are logged, and logs must never hold personal data: the message of
// a problem may quote the bad value, Error() must not.
func TestValidationErrorKeepsValuesOutOfItsText(t *testing.T) {
	payload := readFile(t, "examples/invalid/bad-phone.json")
	var ex invalidExample
	if err := json.Unmarshal(payload, &ex); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(ex.Payload, &doc); err != nil {
		t.Fatal(err)
	}
	doc["caller"].(map[string]any)["phone"] = "+971-50-BAD-NUMBER"
	doc["caller"].(map[string]any)["email"] = "mariam at example dot com"
	err := contracts.Validate(ex.EventType, mustJSON(t, doc))
	for _, secret := range []string{"BAD-NUMBER", "mariam at"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Error() leaks %q: %s", secret, err)
		}
	}
}

func TestPointersEscapeSpecialCharacters(t *testing.T) {
	payload := []byte(`{"request_id":"01951f3a-6c2e-7b41-9d3a-5f8e2c71a0b4","amended_at":"2026-02-03T10:05:00Z",
		"attributes":{"a/b~c":"x"}}`)
	ps := problems(t, contracts.Validate(contracts.TypeRequestAmended, payload))
	if !hasProblem(ps, "/attributes/a~1b~0c", "additionalProperties") {
		t.Fatalf("got %+v, want additionalProperties at /attributes/a~1b~0c", ps)
	}
}

func TestValidateValue(t *testing.T) {
	v := contracts.RequestCancelled{RequestID: "01951f40-1d07-7e22-a6c5-0b9d4e3f8a21", ReasonCode: contracts.ReasonCallerRequest}
	// CancelledAt is the zero time, which marshals as year 1: valid RFC 3339,
	// so the value passes; a bad reason code must not.
	if err := contracts.ValidateValue(contracts.TypeRequestCancelled, v); err != nil {
		t.Fatal(err)
	}
	v.ReasonCode = "changed_mind"
	ps := problems(t, contracts.ValidateValue(contracts.TypeRequestCancelled, v))
	if !hasProblem(ps, "/reason_code", "enum") {
		t.Fatalf("got %+v", ps)
	}
	if err := contracts.ValidateValue(contracts.TypeRequestCancelled, make(chan int)); err == nil ||
		errors.Is(err, contracts.ErrInvalidPayload) {
		t.Errorf("an unmarshalable value gave %v, want a marshal error", err)
	}
}

// The shared reason_code enum must list every Reason* constant, or the broker
// could not send a reason the Go side defines.
func TestReasonCodesAreInTheSchema(t *testing.T) {
	reasons := []string{
		contracts.ReasonEmergency, contracts.ReasonUnknownService, contracts.ReasonInactiveService,
		contracts.ReasonInvalidAttributes, contracts.ReasonMissingLocation, contracts.ReasonContractViolation,
		contracts.ReasonOutOfJurisdiction, contracts.ReasonDuplicate, contracts.ReasonInsufficientInfo,
		contracts.ReasonNotCDService, contracts.ReasonCallerRequest, contracts.ReasonResolvedElsewhere,
		contracts.ReasonIllegalTransition, contracts.ReasonUnknownTicket, contracts.ReasonHandoffFinished,
		contracts.ReasonOther, contracts.ReasonVersionGap, contracts.ReasonUnsupportedVersion,
	}
	var common struct {
		Defs map[string]struct {
			Enum []string `json:"enum"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(readFile(t, "schemas/common.json"), &common); err != nil {
		t.Fatal(err)
	}
	got := common.Defs["reason_code"].Enum
	slices.Sort(got)
	slices.Sort(reasons)
	if !slices.Equal(got, reasons) {
		t.Errorf("reason_code enum %v, Go constants %v", got, reasons)
	}
	statuses := common.Defs["status"].Enum
	for _, s := range statuses {
		if !contracts.Status(s).Open() && !contracts.Status(s).Finished() {
			t.Errorf("status %q is neither open nor finished", s)
		}
	}
	if len(statuses) != 9 {
		t.Errorf("status enum has %d codes, want the 9 common codes", len(statuses))
	}
}

// jsonschema v6.0.3 gives propertyNames failures an instance location that a
// later sibling overwrites, so a problem would point at the wrong field. The
// schemas use patternProperties with additionalProperties:false instead; this
// keeps it that way.
func TestSchemasAvoidPropertyNames(t *testing.T) {
	names, _ := fs.Glob(contracts.Files(), contracts.SchemaDir+"/*.json")
	for _, name := range append(names, contracts.CatalogueSchemaFile) {
		if strings.Contains(string(readFile(t, name)), `"propertyNames"`) {
			t.Errorf("%s uses propertyNames", name)
		}
	}
}

// Services validate on many goroutines at once; the compiled schemas are
// shared, so the race detector must find nothing here.
func TestValidateConcurrently(t *testing.T) {
	examples, invalid := validExamples(t), invalidExamples(t)
	var wg sync.WaitGroup
	errs := make(chan error, (len(examples)+len(invalid))*4)
	for range 4 {
		for _, ex := range examples {
			wg.Go(func() { errs <- contracts.Validate(ex.eventType, ex.payload) })
		}
		for _, ex := range invalid {
			wg.Go(func() {
				if contracts.Validate(ex.EventType, ex.Payload) == nil {
					errs <- errors.New(ex.name + " passed")
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	payload := readFile(b, "examples/valid/handoff.ticket.opened.v1.json")
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if err := contracts.Validate(contracts.TypeTicketOpened, payload); err != nil {
			b.Fatal(err)
		}
	}
}

// Problems go back to the sender inside handoff.request.rejected.v1, so even
// a hostile payload must yield problems that fit that schema.
func TestProblemsOfHostilePayloadsArePublishable(t *testing.T) {
	manyBad := map[string]any{}
	for i := range 64 {
		var items []any
		for j := range 64 {
			items = append(items, j)
		}
		manyBad[fmt.Sprintf("attr_%02d", i)] = items
	}
	hugeKey := strings.Repeat("~/x", 2000)
	cases := map[string]struct {
		eventType string
		doc       map[string]any
	}{
		"thousands of problems": {contracts.TypeRequestSubmitted, map[string]any{"attributes": manyBad}},
		"long values": {contracts.TypeRequestSubmitted, map[string]any{"reference": strings.Repeat("CC-", 5000),
			"request_id": strings.Repeat("z", 9000), "caller": map[string]any{"email": strings.Repeat("@", 5000)}}},
		"long property name": {contracts.TypeTicketStatus, map[string]any{"public_note": map[string]any{hugeKey: 1}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ps := problems(t, contracts.Validate(tc.eventType, mustJSON(t, tc.doc)))
			if len(ps) > contracts.MaxProblems {
				t.Fatalf("%d problems, want at most %d", len(ps), contracts.MaxProblems)
			}
			rej := contracts.RequestRejected{RequestID: "01951f60-3b18-7a4e-9e02-d5c8a1f7b346",
				ReasonCode: contracts.ReasonContractViolation, Problems: ps, RejectedAt: time.Now().UTC(),
				Notice: contracts.Text{AR: "تعذر قبول الطلب.", EN: "The request could not be accepted."}}
			if err := contracts.ValidateValue(contracts.TypeRequestRejected, rej); err != nil {
				t.Fatalf("the rejection carrying these problems is invalid: %.500v", err)
			}
		})
	}
	ps := problems(t, contracts.Validate(contracts.TypeRequestSubmitted, mustJSON(t, cases["thousands of problems"].doc)))
	if !hasProblem(ps, "", contracts.CodeTooManyProblems) {
		t.Error("a truncated list must say that problems were left out")
	}
}

func TestAlternativesAreExplained(t *testing.T) {
	ps := problems(t, contracts.Validate(contracts.TypeRequestSubmitted, []byte(`{"location":{"area":"Al Majaz"}}`)))
	for _, p := range ps {
		if p.Pointer == "/location" && p.Code == "anyOf" && strings.Contains(p.Message.EN, "address") {
			return
		}
	}
	t.Fatalf("no explained anyOf problem at /location in %+v", ps)
}
