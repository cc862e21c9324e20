package contracts_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/sharjah-handoff/handoff/contracts"
)

// at returns a UTC time; UTC survives a JSON round trip unchanged, so decoded
// values compare equal with reflect.DeepEqual.
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func ptr[T any](v T) *T { return &v }

const (
	requestID = "01951f3a-6c2e-7b41-9d3a-5f8e2c71a0b4"
	ticketID  = "01951f3a-6d90-7a14-b2e8-c4f07d19e5a6"
	reqRef    = "CC-7K3M-Q9TX"
	ticketRef = "CD-9RQ4-M2VA"
)

var (
	nahda = &contracts.Location{Address: "Building 12, Al Nahda Street, Al Nahda, Sharjah",
		Area: "Al Nahda", Lat: ptr(25.3019), Long: ptr(55.3733)}
	fakeCaller = &contracts.Caller{FirstName: "Mariam", LastName: "Example",
		Phone: "+971 50 000 0001", Email: "mariam.example@example.com"}
	// Numbers decode as float64 and lists as []any, so build them that way.
	hazardAttrs = contracts.Attributes{"hazard_type": "blocked_exit", "premises_type": "restaurant",
		"floors": float64(3), "systems": []any{"fire_alarm", "sprinkler"}, "anonymous": false}
	note = &contracts.Text{AR: "تم استلام بلاغكم وإحالته إلى فريق التفتيش.", EN: "Your report was received and assigned to an inspection team."}
)

// payloadStructs holds a realistic value of every payload struct, keyed by
// event type. A new event type without an entry here fails the test.
func payloadStructs() map[string]any {
	return map[string]any{
		contracts.TypeRequestSubmitted: &contracts.RequestSubmitted{RequestID: requestID, Reference: reqRef,
			ServiceCode: "fire_hazard_complaint", SubmittedAt: at("2026-02-03T05:14:27.123456789Z"),
			Channel: "phone", Language: "ar", Description: "مخرج الطوارئ مغلق. The fire exit is blocked.",
			Attributes: hazardAttrs, Location: nahda, Caller: fakeCaller, AgentID: "agent_0417",
			MediaURL: "https://files.example.org/handoff/photo-1.jpg"},
		contracts.TypeRequestAmended: &contracts.RequestAmended{RequestID: requestID,
			AmendedAt: at("2026-02-03T06:05:00Z"), Note: "The first-floor door is locked too.",
			Location: &contracts.Location{Lat: ptr(25.3), Long: ptr(55.37)}, AgentID: "agent_0417"},
		contracts.TypeRequestCancelled: &contracts.RequestCancelled{RequestID: requestID,
			CancelledAt: at("2026-02-05T09:20:00Z"), ReasonCode: contracts.ReasonCallerRequest, Note: "Fixed by the landlord."},
		contracts.TypeTicketOpened: &contracts.TicketOpened{TicketID: ticketID, TicketReference: ticketRef,
			RequestID: requestID, RequestReference: reqRef, Queue: "complaints", Priority: contracts.PriorityHigh,
			OpenedAt: at("2026-02-03T05:14:28Z"), AckDueAt: at("2026-02-03T06:14:28Z"), ResolveDueAt: at("2026-02-05T05:14:28Z"),
			Request: contracts.RequestSnapshot{ServiceCode: "fire_hazard_complaint",
				ServiceName: contracts.Text{AR: "بلاغ عن خطر حريق غير طارئ", EN: "Non-emergency fire hazard complaint"},
				SubmittedAt: at("2026-02-03T05:14:27Z"), Channel: "web", Language: "en", Description: "Blocked exit.",
				Attributes: hazardAttrs, Location: nahda, Caller: fakeCaller, MediaURL: "https://files.example.org/p.jpg"}},
		contracts.TypeTicketAmended: &contracts.TicketAmended{TicketID: ticketID, RequestID: requestID, Queue: "complaints",
			AmendedAt: at("2026-02-03T06:05:01Z"), Description: "Two exits are blocked.", Attributes: hazardAttrs,
			Location: nahda, Note: "Caller called back."},
		contracts.TypeTicketCancelled: &contracts.TicketCancelled{TicketID: ticketID, RequestID: requestID, Queue: "complaints",
			CancelledAt: at("2026-02-05T09:20:01Z"), ReasonCode: contracts.ReasonResolvedElsewhere, Note: "Landlord cleared it."},
		contracts.TypeTicketRefused: &contracts.TicketRefused{TicketID: ticketID, Queue: "complaints",
			RefusedEventID: "01951f52-77c1-7d09-b4a3-2e8f6c0d1b95", Version: 3, Status: contracts.StatusClosed,
			CurrentStatus: contracts.StatusAccepted, CurrentVersion: 2, ReasonCode: contracts.ReasonIllegalTransition,
			Message:   contracts.Text{AR: "لا يمكن إغلاق تذكرة قبل حلها.", EN: "A ticket cannot be closed before it is resolved."},
			RefusedAt: at("2026-02-03T08:40:05Z")},
		contracts.TypeTicketStatus: &contracts.TicketStatus{TicketID: ticketID, Version: 2, Status: contracts.StatusRejected,
			CDStatusCode: "CMP-OUT-OF-AREA", ReasonCode: contracts.ReasonOutOfJurisdiction, PublicNote: note,
			OfficerID: "cd_off_2291", ChangedAt: at("2026-02-03T05:31:12Z"), ExpectedResolutionAt: ptr(at("2026-02-04T12:00:00Z"))},
		contracts.TypeRequestStatus: &contracts.RequestStatus{RequestID: requestID, RequestReference: reqRef, Sequence: 4,
			Status: contracts.StatusResolved, TicketID: ticketID, TicketReference: ticketRef, Queue: "complaints",
			CDStatusCode: "CMP-VIOLATION-ISSUED", PublicNote: note, ChangedAt: at("2026-02-04T10:22:00Z"),
			AckDueAt: ptr(at("2026-02-03T06:14:28Z")), ExpectedResolutionAt: ptr(at("2026-02-04T12:00:00Z"))},
		contracts.TypeRequestRejected: &contracts.RequestRejected{RequestID: requestID, RequestReference: reqRef,
			ReasonCode: contracts.ReasonInvalidAttributes,
			Problems: []contracts.Problem{{Pointer: "/attributes/floors", Code: "type",
				Message: contracts.Text{AR: "يجب أن تكون القيمة رقما", EN: "must be a number"}}},
			Notice:     contracts.Text{AR: "يرجى تصحيح البيانات.", EN: "Please correct the answers shown."},
			RejectedAt: at("2026-02-06T06:00:03Z")},
		contracts.TypeRequestOverdue: &contracts.RequestOverdue{RequestID: requestID, RequestReference: reqRef,
			TicketID: ticketID, TicketReference: ticketRef, Queue: "complaints", AckDueAt: at("2026-02-03T06:14:28Z"),
			OverdueSeconds: 1291, ReportCount: 2, ReportedAt: at("2026-02-03T06:36:00Z")},
	}
}

