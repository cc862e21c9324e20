package contracts

import "time"

// Event types, one per payload schema. The major version is part of the
// type; within a version only additive changes are allowed (see EVOLUTION.md).
const (
	TypeRequestSubmitted = "handoff.request.submitted.v1"
	TypeRequestAmended   = "handoff.request.amended.v1"
	TypeRequestCancelled = "handoff.request.cancelled.v1"
	TypeTicketOpened     = "handoff.ticket.opened.v1"
	TypeTicketAmended    = "handoff.ticket.amended.v1"
	TypeTicketCancelled  = "handoff.ticket.cancelled.v1"
	TypeTicketRefused    = "handoff.ticket.refused.v1"
	TypeTicketStatus     = "handoff.ticket.status.v1"
	TypeRequestStatus    = "handoff.request.status.v1"
	TypeRequestRejected  = "handoff.request.rejected.v1"
	TypeRequestOverdue   = "handoff.request.overdue.v1"
)

// EventTypes lists every event type of the contract, in the order of the
// AsyncAPI document.
var EventTypes = []string{
	TypeRequestSubmitted, TypeRequestAmended, TypeRequestCancelled,
	TypeTicketOpened, TypeTicketAmended, TypeTicketCancelled, TypeTicketRefused,
	TypeTicketStatus,
	TypeRequestStatus, TypeRequestRejected, TypeRequestOverdue,
}

// Status is a common status code shared by both agencies.
type Status string

// Common status codes. See the state machine in the handoff state package.
const (
	StatusSubmitted     Status = "submitted"
	StatusQueued        Status = "queued"
	StatusAccepted      Status = "accepted"
	StatusInProgress    Status = "in_progress"
	StatusInfoRequested Status = "info_requested"
	StatusResolved      Status = "resolved"
	StatusClosed        Status = "closed"
	StatusRejected      Status = "rejected"
	StatusCancelled     Status = "cancelled"
)

// Open311 reports a request as "open" or "closed"; Open derives that from the
// common code.
func (s Status) Open() bool {
	switch s {
	case StatusClosed, StatusRejected, StatusCancelled:
		return false
	}
	return true
}

// Finished reports whether no further change may happen to a handoff in s.
func (s Status) Finished() bool {
	return s == StatusClosed || s == StatusRejected || s == StatusCancelled
}

// Reason codes explain a rejection, a refusal or a cancellation.
const (
	ReasonEmergency          = "emergency_redirect"
	ReasonUnknownService     = "unknown_service"
	ReasonInactiveService    = "inactive_service"
	ReasonInvalidAttributes  = "invalid_attributes"
	ReasonMissingLocation    = "missing_location"
	ReasonContractViolation  = "contract_violation"
	ReasonOutOfJurisdiction  = "out_of_jurisdiction"
	ReasonDuplicate          = "duplicate_request"
	ReasonInsufficientInfo   = "insufficient_information"
	ReasonNotCDService       = "not_civil_defence_service"
	ReasonCallerRequest      = "caller_request"
	ReasonResolvedElsewhere  = "resolved_elsewhere"
	ReasonIllegalTransition  = "illegal_transition"
	ReasonUnknownTicket      = "unknown_ticket"
	ReasonHandoffFinished    = "handoff_finished"
	ReasonOther              = "other"
	ReasonVersionGap         = "version_gap"
	ReasonUnsupportedVersion = "unsupported_version"
)

// Text is a bilingual text: every note a caller may hear exists in Arabic and
// English.
type Text struct {
	AR string `json:"ar"`
	EN string `json:"en"`
}

// In returns the text in lang ("ar" or "en"), falling back to the other.
func (t Text) In(lang string) string {
	if lang == "ar" && t.AR != "" || t.EN == "" {
		return t.AR
	}
	return t.EN
}

// Location is where the request applies. At least an address or a
// coordinate pair is present.
type Location struct {
	Address   string   `json:"address,omitempty"`
	AddressID string   `json:"address_id,omitempty"`
	Area      string   `json:"area,omitempty"`
	Lat       *float64 `json:"lat,omitempty"`
	Long      *float64 `json:"long,omitempty"`
}

