package contracts_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sharjah-handoff/handoff/contracts"
)

func defaultCatalogue(t *testing.T) *contracts.Catalogue {
	t.Helper()
	c, err := contracts.DefaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCatalogueHasTheAgreedServices(t *testing.T) {
	c := defaultCatalogue(t)
	want := map[string]string{
		"fire_safety_inspection":          "تفتيش السلامة من الحرائق",
		"building_completion_certificate": "شهادة إنجاز المبنى",
		"no_objection_certificate":        "شهادة عدم ممانعة",
		"fire_protection_drawings":        "اعتماد مخططات أنظمة الحماية من الحريق",
		"fire_hazard_complaint":           "بلاغ عن خطر حريق غير طارئ",
		"safety_training":                 "دورة تدريبية في السلامة",
		"evacuation_drill":                "تمرين إخلاء",
		"service_inquiry":                 "استفسار عن خدمة أو معاملة",
		"feedback":                        "اقتراح أو شكوى",
	}
	queues := []string{"complaints", "customer_care", "inspections", "licensing", "training"}
	for code, ar := range want {
		s, ok := c.Lookup(code)
		switch {
		case !ok:
			t.Errorf("%s missing", code)
		case s.Name.AR != ar || s.Name.EN == "":
			t.Errorf("%s: name %+v, want Arabic %q and an English name", code, s.Name, ar)
		case !s.Active || s.Emergency || !s.Ticketed():
			t.Errorf("%s: want an active, ticketed service", code)
		case !slices.Contains(queues, s.Queue):
			t.Errorf("%s: queue %q", code, s.Queue)
		case s.AckSLA() <= 0 || s.ResolveSLA() <= s.AckSLA():
			t.Errorf("%s: SLAs ack %v resolve %v", code, s.AckSLA(), s.ResolveSLA())
		case len(s.Attributes) == 0:
			t.Errorf("%s: no attributes", code)
		}
		wantLocation := code != "service_inquiry" && code != "feedback"
		if s.LocationRequired != wantLocation {
			t.Errorf("%s: location_required = %v, want %v", code, s.LocationRequired, wantLocation)
		}
	}
	if got := c.Queues(); !slices.Equal(got, queues) {
		t.Errorf("Queues() = %v, want %v", got, queues)
	}
}

func TestEmergencyIsNeverTicketed(t *testing.T) {
	s, ok := defaultCatalogue(t).Lookup("emergency")
	if !ok {
		t.Fatal("no emergency entry")
	}
	if !s.Emergency || s.Ticketed() || s.Queue != "" || s.Notice == nil {
		t.Fatalf("emergency entry %+v", s)
	}
	if !strings.Contains(s.Notice.AR, "997") || !strings.Contains(s.Notice.EN, "997") {
		t.Errorf("notice %+v does not say 997 in both languages", s.Notice)
	}
}

func TestCatalogueFlags(t *testing.T) {
	c := defaultCatalogue(t)
	var staffOnly, inactive bool
	for _, s := range c.Services {
		staffOnly = staffOnly || s.StaffOnly
		inactive = inactive || !s.Active
	}
	if !staffOnly || !inactive {
		t.Fatalf("want at least one staff-only and one inactive entry (staff-only %v, inactive %v)", staffOnly, inactive)
	}
	public := c.Public()
	for _, s := range public {
		if s.StaffOnly || !s.Active {
			t.Errorf("Public() lists %s (staff-only %v, active %v)", s.Code, s.StaffOnly, s.Active)
		}
	}
	if !slices.ContainsFunc(public, func(s contracts.Service) bool { return s.Emergency }) {
		t.Error("Public() must list the emergency entry so front ends show the 997 notice")
	}
}

func TestCatalogueEntriesAreBilingual(t *testing.T) {
	for _, s := range defaultCatalogue(t).Services {
		texts := []contracts.Text{s.Name, s.Description, s.Group}
		for _, a := range s.Attributes {
			texts = append(texts, a.Description)
			for _, v := range a.Values {
				texts = append(texts, v.Name)
			}
		}
		for _, x := range texts {
			if x.AR == "" || x.EN == "" {
				t.Errorf("%s: text %+v is not bilingual", s.Code, x)
			}
		}
	}
}

func TestDefaultCatalogueReturnsAFreshCopy(t *testing.T) {
	a := defaultCatalogue(t)
	a.Services[0].AckSLASeconds = 1
	a.Services[0].Attributes[0].Required = false
	b := defaultCatalogue(t)
	if b.Services[0].AckSLASeconds == 1 || !b.Services[0].Attributes[0].Required {
		t.Fatal("a change to one DefaultCatalogue result leaked into the next")
	}
}

func TestLookupUnknown(t *testing.T) {
	if _, ok := defaultCatalogue(t).Lookup("pizza_delivery"); ok {
		t.Fatal("Lookup found a service that does not exist")
	}
}

func TestParseCatalogueRejectsBadCatalogues(t *testing.T) {
	const svc = `{"code":%q,"name":{"ar":"خدمة","en":"Service"},"description":{"ar":"وصف","en":"Description"},
		"group":{"ar":"مجموعة","en":"Group"},"queue":"inspections","priority":"normal","ack_sla_seconds":60,
		"resolve_sla_seconds":600,"active":true,"staff_only":false,"emergency":false,"location_required":true}`
	cases := map[string]struct {
		json, pointer, code string
	}{
		"duplicate code": {`{"version":"2026-01-15","services":[` + sprintf(svc, "a") + `,` + sprintf(svc, "a") + `]}`,
			"/services/1/code", "duplicate"},
		"missing arabic": {`{"version":"2026-01-15","services":[` +
			strings.Replace(sprintf(svc, "a"), `"ar":"خدمة",`, "", 1) + `]}`, "/services/0/name/ar", "required"},
		"emergency with queue": {`{"version":"2026-01-15","services":[` +
			strings.Replace(sprintf(svc, "a"), `"emergency":false`, `"emergency":true,"notice":{"ar":"997","en":"997"}`, 1) + `]}`,
			"/services/0", "not"},
		"list without values": {`{"version":"2026-01-15","services":[` +
			strings.Replace(sprintf(svc, "a"), `"location_required":true`, `"location_required":true,"attributes":[
			{"code":"kind","variable":true,"datatype":"singlevaluelist","required":true,"order":1,
			"description":{"ar":"النوع","en":"Kind"}}]`, 1) + `]}`, "/services/0/attributes/0/values", "required"},
		"not json": {`{"version":`, "", contracts.CodeInvalidJSON},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := contracts.ParseCatalogue([]byte(tc.json))
			if !errors.Is(err, contracts.ErrInvalidCatalogue) {
				t.Fatalf("got %v, want ErrInvalidCatalogue", err)
			}
			if ps := problems(t, err); !hasProblem(ps, tc.pointer, tc.code) {
				t.Fatalf("want %s at %q, got %+v", tc.code, tc.pointer, ps)
			}
		})
	}
}
