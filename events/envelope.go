package events

import (
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// CloudEvents 1.0 attributes in binary mode: one NATS header each.
const (
	HeaderSpecVersion   = "ce-specversion"
	HeaderID            = "ce-id"
	HeaderSource        = "ce-source"
	HeaderType          = "ce-type"
	HeaderTime          = "ce-time"
	HeaderSubject       = "ce-subject"
	HeaderDataSchema    = "ce-dataschema"
	HeaderCorrelationID = "ce-correlationid"
	HeaderCausationID   = "ce-causationid"
	HeaderContentType   = "Content-Type"

	SpecVersion = "1.0"
	ContentType = "application/json"
)

// ErrEnvelope is wrapped by every envelope decoding error.
var ErrEnvelope = errors.New("invalid cloudevents envelope")

// AttributeError names the CloudEvents attribute that is missing or
// malformed.
type AttributeError struct {
	Attribute string
	Reason    string
}

func (e *AttributeError) Error() string {
	return fmt.Sprintf("%s: %s %s", ErrEnvelope, e.Attribute, e.Reason)
}

// Unwrap lets callers test with errors.Is(err, ErrEnvelope).
func (e *AttributeError) Unwrap() error { return ErrEnvelope }

// Envelope is the CloudEvents context of one event. The payload travels as
// the message body; the envelope travels in headers.
type Envelope struct {
	ID     string
	Source string
	Type   string
	Time   time.Time
	// Subject is the CloudEvents subject: the id of the request or ticket the
	// event is about. It is never personal data.
	Subject    string
	DataSchema string
	// CorrelationID is the request id for every event of one handoff, so
	// that both agencies' records can be joined.
	CorrelationID string
	// CausationID is the ce-id of the event that caused this one.
	CausationID string
}

// Header writes the envelope into h as CloudEvents binary-mode headers.
func (e Envelope) Header(h nats.Header) {
	h.Set(HeaderSpecVersion, SpecVersion)
	h.Set(HeaderID, e.ID)
	h.Set(HeaderSource, e.Source)
	h.Set(HeaderType, e.Type)
	h.Set(HeaderTime, e.Time.UTC().Format(time.RFC3339Nano))
	h.Set(HeaderContentType, ContentType)
	setIf(h, HeaderSubject, e.Subject)
	setIf(h, HeaderDataSchema, e.DataSchema)
	setIf(h, HeaderCorrelationID, e.CorrelationID)
	setIf(h, HeaderCausationID, e.CausationID)
}

func setIf(h nats.Header, k, v string) {
	if v != "" {
		h.Set(k, v)
	}
}

// Validate checks what Handoff requires of every envelope it sends or
// accepts: the CloudEvents required attributes, plus time, correlation id
// and a JSON content type.
func (e Envelope) Validate() error {
	switch {
	case e.ID == "":
		return &AttributeError{HeaderID, "is missing"}
	case len(e.ID) > 128:
		return &AttributeError{HeaderID, "is longer than 128 characters"}
	case e.Source == "":
		return &AttributeError{HeaderSource, "is missing"}
	case e.Type == "":
		return &AttributeError{HeaderType, "is missing"}
	case e.Time.IsZero():
		return &AttributeError{HeaderTime, "is missing"}
	case e.CorrelationID == "":
		return &AttributeError{HeaderCorrelationID, "is missing"}
	}
	return nil
}

// DecodeEnvelope reads the envelope from h. It is strict: a missing or
// malformed attribute is an *AttributeError naming it.
func DecodeEnvelope(h nats.Header) (Envelope, error) {
	if h == nil {
		return Envelope{}, &AttributeError{HeaderSpecVersion, "is missing (no headers)"}
	}
	if err := single(h, HeaderSpecVersion); err != nil {
		return Envelope{}, err
	}
	if v := h.Get(HeaderSpecVersion); v != SpecVersion {
		return Envelope{}, &AttributeError{HeaderSpecVersion, fmt.Sprintf("is %q, want %q", truncate(v, 20), SpecVersion)}
	}
	for _, k := range []string{HeaderID, HeaderSource, HeaderType, HeaderTime, HeaderContentType} {
		if err := single(h, k); err != nil {
			return Envelope{}, err
		}
	}
	if ct := h.Get(HeaderContentType); ct != ContentType {
		return Envelope{}, &AttributeError{HeaderContentType, fmt.Sprintf("is %q, want %q", truncate(ct, 40), ContentType)}
	}
	t, err := time.Parse(time.RFC3339Nano, h.Get(HeaderTime))
	if err != nil {
		return Envelope{}, &AttributeError{HeaderTime, "is not an RFC 3339 timestamp"}
	}
	e := Envelope{
		ID:            h.Get(HeaderID),
		Source:        h.Get(HeaderSource),
		Type:          h.Get(HeaderType),
		Time:          t,
		Subject:       h.Get(HeaderSubject),
		DataSchema:    h.Get(HeaderDataSchema),
		CorrelationID: h.Get(HeaderCorrelationID),
		CausationID:   h.Get(HeaderCausationID),
	}
	if !validSource(e.Source) {
		return Envelope{}, &AttributeError{HeaderSource, "is not a URI reference"}
	}
	return e, e.Validate()
}

// single requires exactly one non-empty value for k.
func single(h nats.Header, k string) error {
	switch v := h.Values(k); {
	case len(v) == 0 || v[0] == "":
		return &AttributeError{k, "is missing"}
	case len(v) > 1:
		return &AttributeError{k, "is repeated"}
	}
	return nil
}

// validSource accepts the URI references Handoff uses as sources, such as
// "/handoff/broker" or "urn:sharjah:civil-defence:backoffice", and refuses
// white space and control characters.
func validSource(s string) bool {
	if len(s) > 256 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return false
		}
	}
	return true
}
