package contracts

import "time"

// Attribute datatypes, as Open311 GeoReport v2 names them.
const (
	DatatypeString          = "string"
	DatatypeNumber          = "number"
	DatatypeDatetime        = "datetime"
	DatatypeText            = "text"
	DatatypeSingleValueList = "singlevaluelist"
	DatatypeMultiValueList  = "multivaluelist"
)

// Priorities of a ticket, most urgent first.
const (
	PriorityHigh   = "high"
	PriorityNormal = "normal"
	PriorityLow    = "low"
)

// Catalogue is the bilingual list of Civil Defence services the contact
// centre answers for.
type Catalogue struct {
	Version  string    `json:"version"`
	Services []Service `json:"services"`
}

// Service is one catalogue entry.
type Service struct {
	Code              string   `json:"code"`
	Name              Text     `json:"name"`
	Description       Text     `json:"description"`
	Group             Text     `json:"group"`
	Keywords          []string `json:"keywords,omitempty"`
	Queue             string   `json:"queue,omitempty"`
	Priority          string   `json:"priority,omitempty"`
	AckSLASeconds     int64    `json:"ack_sla_seconds,omitempty"`
	ResolveSLASeconds int64    `json:"resolve_sla_seconds,omitempty"`
	Active            bool     `json:"active"`
	StaffOnly         bool     `json:"staff_only"`
	Emergency         bool     `json:"emergency"`
	// LocationRequired says a request for this service must carry an
	// address or a coordinate pair: Civil Defence has to go somewhere.
	LocationRequired bool        `json:"location_required"`
	Notice           *Text       `json:"notice,omitempty"`
	Attributes       []Attribute `json:"attributes,omitempty"`
}

// AckSLA is how long Civil Defence has to acknowledge a ticket.
func (s Service) AckSLA() time.Duration { return time.Duration(s.AckSLASeconds) * time.Second }

// ResolveSLA is how long Civil Defence has to resolve a ticket.
func (s Service) ResolveSLA() time.Duration {
	return time.Duration(s.ResolveSLASeconds) * time.Second
}

// Attribute is a typed, service-specific question, in Open311 style.
type Attribute struct {
	Code                string           `json:"code"`
	Variable            bool             `json:"variable"`
	Datatype            string           `json:"datatype"`
	Required            bool             `json:"required"`
	Order               int              `json:"order"`
	Description         Text             `json:"description"`
	DatatypeDescription *Text            `json:"datatype_description,omitempty"`
	MaxLength           int              `json:"max_length,omitempty"`
	Values              []AttributeValue `json:"values,omitempty"`
}

// AttributeValue is one allowed value of a list attribute.
type AttributeValue struct {
	Key  string `json:"key"`
	Name Text   `json:"name"`
}