// Caller is the person the request is for. It is personal data: it travels
// in payloads only, never in subjects, headers, logs or spans.
type Caller struct {
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Email     string `json:"email,omitempty"`
	AccountID string `json:"account_id,omitempty"`
}

// Attributes are the catalogue's typed, service-specific fields: a string, a
// number, a boolean or a list of strings per attribute code.
type Attributes map[string]any

// RequestSubmitted is handoff.request.submitted.v1: the contact centre
// captured a request.
type RequestSubmitted struct {
	RequestID   string     `json:"request_id"`
	Reference   string     `json:"reference"`
	ServiceCode string     `json:"service_code"`
	SubmittedAt time.Time  `json:"submitted_at"`
	Channel     string     `json:"channel"`
	Language    string     `json:"language"`
	Description string     `json:"description,omitempty"`
	Attributes  Attributes `json:"attributes,omitempty"`
	Location    *Location  `json:"location,omitempty"`
	Caller      *Caller    `json:"caller,omitempty"`
	AgentID     string     `json:"agent_id,omitempty"`
	MediaURL    string     `json:"media_url,omitempty"`
}

// RequestAmended is handoff.request.amended.v1: the caller added to or
// corrected an open request. Absent fields are unchanged.
type RequestAmended struct {
	RequestID   string     `json:"request_id"`
	AmendedAt   time.Time  `json:"amended_at"`
	Description string     `json:"description,omitempty"`
	Attributes  Attributes `json:"attributes,omitempty"`
	Location    *Location  `json:"location,omitempty"`
	Note        string     `json:"note,omitempty"`
	AgentID     string     `json:"agent_id,omitempty"`
}

// RequestCancelled is handoff.request.cancelled.v1: the caller withdrew the
// request.
type RequestCancelled struct {
	RequestID   string    `json:"request_id"`
	CancelledAt time.Time `json:"cancelled_at"`
	ReasonCode  string    `json:"reason_code"`
	Note        string    `json:"note,omitempty"`
	AgentID     string    `json:"agent_id,omitempty"`
}

// RequestSnapshot is the request as the broker routed it, copied into the
// ticket so that Civil Defence needs nothing else to work on it.
type RequestSnapshot struct {
	ServiceCode string     `json:"service_code"`
	ServiceName Text       `json:"service_name"`
	SubmittedAt time.Time  `json:"submitted_at"`
	Channel     string     `json:"channel"`
	Language    string     `json:"language"`
	Description string     `json:"description,omitempty"`
	Attributes  Attributes `json:"attributes,omitempty"`
	Location    *Location  `json:"location,omitempty"`
	Caller      *Caller    `json:"caller,omitempty"`
	MediaURL    string     `json:"media_url,omitempty"`
}

// TicketOpened is handoff.ticket.opened.v1: a new ticket on a Civil Defence
// queue.
type TicketOpened struct {
	TicketID         string          `json:"ticket_id"`
	TicketReference  string          `json:"ticket_reference"`
	RequestID        string          `json:"request_id"`
	RequestReference string          `json:"request_reference"`
	Queue            string          `json:"queue"`
	Priority         string          `json:"priority"`
	OpenedAt         time.Time       `json:"opened_at"`
	AckDueAt         time.Time       `json:"ack_due_at"`
	ResolveDueAt     time.Time       `json:"resolve_due_at"`
	Request          RequestSnapshot `json:"request"`
}

// TicketAmended is handoff.ticket.amended.v1: the caller's amendment,
// forwarded to the ticket.
type TicketAmended struct {
	TicketID    string     `json:"ticket_id"`
	RequestID   string     `json:"request_id"`
	Queue       string     `json:"queue"`
	AmendedAt   time.Time  `json:"amended_at"`
	Description string     `json:"description,omitempty"`
	Attributes  Attributes `json:"attributes,omitempty"`
	Location    *Location  `json:"location,omitempty"`
	Note        string     `json:"note,omitempty"`
}

// TicketCancelled is handoff.ticket.cancelled.v1: the caller withdrew the
// request behind the ticket.
type TicketCancelled struct {
	TicketID    string    `json:"ticket_id"`
	RequestID   string    `json:"request_id"`
	Queue       string    `json:"queue"`
	CancelledAt time.Time `json:"cancelled_at"`
	ReasonCode  string    `json:"reason_code"`
	Note        string    `json:"note,omitempty"`
}

