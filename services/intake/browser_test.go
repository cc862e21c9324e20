package intake_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/internal/browsertest"
)

// steps runs browser steps within a deadline.
func steps(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// read runs one browser query within a deadline.
func read[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// screenshot keeps a picture of the page when HANDOFF_SCREENSHOTS names a
// directory, for a person to look at.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("HANDOFF_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := read(t, ctx, chromedp.CaptureScreenshot())
	_ = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
}

type css = chromedp.CSS

// TestAgentPageInChromium is an agent's call in a real browser: log in,
// capture a fire hazard complaint in Arabic, read the reference out, and
// watch the status change live when Civil Defence accepts the ticket.
func TestAgentPageInChromium(t *testing.T) {
	ctx := browsertest.StartChromium(t)
	h := newHarness(t) // Secure cookies: browsers accept them from 127.0.0.1
	h.startBroker()

	steps(t, ctx, "log in",
		chromedp.Navigate(h.web.URL+"/agent/?lang=ar"),
		chromedp.WaitVisible(css(`#login`)),
		chromedp.SendKeys(css(`#agent_id`), agentID),
		chromedp.SendKeys(css(`#password`), agentPassword),
		chromedp.Submit(css(`#login`)),
		chromedp.WaitVisible(css(`#lookup`)),
	)
	if dir := read(t, ctx, chromedp.AttributeValue(css(`html`), "dir")); dir.Value != "rtl" {
		t.Fatalf("Arabic page has dir=%q", dir.Value)
	}
	screenshot(t, ctx, "1-home-ar")

	steps(t, ctx, "fill the form",
		chromedp.Click(css(`a[data-service="fire_hazard_complaint"]`)),
		chromedp.WaitVisible(css(`#capture`)),
		chromedp.SetValue(css(`[id="f-attribute[hazard_type]"]`), "gas_cylinder_storage"),
		chromedp.SetValue(css(`[id="f-attribute[premises_type]"]`), "restaurant"),
		chromedp.SendKeys(css(`#f-description`), "أسطوانات غاز مخزنة بجانب المطبخ"),
		chromedp.SendKeys(css(`#f-address_string`), "شارع الوحدة، الشارقة"),
		chromedp.SendKeys(css(`#f-first_name`), "خالد"),
		chromedp.SendKeys(css(`#f-phone`), "+971501112233"),
	)
	screenshot(t, ctx, "2-capture-ar")
	steps(t, ctx, "submit",
		chromedp.Click(css(`#submit`)),
		chromedp.WaitVisible(css(`#reference`)),
		chromedp.WaitVisible(css(`#connection.on`)),
	)
	reference := read(t, ctx, chromedp.Text(css(`#reference`)))
	if !regexp.MustCompile(`^CC-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`).MatchString(reference) {
		t.Fatalf("reference shown: %q", reference)
	}
	rec := h.request(reference, "")
	ticket := h.waitTicket(rec.ID)
	if ticket.Request.Language != "ar" || ticket.Request.Channel != "phone" || ticket.Request.Caller.FirstName != "خالد" {
		t.Fatalf("ticket snapshot = %+v", ticket.Request)
	}
	// The broker queued the ticket at about the time the page was drawn;
	// whether before or after, the page shows it.
	steps(t, ctx, "queued", chromedp.WaitVisible(css(`#status[data-status="queued"]`)))
	screenshot(t, ctx, "3-reference")

	note := &contracts.Text{EN: "An inspector will come today.", AR: "سيحضر المفتش اليوم."}
	h.cdStatus(ticket.TicketID, rec.ID, 1, contracts.StatusAccepted, note, nil)
	steps(t, ctx, "live update", chromedp.WaitVisible(css(`#status[data-status="accepted"]`)))
	status := read(t, ctx, chromedp.Text(css(`#status`)))
	shownNote := read(t, ctx, chromedp.Text(css(`#note`)))
	if status != "مقبول" || shownNote != note.AR {
		t.Fatalf("after Civil Defence accepted: status %q, note %q", status, shownNote)
	}
	screenshot(t, ctx, "4-live-accepted")

	// The same page in English, from the switch link.
	steps(t, ctx, "switch to English", chromedp.Click(css(`#switch-lang`)), chromedp.WaitVisible(css(`html[dir="ltr"] #status`)))
	if st := read(t, ctx, chromedp.Text(css(`#status`))); st != "Accepted" {
		t.Fatalf("English page: status %q", st)
	}
	screenshot(t, ctx, "5-english")
}
