package intake

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strconv"
	"strings"
	"time"

	"github.com/sharjah-handoff/handoff/contracts"
)

// Open311 GeoReport v2 documents. JSON answers are arrays (or, for a
// service definition, an object); XML answers wrap the same elements in the
// spec's root elements.

// format is the response format, chosen by the resource's extension.
type format string

const (
	formatJSON format = "json"
	formatXML  format = "xml"
)

func (f format) contentType() string {
	if f == formatXML {
		return "text/xml; charset=utf-8"
	}
	return "application/json; charset=utf-8"
}

// encode renders a document; list is the JSON form, root the XML one.
func (f format) encode(list, root any) []byte {
	var buf bytes.Buffer
	if f == formatXML {
		buf.WriteString(xml.Header)
		enc := xml.NewEncoder(&buf)
		enc.Indent("", "  ")
		if err := enc.Encode(root); err != nil {
			panic(err) // only fixed document types are encoded
		}
		buf.WriteByte('\n')
		return buf.Bytes()
	}
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(list); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// optional is a text that Open311 reports as null in JSON when absent (and
// as an empty element in XML).
type optional string

func (o optional) MarshalJSON() ([]byte, error) {
	if o == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(o))
}

// coord is a latitude or longitude, null when unknown.
type coord struct{ v *float64 }

func (c coord) String() string {
	if c.v == nil {
		return ""
	}
	return strconv.FormatFloat(*c.v, 'f', -1, 64)
}

func (c coord) MarshalJSON() ([]byte, error) {
	if c.v == nil {
		return []byte("null"), nil
	}
	return []byte(c.String()), nil
}

func (c coord) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(c.String(), start)
}

type apiError struct {
	Code        int    `json:"code" xml:"code"`
	Description string `json:"description" xml:"description"`
}

type errorsXML struct {
	XMLName xml.Name   `xml:"errors"`
	Errors  []apiError `xml:"error"`
}

type serviceOut struct {
	Code        string   `json:"service_code" xml:"service_code"`
	Name        string   `json:"service_name" xml:"service_name"`
	Description optional `json:"description" xml:"description"`
	Metadata    bool     `json:"metadata" xml:"metadata"`
	Type        string   `json:"type" xml:"type"`
	Keywords    optional `json:"keywords" xml:"keywords"`
	Group       optional `json:"group" xml:"group"`
}

type servicesXML struct {
	XMLName  xml.Name     `xml:"services"`
	Services []serviceOut `xml:"service"`
}

func serviceOf(svc contracts.Service, lang string) serviceOut {
	return serviceOut{Code: svc.Code, Name: svc.Name.In(lang), Description: optional(svc.Description.In(lang)),
		Metadata: len(svc.Attributes) > 0, Type: "realtime", Keywords: optional(strings.Join(svc.Keywords, ", ")),
		Group: optional(svc.Group.In(lang))}
}

type definitionOut struct {
	XMLName    xml.Name       `json:"-" xml:"service_definition"`
	Code       string         `json:"service_code" xml:"service_code"`
	Attributes []attributeOut `json:"attributes" xml:"attributes>attribute"`
}

type attributeOut struct {
	Variable            bool       `json:"variable" xml:"variable"`
	Code                string     `json:"code" xml:"code"`
	Datatype            string     `json:"datatype" xml:"datatype"`
	Required            bool       `json:"required" xml:"required"`
	DatatypeDescription optional   `json:"datatype_description" xml:"datatype_description"`
	Order               int        `json:"order" xml:"order"`
	Description         string     `json:"description" xml:"description"`
	Values              []valueOut `json:"values,omitempty" xml:"values>value,omitempty"`
}

type valueOut struct {
	Key  string `json:"key" xml:"key"`
	Name string `json:"name" xml:"name"`
}

func definitionOf(svc contracts.Service, lang string) definitionOut {
	d := definitionOut{Code: svc.Code, Attributes: []attributeOut{}}
	for _, a := range svc.Attributes {
		out := attributeOut{Variable: a.Variable, Code: a.Code, Datatype: a.Datatype, Required: a.Required,
			Order: a.Order, Description: a.Description.In(lang)}
		if a.DatatypeDescription != nil {
			out.DatatypeDescription = optional(a.DatatypeDescription.In(lang))
		}
		for _, v := range a.Values {
			out.Values = append(out.Values, valueOut{Key: v.Key, Name: v.Name.In(lang)})
		}
		d.Attributes = append(d.Attributes, out)
	}
	return d
}

