package backoffice_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/internal/browsertest"
	"github.com/sharjah-handoff/handoff/services/backoffice"
)

// browser is an HTTP client with cookies that does not follow redirects,
// so that each step can be checked.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, o *office) *browser {
	return &browser{t: t, base: o.web.URL, c: browsertest.NewClient()}
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.base+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	res, body := browsertest.Do(b.t, b.c, req)
	return res, string(body)
}

func (b *browser) post(path string, form url.Values, header http.Header) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	res, body := browsertest.Do(b.t, b.c, req)
	return res, string(body)
}

var csrfPattern = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfPattern.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in page:\n%s", page)
	}
	return m[1]
}

// login logs in through the form and returns the session's CSRF token.
func (b *browser) login(officer, password string) string {
	b.t.Helper()
	_, page := b.get("/backoffice/login")
	res, body := b.post("/backoffice/login", url.Values{"officer": {officer}, "password": {password},
		"csrf": {csrfOf(b.t, page)}, "next": {"/backoffice/"}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("login as %s: %d\n%s", officer, res.StatusCode, body)
	}
	_, page = b.get("/backoffice/")
	return csrfOf(b.t, page)
}

func TestLoginSessionAndCSRF(t *testing.T) {
	o := newOffice(t, nil)
	tk := o.open("licensing")
	b := newBrowser(t, o)

	res, _ := b.get("/backoffice/")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/backoffice/login?next=") {
		t.Fatalf("anonymous page: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	b.get("/backoffice/login")
	if res, body := b.post("/backoffice/login", url.Values{"officer": {"lic-1"}, "password": {"pw-lic-1"}}, nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("login without the form's token: %d %s", res.StatusCode, body)
	}
	_, page := b.get("/backoffice/login")
	if res, body := b.post("/backoffice/login", url.Values{"officer": {"lic-1"}, "password": {"nope"}, "csrf": {csrfOf(t, page)}}, nil); res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `id="error"`) {
		t.Fatalf("wrong password: %d", res.StatusCode)
	}
	_, page = b.get("/backoffice/login")
	res, _ = b.post("/backoffice/login", url.Values{"officer": {"lic-1"}, "password": {"pw-lic-1"}, "csrf": {csrfOf(t, page)},
		"next": {"/backoffice/tickets/" + tk.TicketID}}, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/backoffice/tickets/"+tk.TicketID {
		t.Fatalf("login: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	cookie := sessionCookie(t, res)
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/backoffice/" {
		t.Fatalf("session cookie %+v", cookie)
	}

	_, page = b.get("/backoffice/")
	if !strings.Contains(page, `id="queue-licensing"`) || strings.Contains(page, `id="queue-complaints"`) {
		t.Fatalf("queue list of a licensing officer:\n%s", page)
	}
	_, page = b.get("/backoffice/tickets/" + tk.TicketID)
	if !strings.Contains(page, `id="act-accept"`) || !strings.Contains(page, "bakery") && !strings.Contains(page, "مخبز") {
		t.Fatalf("ticket page:\n%s", page)
	}
	token := csrfOf(t, page)
	if res, _ := b.post("/backoffice/tickets/"+tk.TicketID+"/accept", url.Values{"version": {"0"}}, nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("form post without CSRF token: %d", res.StatusCode)
	}
	res, _ = b.post("/backoffice/tickets/"+tk.TicketID+"/accept", url.Values{"version": {"0"}, "csrf": {token}}, nil)
	if res.StatusCode != http.StatusSeeOther || o.record(tk.TicketID).Status != contracts.StatusAccepted {
		t.Fatalf("form accept: %d", res.StatusCode)
	}
	res, page = b.post("/backoffice/tickets/"+tk.TicketID+"/accept", url.Values{"version": {"0"}, "csrf": {token}}, nil)
	if res.StatusCode != http.StatusConflict || !strings.Contains(page, `id="error"`) {
		t.Fatalf("second accept from the page: %d", res.StatusCode)
	}

	// The API with the session cookie wants the token in a header.
	if res, _ := b.post("/backoffice/api/tickets/"+tk.TicketID+"/start", nil, nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("API post with cookie, no token: %d", res.StatusCode)
	}
	res, body := b.post("/backoffice/api/tickets/"+tk.TicketID+"/start", nil, http.Header{"X-Csrf-Token": {token}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("API post with cookie and token: %d %s", res.StatusCode, body)
	}

	res, _ = b.post("/backoffice/logout", url.Values{"csrf": {token}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	if res, _ := b.get("/backoffice/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("after logout: %d", res.StatusCode)
	}
}

func sessionCookie(t *testing.T, res *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range res.Cookies() {
		if c.Name == "bo_session" {
			return c
		}
	}
	t.Fatal("no session cookie")
	return nil
}

func TestForeignTicketPageIsNotFoundAndRedirectsStayInside(t *testing.T) {
	o := newOffice(t, nil)
	comp := o.open("complaints")
	b := newBrowser(t, o)
	_, page := b.get("/backoffice/login")
	res, _ := b.post("/backoffice/login", url.Values{"officer": {"lic-1"}, "password": {"pw-lic-1"}, "csrf": {csrfOf(t, page)},
		"next": {"//evil.example/"}}, nil)
	if res.Header.Get("Location") != "/backoffice/" {
		t.Fatalf("open redirect to %q", res.Header.Get("Location"))
	}
	if res, _ := b.get("/backoffice/tickets/" + comp.TicketID); res.StatusCode != http.StatusNotFound {
		t.Fatalf("complaints ticket for a licensing officer: %d", res.StatusCode)
	}
	if res, _ := b.get("/backoffice/queues/complaints"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("complaints queue for a licensing officer: %d", res.StatusCode)
	}
}

// A form post whose session ran out comes back, after logging in, to the
// page the form was on, not to its POST-only action URL.
func TestExpiredSessionFormPostReturnsToItsPage(t *testing.T) {
	o := newOffice(t, nil)
	lic := o.open("licensing")
	b := newBrowser(t, o)
	page := b.base + "/backoffice/tickets/" + lic.TicketID
	res, _ := b.post("/backoffice/tickets/"+lic.TicketID+"/accept", url.Values{}, http.Header{"Referer": {page}})
	want := "/backoffice/login?next=" + url.QueryEscape("/backoffice/tickets/"+lic.TicketID)
	if loc := res.Header.Get("Location"); loc != want {
		t.Fatalf("redirected to %q, want %q", loc, want)
	}
	res, _ = b.post("/backoffice/tickets/"+lic.TicketID+"/accept", url.Values{}, http.Header{"Referer": {"https://evil.example/x"}})
	if loc := res.Header.Get("Location"); loc != "/backoffice/login?next="+url.QueryEscape("/backoffice/") {
		t.Fatalf("a foreign referer was followed: %q", loc)
	}
}

func TestPageSpeaksArabicAndEnglish(t *testing.T) {
	o := newOffice(t, nil)
	o.open("licensing")
	b := newBrowser(t, o)
	b.login("lic-1", "pw-lic-1")
	_, page := b.get("/backoffice/")
	if !strings.Contains(page, `<html lang="ar" dir="rtl">`) || !strings.Contains(page, "التراخيص والشهادات") {
		t.Fatalf("default page is not Arabic:\n%s", page)
	}
	res, _ := b.get("/backoffice/lang/en?next=/backoffice/queues/licensing")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/backoffice/queues/licensing" {
		t.Fatalf("switch: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	_, page = b.get("/backoffice/queues/licensing")
	if !strings.Contains(page, `<html lang="en" dir="ltr">`) || !strings.Contains(page, "No-objection certificate") || !strings.Contains(page, ">new<") {
		t.Fatalf("English queue page:\n%s", page)
	}
}

func TestLiveUpdatesReachOnlyTheOfficersQueues(t *testing.T) {
	o := newOffice(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, o.web.URL+"/backoffice/api/events", nil)
	req.SetBasicAuth("lic-1", "pw-lic-1")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	comp := o.open("complaints")
	lic := o.open("licensing")
	o.publishTicket(contracts.TypeTicketAmended, "licensing", lic.TicketID, lic.RequestID, contracts.TicketAmended{
		TicketID: lic.TicketID, RequestID: lic.RequestID, Queue: "licensing", AmendedAt: time.Now().UTC(), Note: "more"})

	var kinds []string
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() && len(kinds) < 2 {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var c backoffice.Change
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			t.Fatal(err)
		}
		if c.TicketID == comp.TicketID || c.Queue == "complaints" {
			t.Fatalf("a complaints change reached a licensing officer: %+v", c)
		}
		if c.TicketID == lic.TicketID {
			kinds = append(kinds, c.Kind)
		}
	}
	if strings.Join(kinds, ",") != "opened,amended" {
		t.Fatalf("live changes %v, want opened then amended", kinds)
	}
}

// A form larger than any the pages send is refused before it is read,
// whether or not its sender has logged in.
func TestOversizedFormsAreRefused(t *testing.T) {
	o := newOffice(t, nil)
	tk := o.open("licensing")
	b := newBrowser(t, o)
	pad := strings.Repeat("x", 300<<10)
	_, page := b.get("/backoffice/login")
	res, _ := b.post("/backoffice/login", url.Values{"officer": {"lic-1"}, "password": {"pw-lic-1"}, "csrf": {csrfOf(t, page)},
		"pad": {pad}}, nil)
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized login form: %d", res.StatusCode)
	}
	token := b.login("lic-1", "pw-lic-1")
	res, _ = b.post("/backoffice/tickets/"+tk.TicketID+"/accept", url.Values{"version": {"0"}, "csrf": {token}, "pad": {pad}}, nil)
	if res.StatusCode != http.StatusRequestEntityTooLarge || o.record(tk.TicketID).Status != contracts.StatusQueued {
		t.Fatalf("oversized action form: %d, ticket %s", res.StatusCode, o.record(tk.TicketID).Status)
	}
}
