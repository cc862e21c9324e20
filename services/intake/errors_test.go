package intake_test

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// badCase is one malformed POST and the errors it must get.
type badCase struct {
	name        string
	contentType string
	body        string
	status      int
	// want lists substrings, each of which one error description holds.
	want []string
}

func formWith(change func(url.Values)) string {
	f := hazardForm()
	change(f)
	return f.Encode()
}

func badCases() []badCase {
	form := "application/x-www-form-urlencoded"
	return []badCase{
		{"unknown service", form, formWith(func(f url.Values) { f.Set("service_code", "pothole") }), 400,
			[]string{`service_code: service "pothole" is not in the catalogue`}},
		{"no service", form, formWith(func(f url.Values) { f.Del("service_code") }), 400, []string{"service_code is required"}},
		{"inactive service", form, formWith(func(f url.Values) { f.Set("service_code", "fireworks_display_permit") }), 400,
			[]string{"not offered at the moment"}},
		{"staff-only service with a public key", form, formWith(func(f url.Values) { f.Set("service_code", "inspection_reschedule") }), 403,
			[]string{"contact-centre staff"}},
		{"missing required attribute", form, formWith(func(f url.Values) { f.Del("attribute[hazard_type]") }), 400,
			[]string{`attribute[hazard_type]: "Kind of hazard" is required`}},
		{"value not in the list", form, formWith(func(f url.Values) { f.Set("attribute[hazard_type]", "dragon") }), 400,
			[]string{`attribute[hazard_type]: "dragon" is not one of the values`}},
		{"wrong datatype", form, formWith(func(f url.Values) {
			f.Set("service_code", "safety_training")
			f.Del("attribute[hazard_type]")
			f.Del("attribute[premises_type]")
			f.Set("attribute[course]", "first_aid")
			f.Set("attribute[participants]", "twelve")
			f.Set("attribute[organisation_name]", "Al Qasba Mall")
			f.Set("attribute[preferred_date]", "next Tuesday")
		}), 400, []string{`attribute[participants]: "Number of participants" must be a number`, "attribute[preferred_date]: "}},
		{"unknown attribute", form, formWith(func(f url.Values) { f.Set("attribute[colour]", "red") }), 400,
			[]string{`attribute[colour]: service fire_hazard_complaint has no attribute "colour"`}},
		{"no location", form, formWith(func(f url.Values) {
			f.Del("lat")
			f.Del("long")
			f.Del("address_string")
		}), 400, []string{"location: a location (an address or latitude and longitude) is required"}},
		{"lat without long", form, formWith(func(f url.Values) { f.Del("long") }), 400, []string{"lat: lat and long must be given together"}},
		{"lat out of range", form, formWith(func(f url.Values) { f.Set("lat", "95") }), 400, []string{"lat: \"95\" is not a number of decimal degrees"}},
		{"description over 4000 characters", form, formWith(func(f url.Values) { f.Set("description", strings.Repeat("ب", 4001)) }), 400,
			[]string{"description: the description is 4001 characters long; at most 4000 are allowed"}},
		{"bad phone and email", form, formWith(func(f url.Values) {
			f.Set("phone", "call me")
			f.Set("email", "not-an-email")
		}), 400, []string{"phone: ", "email: "}},
		{"bad media_url", form, formWith(func(f url.Values) { f.Set("media_url", "not a url") }), 400, []string{"media_url: "}},
		{"several problems at once", form, formWith(func(f url.Values) {
			f.Del("attribute[hazard_type]")
			f.Set("attribute[premises_type]", "castle")
			f.Set("description", strings.Repeat("x", 4001))
			f.Del("long")
		}), 400, []string{"attribute[hazard_type]", "attribute[premises_type]", "description", "lat and long"}},
		{"unknown parameter", form, formWith(func(f url.Values) { f.Set("descripton", "typo") }), 400, []string{"descripton: unknown parameter"}},
		{"repeated parameter", form, hazardForm().Encode() + "&description=again", 400, []string{"description: given more than once"}},
		{"other jurisdiction", form, formWith(func(f url.Values) { f.Set("jurisdiction_id", "dubai.ae") }), 400, []string{`jurisdiction "dubai.ae"`}},
		{"invalid UTF-8 in a form", form, formWith(func(f url.Values) { f.Set("description", "fire \xff\xfe exit") }), 400,
			[]string{"description: the value is not valid UTF-8"}},
		{"invalid UTF-8 in JSON", "application/json", `{"api_key":"` + publicKey + `","service_code":"feedback","description":"` + "\xc3\x28" + `"}`, 400,
			[]string{"not valid UTF-8"}},
		{"malformed JSON", "application/json", `{"api_key": "` + publicKey + `", "service_code": `, 400, []string{"the request body could not be read"}},
		{"JSON of the wrong shape", "application/json", `[1, 2, 3]`, 400, []string{"the request body could not be read"}},
		{"JSON member of the wrong type", "application/json", `{"api_key":"` + publicKey + `","service_code":7}`, 400, []string{"service_code: wrong type"}},
		{"unknown JSON member", "application/json", `{"api_key":"` + publicKey + `","service_code":"feedback","colour":"red"}`, 400,
			[]string{"colour: unknown parameter"}},
		{"trailing JSON", "application/json", `{"api_key":"` + publicKey + `","service_code":"feedback"} {}`, 400, []string{"unexpected data"}},
		{"wrong content type", "text/plain", "service_code=feedback", 415, []string{`content type "text/plain" is not accepted`}},
		{"no content type", "", "service_code=feedback", 415, []string{"is not accepted"}},
		{"a charset other than UTF-8", "application/x-www-form-urlencoded; charset=iso-8859-1", hazardForm().Encode(), 415, []string{"is not accepted"}},
		{"malformed form encoding", form, "api_key=" + publicKey + "&description=%zz", 400, []string{"form encoding"}},
		{"body over 64 KiB", form, formWith(func(f url.Values) { f.Set("description", strings.Repeat("x", 70<<10)) }), 413,
			[]string{"larger than 65536 bytes"}},
		{"unknown api_key", form, formWith(func(f url.Values) { f.Set("api_key", "guessed-key-0123456789") }), 403, []string{"api_key: the api_key is not valid"}},
		{"no api_key", form, formWith(func(f url.Values) { f.Del("api_key") }), 403, []string{"api_key: an api_key is required"}},
		{"unknown api_key wins over other faults", form, formWith(func(f url.Values) {
			f.Set("api_key", "guessed-key-0123456789")
			f.Set("service_code", "pothole")
		}), 403, []string{"api_key"}},
		{"bad Idempotency-Key", form, hazardForm().Encode(), 400, []string{"Idempotency-Key: "}},
	}
}