// createdOut answers POST requests. service_request_id is absent only for
// the emergency entry, whose notice replaces the request.
type createdOut struct {
	ID        string   `json:"service_request_id,omitempty" xml:"service_request_id,omitempty"`
	Notice    optional `json:"service_notice" xml:"service_notice"`
	AccountID optional `json:"account_id" xml:"account_id"`
	// Extension (extensions=true): the reference to read to the caller.
	Reference string `json:"reference,omitempty" xml:"reference,omitempty"`
}

type createdXML struct {
	XMLName  xml.Name     `xml:"service_requests"`
	Requests []createdOut `xml:"request"`
}

// requestOut is one service request in Open311's fields, in the spec's
// order, then the extensions.
type requestOut struct {
	ID                string   `json:"service_request_id" xml:"service_request_id"`
	Status            string   `json:"status" xml:"status"`
	StatusNotes       optional `json:"status_notes" xml:"status_notes"`
	ServiceName       optional `json:"service_name" xml:"service_name"`
	ServiceCode       optional `json:"service_code" xml:"service_code"`
	Description       optional `json:"description" xml:"description"`
	AgencyResponsible optional `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice     optional `json:"service_notice" xml:"service_notice"`
	RequestedDatetime optional `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   optional `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime  optional `json:"expected_datetime" xml:"expected_datetime"`
	Address           optional `json:"address" xml:"address"`
	AddressID         optional `json:"address_id" xml:"address_id"`
	Zipcode           optional `json:"zipcode" xml:"zipcode"`
	Lat               coord    `json:"lat" xml:"lat"`
	Long              coord    `json:"long" xml:"long"`
	MediaURL          optional `json:"media_url" xml:"media_url"`
	*requestExtensions
}

// requestExtensions are added with extensions=true.
type requestExtensions struct {
	Reference       string       `json:"reference,omitempty" xml:"reference,omitempty"`
	StatusCode      string       `json:"status_code" xml:"status_code"`
	CDStatusCode    string       `json:"cd_status_code,omitempty" xml:"cd_status_code,omitempty"`
	ReasonCode      string       `json:"reason_code,omitempty" xml:"reason_code,omitempty"`
	TicketReference string       `json:"ticket_reference,omitempty" xml:"ticket_reference,omitempty"`
	Language        string       `json:"language,omitempty" xml:"language,omitempty"`
	Overdue         *overdueOut  `json:"overdue,omitempty" xml:"overdue,omitempty"`
	History         []historyOut `json:"history" xml:"history>entry"`
}

type overdueOut struct {
	AckDueDatetime string `json:"ack_due_datetime" xml:"ack_due_datetime"`
	OverdueSeconds int64  `json:"overdue_seconds" xml:"overdue_seconds"`
	ReportCount    int    `json:"report_count" xml:"report_count"`
}

type historyOut struct {
	Datetime     string `json:"datetime" xml:"datetime"`
	Event        string `json:"event" xml:"event"`
	Status       string `json:"status" xml:"status"`
	StatusCode   string `json:"status_code,omitempty" xml:"status_code,omitempty"`
	CDStatusCode string `json:"cd_status_code,omitempty" xml:"cd_status_code,omitempty"`
	ReasonCode   string `json:"reason_code,omitempty" xml:"reason_code,omitempty"`
	Notes        string `json:"notes,omitempty" xml:"notes,omitempty"`
}

type requestsXML struct {
	XMLName  xml.Name     `xml:"service_requests"`
	Requests []requestOut `xml:"request"`
}

func openOrClosed(s contracts.Status) string {
	if s.Open() {
		return "open"
	}
	return "closed"
}

func optionalTime(t *time.Time) optional {
	if t == nil {
		return ""
	}
	return optional(w3cTime(*t))
}

type discoveryOut struct {
	XMLName    xml.Name      `json:"-" xml:"discovery"`
	Changeset  string        `json:"changeset" xml:"changeset"`
	Contact    string        `json:"contact" xml:"contact"`
	KeyService string        `json:"key_service" xml:"key_service"`
	Endpoints  []endpointOut `json:"endpoints" xml:"endpoints>endpoint"`
}

type endpointOut struct {
	Specification string   `json:"specification" xml:"specification"`
	URL           string   `json:"url" xml:"url"`
	Changeset     string   `json:"changeset" xml:"changeset"`
	Type          string   `json:"type" xml:"type"`
	Formats       []string `json:"formats" xml:"formats>format"`
}
