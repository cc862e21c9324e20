package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// submission is one request as a client sent it, in Open311's terms,
// whichever encoding it came in. Attribute answers are strings or lists of
// strings from a form, and any JSON value from a JSON body.
type submission struct {
	APIKey, Jurisdiction, ServiceCode          string
	Lat, Long, AddressString, AddressID        string
	FirstName, LastName, Phone, Email          string
	DeviceID, AccountID, Description, MediaURL string
	Attributes                                 map[string]any
	// Set by the agent page only.
	Language, Channel string
}

// fields maps Open311's POST parameters to the submission's fields.
func (s *submission) fields() map[string]*string {
	return map[string]*string{
		"api_key": &s.APIKey, "jurisdiction_id": &s.Jurisdiction, "service_code": &s.ServiceCode,
		"lat": &s.Lat, "long": &s.Long, "address_string": &s.AddressString, "address_id": &s.AddressID,
		"first_name": &s.FirstName, "last_name": &s.LastName, "phone": &s.Phone, "email": &s.Email,
		"device_id": &s.DeviceID, "account_id": &s.AccountID, "description": &s.Description, "media_url": &s.MediaURL,
	}
}

// attributeParam matches attribute[code] and attribute[code][].
var attributeParam = regexp.MustCompile(`^attribute\[([^\[\]]*)\](\[\])?$`)

// parseForm reads an application/x-www-form-urlencoded body. Unknown
// parameters are refused rather than ignored: a misspelt "descripton" would
// otherwise lose what the caller said without anyone noticing. extra lists
// further parameters the caller accepts (the agent page's own).
func parseForm(body []byte, extra ...string) (*submission, url.Values, faultList) {
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, nil, faultList{faultMalformed("form encoding: " + err.Error())}
	}
	s := &submission{Attributes: map[string]any{}}
	fields := s.fields()
	rest := url.Values{}
	var faults faultList
	for name, vs := range values {
		if bad := invalidUTF8(name, vs); bad != "" {
			faults = append(faults, faultUTF8(bad))
			continue
		}
		if m := attributeParam.FindStringSubmatch(name); m != nil {
			s.Attributes[m[1]] = formAnswer(vs, m[2] != "")
			continue
		}
		if p, ok := fields[name]; ok {
			if len(vs) > 1 {
				faults = append(faults, faultRepeated(name))
			}
			*p = vs[0]
			continue
		}
		if slices.Contains(extra, name) {
			rest[name] = vs
			continue
		}
		faults = append(faults, faultUnknownParam(name))
	}
	return s, rest, faults
}

// formAnswer keeps one value as a string and several, or any sent as
// attribute[code][], as a list.
func formAnswer(vs []string, list bool) any {
	if len(vs) == 1 && !list {
		return vs[0]
	}
	return append([]string(nil), vs...)
}

func invalidUTF8(name string, values []string) string {
	if !utf8.ValidString(name) {
		return strings.ToValidUTF8(name, "?")
	}
	for _, v := range values {
		if !utf8.ValidString(v) {
			return name
		}
	}
	return ""
}

// jsonSubmission is the JSON body: Open311's parameters as members, and the
// attributes as one object.
type jsonSubmission struct {
	APIKey        string         `json:"api_key"`
	Jurisdiction  string         `json:"jurisdiction_id"`
	ServiceCode   string         `json:"service_code"`
	Lat           flexString     `json:"lat"`
	Long          flexString     `json:"long"`
	AddressString string         `json:"address_string"`
	AddressID     string         `json:"address_id"`
	FirstName     string         `json:"first_name"`
	LastName      string         `json:"last_name"`
	Phone         string         `json:"phone"`
	Email         string         `json:"email"`
	DeviceID      string         `json:"device_id"`
	AccountID     string         `json:"account_id"`
	Description   string         `json:"description"`
	MediaURL      string         `json:"media_url"`
	Attribute     map[string]any `json:"attribute"`
}

// flexString takes a JSON string or number: clients send coordinates as
// either.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("want a number or a string")
	}
	*f = flexString(n)
	return nil
}

// parseJSON reads an application/json body. encoding/json would quietly
// turn invalid UTF-8 into U+FFFD, so the bytes are checked first.
func parseJSON(body []byte) (*submission, faultList) {
	if !utf8.Valid(body) {
		return nil, faultList{faultUTF8("")}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var j jsonSubmission
	if err := dec.Decode(&j); err != nil {
		return nil, faultList{jsonFault(err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, faultList{faultMalformed("unexpected data after the JSON object")}
	}
	s := &submission{APIKey: j.APIKey, Jurisdiction: j.Jurisdiction, ServiceCode: j.ServiceCode,
		Lat: string(j.Lat), Long: string(j.Long), AddressString: j.AddressString, AddressID: j.AddressID,
		FirstName: j.FirstName, LastName: j.LastName, Phone: j.Phone, Email: j.Email, DeviceID: j.DeviceID,
		AccountID: j.AccountID, Description: j.Description, MediaURL: j.MediaURL, Attributes: j.Attribute}
	if s.Attributes == nil {
		s.Attributes = map[string]any{}
	}
	return s, nil
}

// jsonFault names the member at fault where the decoder says which.
func jsonFault(err error) fault {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return newFault(http.StatusBadRequest, te.Field, "wrong type: want "+te.Type.String(),
			"نوع القيمة غير صحيح")
	case errors.As(err, &se):
		return faultMalformed(fmt.Sprintf("malformed JSON at byte %d", se.Offset))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return faultUnknownParam(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return faultMalformed("the JSON body is empty or cut short")
	case errors.As(err, &te):
		return faultMalformed("the body must be a JSON object")
	}
	return faultMalformed("malformed JSON")
}

func faultRepeated(param string) fault {
	return newFault(http.StatusBadRequest, param, "given more than once", "مكرر أكثر من مرة")
}

func faultUnknownParam(param string) fault {
	if utf8.RuneCountInString(param) > 64 {
		param = string([]rune(param)[:64]) + "…"
	}
	return newFault(http.StatusBadRequest, param, "unknown parameter", "معامل غير معروف")
}