// The typed structs and the schemas must agree: what a producer marshals
// validates, and what validates decodes back to the same value.
func TestPayloadStructsRoundTripThroughSchemas(t *testing.T) {
	values := payloadStructs()
	for _, typ := range contracts.EventTypes {
		t.Run(typ, func(t *testing.T) {
			v, ok := values[typ]
			if !ok {
				t.Fatalf("no struct value for %s", typ)
			}
			data := mustJSON(t, v)
			if err := contracts.Validate(typ, data); err != nil {
				t.Fatalf("%s marshals to an invalid payload: %v\n%s", typ, err, data)
			}
			back := reflect.New(reflect.TypeOf(v).Elem()).Interface()
			if err := json.Unmarshal(data, back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(v, back) {
				t.Errorf("round trip changed the value:\n got %#v\nwant %#v", back, v)
			}
		})
	}
}

// A zero-valued struct must not pass: the schema's required fields are what
// keep a half-built payload from leaving a producer.
func TestZeroStructsAreInvalid(t *testing.T) {
	for typ, v := range payloadStructs() {
		zero := reflect.New(reflect.TypeOf(v).Elem()).Interface()
		if err := contracts.ValidateValue(typ, zero); err == nil {
			t.Errorf("zero %T validates as %s", zero, typ)
		}
	}
}

// Every valid example decodes into its struct and re-encodes to a payload
// that still validates: the structs lose nothing the schemas require.
func TestValidExamplesDecodeIntoStructs(t *testing.T) {
	values := payloadStructs()
	for _, ex := range validExamples(t) {
		if values[ex.eventType] == nil {
			t.Errorf("%s: no struct for %s", ex.name, ex.eventType)
			continue
		}
		v := reflect.New(reflect.TypeOf(values[ex.eventType]).Elem()).Interface()
		if err := json.Unmarshal(ex.payload, v); err != nil {
			t.Errorf("%s: %v", ex.name, err)
			continue
		}
		if err := contracts.ValidateValue(ex.eventType, v); err != nil {
			t.Errorf("%s: re-encoded: %v", ex.name, err)
		}
	}
}

// References made by Reference must match the schemas' reference patterns,
// whatever bits they come from.
func TestGeneratedReferencesMatchTheSchema(t *testing.T) {
	for _, bits := range []uint64{0, 1, 1<<40 - 1, 0x5a5a5a5a5a, 0xdeadbeef42} {
		v := &contracts.RequestOverdue{RequestID: requestID, TicketID: ticketID, Queue: "inspections",
			RequestReference: contracts.Reference(contracts.RequestReferencePrefix, bits),
			TicketReference:  contracts.Reference(contracts.TicketReferencePrefix, bits),
			AckDueAt:         at("2026-02-03T06:14:28Z"), ReportCount: 1, ReportedAt: at("2026-02-03T06:20:00Z")}
		if err := contracts.ValidateValue(contracts.TypeRequestOverdue, v); err != nil {
			t.Errorf("bits %#x: %v", bits, err)
		}
	}
}
