package intake_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/internal/browsertest"
	"github.com/sharjah-handoff/handoff/services/intake"
)

// browser is an HTTP client with cookies that does not follow redirects,
// so that tests see them.
type browser struct {
	t      testing.TB
	h      *harness
	client *http.Client
}

func (h *harness) browser() *browser {
	return &browser{t: h.t, h: h, client: browsertest.NewClient()}
}

func (b *browser) do(method, path string, form url.Values, header http.Header) response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.h.web.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, data := browsertest.Do(b.t, b.client, req)
	return response{status: res.StatusCode, header: res.Header, body: data}
}

func (b *browser) get(path string) response { return b.do(http.MethodGet, path, nil, nil) }

var hiddenInput = regexp.MustCompile(`name="(token|csrf|submission_id)" value="([^"]*)"`)

func hidden(t testing.TB, page response, name string) string {
	t.Helper()
	for _, m := range hiddenInput.FindAllStringSubmatch(string(page.body), -1) {
		if m[1] == name {
			return html.UnescapeString(m[2])
		}
	}
	t.Fatalf("no hidden %s in %s", name, page.body)
	return ""
}

func (b *browser) login() {
	b.t.Helper()
	page := b.get("/agent/login")
	res := b.do(http.MethodPost, "/agent/login", url.Values{"token": {hidden(b.t, page, "token")},
		"agent_id": {agentID}, "password": {agentPassword}, "next": {"/agent/"}}, nil)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/agent/" {
		b.t.Fatalf("login: %s", res)
	}
}

func plainCookies(c *intake.Config) { c.PlainHTTPCookies = true }

func TestAgentLogin(t *testing.T) {
	h := newHarness(t, plainCookies)
	b := h.browser()
	if res := b.get("/agent/"); res.status != http.StatusSeeOther || res.header.Get("Location") != "/agent/login?next=%2Fagent%2F" {
		t.Fatalf("anonymous /agent/: %s %v", res, res.header)
	}
	page := b.get("/agent/login")
	token := hidden(t, page, "token")
	for _, c := range []struct {
		form   url.Values
		status int
	}{
		{url.Values{"agent_id": {agentID}, "password": {agentPassword}}, http.StatusForbidden},
		{url.Values{"token": {"forged"}, "agent_id": {agentID}, "password": {agentPassword}}, http.StatusForbidden},
		{url.Values{"token": {token}, "agent_id": {agentID}, "password": {"wrong password"}}, http.StatusUnauthorized},
		{url.Values{"token": {token}, "agent_id": {"nobody"}, "password": {agentPassword}}, http.StatusUnauthorized},
	} {
		if res := b.do(http.MethodPost, "/agent/login", c.form, nil); res.status != c.status {
			t.Errorf("login %v: %d, want %d", c.form, res.status, c.status)
		}
	}
	res := b.do(http.MethodPost, "/agent/login", url.Values{"token": {token}, "agent_id": {agentID}, "password": {agentPassword},
		"next": {"https://evil.example/"}}, nil)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/agent/" {
		t.Fatalf("login with a foreign next: %s, Location %q", res, res.header.Get("Location"))
	}
	home := b.get("/agent/?lang=ar")
	body := string(home.body)
	if home.status != http.StatusOK || !strings.Contains(body, `<html lang="ar" dir="rtl">`) ||
		!strings.Contains(body, "تفتيش السلامة من الحرائق") || !strings.Contains(body, "Fire safety inspection") ||
		!strings.Contains(body, "inspection_reschedule") || strings.Contains(body, "fireworks_display_permit") ||
		!strings.Contains(body, "حوّل المتصل فورا إلى الرقم 997") {
		t.Fatalf("home in Arabic: %s", home)
	}
	if csp := home.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("CSP %q", csp)
	}
	// The language choice sticks.
	if en := b.get("/agent/?lang=en"); !strings.Contains(string(en.body), `<html lang="en" dir="ltr">`) {
		t.Fatal("lang=en not applied")
	}
	if again := b.get("/agent/"); !strings.Contains(string(again.body), `<html lang="en" dir="ltr">`) {
		t.Fatal("language not remembered")
	}
	csrf := hidden(t, home, "csrf")
	if res := b.do(http.MethodPost, "/agent/logout", url.Values{"csrf": {"forged"}}, nil); res.status != http.StatusForbidden {
		t.Fatalf("logout without the CSRF token: %s", res)
	}
	if res := b.do(http.MethodPost, "/agent/logout", url.Values{"csrf": {csrf}}, nil); res.status != http.StatusSeeOther {
		t.Fatalf("logout: %s", res)
	}
	if res := b.get("/agent/"); res.status != http.StatusSeeOther {
		t.Fatalf("after logout: %s", res)
	}
}

