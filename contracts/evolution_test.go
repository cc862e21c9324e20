package contracts_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/sharjah-handoff/handoff/contracts"
)

// These tests show the rules of EVOLUTION.md with real payloads.

// A newer v1 producer may add optional fields, at the top level and in nested
// objects; an older consumer still validates the payload and decodes what it
// knows, ignoring the rest.
func TestEvolutionConsumersIgnoreAdditiveFields(t *testing.T) {
	base := readFile(t, "examples/valid/handoff.request.submitted.v1.json")
	var doc map[string]any
	if err := json.Unmarshal(base, &doc); err != nil {
		t.Fatal(err)
	}
	doc["urgency_hint"] = "caller sounded worried"
	doc["location"].(map[string]any)["makani"] = "3086 57432"
	doc["caller"].(map[string]any)["preferred_contact_time"] = "after 16:00"
	newer := mustJSON(t, doc)

	if err := contracts.Validate(contracts.TypeRequestSubmitted, newer); err != nil {
		t.Fatalf("a v1 payload with additive fields must validate: %v", err)
	}
	var fromNewer, fromBase contracts.RequestSubmitted
	if err := json.Unmarshal(newer, &fromNewer); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(base, &fromBase); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromNewer, fromBase) {
		t.Error("unknown fields changed what a v1 consumer decodes")
	}
}

// Removing a required field, or changing a field's type, is not additive:
// a v1 consumer refuses it, which is why it needs a v2.
func TestEvolutionBreakingChangesFail(t *testing.T) {
	base := readFile(t, "examples/valid/handoff.ticket.status.v1.json")
	breaking := map[string]struct {
		change  func(map[string]any)
		pointer string
		code    string
	}{
		"removed required field": {func(d map[string]any) { delete(d, "cd_status_code") }, "/cd_status_code", "required"},
		"renamed field": {func(d map[string]any) { d["changed_on"] = d["changed_at"]; delete(d, "changed_at") },
			"/changed_at", "required"},
		"changed type":         {func(d map[string]any) { d["version"] = "2" }, "/version", "type"},
		"new status value":     {func(d map[string]any) { d["status"] = "escalated" }, "/status", "enum"},
		"a third language key": {func(d map[string]any) { d["public_note"].(map[string]any)["ur"] = "…" }, "/public_note/ur", "additionalProperties"},
	}
	for name, tc := range breaking {
		t.Run(name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(base, &doc); err != nil {
				t.Fatal(err)
			}
			tc.change(doc)
			ps := problems(t, contracts.Validate(contracts.TypeTicketStatus, mustJSON(t, doc)))
			if !hasProblem(ps, tc.pointer, tc.code) {
				t.Fatalf("want %s at %s, got %+v", tc.code, tc.pointer, ps)
			}
		})
	}
}

// A v2 is a new event type with its own schema; until it is published side
// by side, the v1 code refuses it as unknown rather than guessing.
func TestEvolutionNewMajorVersionIsANewType(t *testing.T) {
	payload := readFile(t, "examples/valid/handoff.ticket.status.v1.json")
	if err := contracts.Validate("handoff.ticket.status.v2", payload); err == nil {
		t.Fatal("a v2 type validated without a v2 schema")
	}
	if contracts.SchemaURI(contracts.TypeTicketStatus) == contracts.SchemaURI("handoff.ticket.status.v2") {
		t.Fatal("v1 and v2 must have different dataschema URIs")
	}
}