// TicketRefused is handoff.ticket.refused.v1: the broker refused a status
// change Civil Defence sent for the ticket, and says why.
//
// Version and Status echo the refused event and are absent when it could not
// be read (reason contract_violation); CurrentStatus and CurrentVersion are
// absent when the broker does not know the ticket.
type TicketRefused struct {
	TicketID       string    `json:"ticket_id"`
	Queue          string    `json:"queue"`
	RefusedEventID string    `json:"refused_event_id"`
	Version        int       `json:"version,omitempty"`
	Status         Status    `json:"status,omitempty"`
	CurrentStatus  Status    `json:"current_status,omitempty"`
	CurrentVersion int       `json:"current_version,omitempty"`
	ReasonCode     string    `json:"reason_code"`
	Message        Text      `json:"message"`
	RefusedAt      time.Time `json:"refused_at"`
}

// TicketStatus is handoff.ticket.status.v1: Civil Defence changed a ticket's
// status. Versions start at 1 and grow by one per change of one ticket.
type TicketStatus struct {
	TicketID             string     `json:"ticket_id"`
	Version              int        `json:"version"`
	Status               Status     `json:"status"`
	CDStatusCode         string     `json:"cd_status_code"`
	ReasonCode           string     `json:"reason_code,omitempty"`
	PublicNote           *Text      `json:"public_note,omitempty"`
	OfficerID            string     `json:"officer_id,omitempty"`
	ChangedAt            time.Time  `json:"changed_at"`
	ExpectedResolutionAt *time.Time `json:"expected_resolution_at,omitempty"`
}

// RequestStatus is handoff.request.status.v1: where a request stands, for
// the contact centre. Sequence grows by one per status sent for a request.
type RequestStatus struct {
	RequestID            string     `json:"request_id"`
	RequestReference     string     `json:"request_reference"`
	Sequence             int        `json:"sequence"`
	Status               Status     `json:"status"`
	TicketID             string     `json:"ticket_id,omitempty"`
	TicketReference      string     `json:"ticket_reference,omitempty"`
	Queue                string     `json:"queue,omitempty"`
	CDStatusCode         string     `json:"cd_status_code,omitempty"`
	ReasonCode           string     `json:"reason_code,omitempty"`
	PublicNote           *Text      `json:"public_note,omitempty"`
	ChangedAt            time.Time  `json:"changed_at"`
	AckDueAt             *time.Time `json:"ack_due_at,omitempty"`
	ExpectedResolutionAt *time.Time `json:"expected_resolution_at,omitempty"`
}

// Problem is one thing wrong with an input: where (a JSON pointer into the
// payload), what kind (a stable code) and a bilingual message.
type Problem struct {
	Pointer string `json:"pointer"`
	Code    string `json:"code"`
	Message Text   `json:"message"`
}

// RequestRejected is handoff.request.rejected.v1: the broker could not hand
// the request off, and says why.
type RequestRejected struct {
	RequestID        string    `json:"request_id"`
	RequestReference string    `json:"request_reference,omitempty"`
	ReasonCode       string    `json:"reason_code"`
	Problems         []Problem `json:"problems,omitempty"`
	Notice           Text      `json:"notice"`
	RejectedAt       time.Time `json:"rejected_at"`
}

// RequestOverdue is handoff.request.overdue.v1: Civil Defence has not
// acknowledged a ticket within the catalogue's acknowledgement SLA. It is
// sent again at an interval until the ticket is acted on.
type RequestOverdue struct {
	RequestID        string    `json:"request_id"`
	RequestReference string    `json:"request_reference"`
	TicketID         string    `json:"ticket_id"`
	TicketReference  string    `json:"ticket_reference"`
	Queue            string    `json:"queue"`
	AckDueAt         time.Time `json:"ack_due_at"`
	OverdueSeconds   int64     `json:"overdue_seconds"`
	ReportCount      int       `json:"report_count"`
	ReportedAt       time.Time `json:"reported_at"`
}