func TestAgentCookiesAreSecure(t *testing.T) {
	h := newHarness(t)
	res := h.get("/agent/login")
	cookies := res.header.Values("Set-Cookie")
	if len(cookies) == 0 {
		t.Fatal("no login cookie")
	}
	for _, c := range cookies {
		for _, flag := range []string{"Secure", "HttpOnly", "SameSite=Strict", "Path=/agent/"} {
			if !strings.Contains(c, flag) {
				t.Errorf("cookie %q lacks %s", c, flag)
			}
		}
	}
}

func TestAgentCapture(t *testing.T) {
	h := newHarness(t, plainCookies)
	b := h.browser()
	b.login()
	form := b.get("/agent/capture/fire_hazard_complaint?lang=ar")
	if form.status != http.StatusOK || !strings.Contains(string(form.body), `name="attribute[hazard_type]"`) ||
		!strings.Contains(string(form.body), "مخرج طوارئ مغلق") {
		t.Fatalf("capture form: %s", form)
	}
	fields := url.Values{"csrf": {hidden(t, form, "csrf")}, "submission_id": {hidden(t, form, "submission_id")},
		"language": {"ar"}, "channel": {"phone"}, "attribute[premises_type]": {"castle"}, "phone": {"call me"},
		"description": {"مخرج الطوارئ مغلق بالصناديق"}}
	if res := b.do(http.MethodPost, "/agent/capture/fire_hazard_complaint", fields, http.Header{"Origin": {"https://evil.example"}}); res.status != http.StatusForbidden {
		t.Fatalf("a cross-origin post: %s", res)
	}
	bad := b.do(http.MethodPost, "/agent/capture/fire_hazard_complaint", fields, nil)
	page := string(bad.body)
	if bad.status != http.StatusUnprocessableEntity ||
		!regexp.MustCompile(`(?s)class="field invalid" data-field="attribute\[hazard_type\]">.*?الإجابة عن «نوع الخطر» مطلوبة`).MatchString(page) ||
		!regexp.MustCompile(`(?s)data-field="attribute\[premises_type\]">.*?ليست من قيم`).MatchString(page) ||
		!regexp.MustCompile(`(?s)data-field="phone">.*?class="field-error"`).MatchString(page) ||
		!strings.Contains(page, `data-field="location"`) || !strings.Contains(page, "مخرج الطوارئ مغلق بالصناديق") {
		t.Fatalf("invalid capture: %s", bad)
	}
	if n := len(h.requests()); n != 0 {
		t.Fatalf("an invalid capture published %d requests", n)
	}
	fields.Set("attribute[hazard_type]", "blocked_exit")
	fields.Set("attribute[premises_type]", "restaurant")
	fields.Set("attribute[observed_at]", "2026-01-15T08:30")
	fields.Set("phone", "+971 50 123 4567")
	fields.Set("address_string", "Al Qasimia, Sharjah")
	ok := b.do(http.MethodPost, "/agent/capture/fire_hazard_complaint", fields, nil)
	if ok.status != http.StatusSeeOther || !strings.HasPrefix(ok.header.Get("Location"), "/agent/requests/CC-") {
		t.Fatalf("capture: %s", ok)
	}
	again := b.do(http.MethodPost, "/agent/capture/fire_hazard_complaint", fields, nil)
	if again.header.Get("Location") != ok.header.Get("Location") {
		t.Fatalf("a resent form went to %s, not %s", again.header.Get("Location"), ok.header.Get("Location"))
	}
	msgs := h.requests()
	if len(msgs) != 1 {
		t.Fatalf("%d requests for one form", len(msgs))
	}
	var req contracts.RequestSubmitted
	decodeJSON(t, msgs[0].Data, &req)
	if req.Channel != "phone" || req.Language != "ar" || req.AgentID != agentID || req.Attributes["observed_at"] != "2026-01-15T08:30:00+04:00" {
		t.Fatalf("published %+v", req)
	}
	shown := b.get(ok.header.Get("Location"))
	if !strings.Contains(string(shown.body), `id="reference">`+req.Reference+`<`) || !strings.Contains(string(shown.body), "اقرأ هذا الرقم المرجعي للمتصل") {
		t.Fatalf("request page: %s", shown)
	}
	lookup := b.get("/agent/requests?ref=" + url.QueryEscape(strings.ToLower(strings.ReplaceAll(req.Reference, "-", " "))))
	if lookup.status != http.StatusSeeOther || lookup.header.Get("Location") != "/agent/requests/"+req.Reference {
		t.Fatalf("lookup: %s %v", lookup, lookup.header)
	}
	if res := b.get("/agent/requests/CC-0000-0000"); res.status != http.StatusNotFound || !strings.Contains(string(res.body), "لا يوجد طلب بهذا الرقم المرجعي") {
		t.Fatalf("unknown reference: %s", res)
	}
	if res := b.get("/agent/capture/emergency"); !strings.Contains(string(res.body), `id="emergency-notice"`) || strings.Contains(string(res.body), `id="capture"`) {
		t.Fatalf("emergency capture page: %s", res)
	}
	if res := h.get("/agent/feed?service_request_id=" + req.RequestID); res.status != http.StatusUnauthorized {
		t.Fatalf("feed without a session: %s", res)
	}
}