func TestBadInputGetsClearErrorsAndPublishesNothing(t *testing.T) {
	h := newHarness(t)
	for _, c := range badCases() {
		t.Run(c.name, func(t *testing.T) {
			var header http.Header
			if c.name == "bad Idempotency-Key" {
				header = http.Header{"Idempotency-Key": {"tab\tinside"}}
			}
			res := h.do(http.MethodPost, "/open311/v2/requests.json", c.contentType, []byte(c.body), header)
			if res.status != c.status {
				t.Fatalf("status %s, want %d", res, c.status)
			}
			errs := errorsOf(t, res)
			for _, want := range c.want {
				found := false
				for _, e := range errs {
					found = found || strings.Contains(e.Description, want) && e.Code != 0
				}
				if !found {
					t.Errorf("no error says %q: %+v", want, errs)
				}
			}
			if c.status == 403 && len(errs) != 1 {
				t.Errorf("a refused client learns %d errors, want only the api_key one", len(errs))
			}
		})
	}
	if n := len(h.requests()); n != 0 {
		t.Fatalf("bad input published %d requests", n)
	}
}

func TestSeveralErrorsAtOnceInXMLAndArabic(t *testing.T) {
	h := newHarness(t)
	res := h.postForm("/open311/v2/requests.xml?lang=ar", func() url.Values {
		f := hazardForm()
		f.Del("attribute[hazard_type]")
		f.Set("attribute[premises_type]", "castle")
		return f
	}(), nil)
	var doc struct {
		XMLName xml.Name `xml:"errors"`
		Errors  []struct {
			Code        int    `xml:"code"`
			Description string `xml:"description"`
		} `xml:"error"`
	}
	if err := xml.Unmarshal(res.body, &doc); err != nil || res.status != http.StatusBadRequest {
		t.Fatalf("%v %s", err, res)
	}
	if len(doc.Errors) != 2 || doc.Errors[0].Code != 400 || !strings.Contains(doc.Errors[0].Description, "الإجابة عن «نوع الخطر» مطلوبة") ||
		!strings.Contains(doc.Errors[1].Description, "ليست من قيم") {
		t.Fatalf("errors = %+v", doc.Errors)
	}
	if len(h.requests()) != 0 {
		t.Fatal("published")
	}
}
