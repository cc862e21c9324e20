package backoffice_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/internal/browsertest"
)

func TestOfficerWorksATicketInTheBrowser(t *testing.T) {
	ctx, cancel := context.WithTimeout(browsertest.StartChromium(t), 45*time.Second)
	defer cancel()
	st := newStack(t)
	req, _ := st.submit()
	rec := st.ticketOf(req.RequestID)
	base := st.web.URL + "/backoffice"
	ticketRow := `tr[data-ticket="` + rec.ID + `"] a.ticket-link`
	noteAR, noteEN := "صدرت الشهادة ويمكن استلامها", "The certificate is ready for collection"

	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#officer"), "lic-1"),
		chromedp.SendKeys(chromedp.CSS("#password"), "pw-lic-1"),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#queue-licensing")),
		chromedp.Click(chromedp.CSS("#queue-licensing a.queue-link")),
		chromedp.WaitVisible(chromedp.CSS(ticketRow)),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	// A ticket that arrives while the officer looks at the queue shows up
	// by itself (Server-Sent Events), without a reload.
	req2, _ := st.submit()
	second := st.ticketOf(req2.RequestID)
	err = chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(`tr[data-ticket="`+second.ID+`"]`)),
		chromedp.Click(chromedp.CSS(ticketRow)),
		chromedp.WaitVisible(chromedp.CSS("#act-accept")),
		chromedp.Click(chromedp.CSS("#do-accept")),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-status="accepted"]`)),
		chromedp.Click(chromedp.CSS("#do-start")),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-status="in_progress"]`)),
		chromedp.SendKeys(chromedp.CSS("#resolve-note-ar"), noteAR),
		chromedp.SendKeys(chromedp.CSS("#resolve-note-en"), noteEN),
		chromedp.Click(chromedp.CSS("#do-resolve")),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-status="resolved"]`)),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	version, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#version")))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#lang-switch")),
		chromedp.WaitVisible(chromedp.CSS(`html[dir="rtl"] #status[data-status="resolved"]`)))
	if err != nil {
		t.Fatalf("switch to Arabic: %v", err)
	}
	dir, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("html"), "dir"))
	if err != nil {
		t.Fatal(err)
	}
	if dir.Value != "rtl" || version != "3" {
		t.Fatalf("after switching to Arabic: dir %q, version %q", dir.Value, version)
	}
	screenshot(t, ctx)

	got := st.waitCC(req.RequestID, contracts.StatusResolved)
	last := got[len(got)-1]
	if last.PublicNote == nil || last.PublicNote.AR != noteAR || last.PublicNote.EN != noteEN {
		t.Fatalf("the contact centre got the note %+v", last.PublicNote)
	}
}

// screenshot saves the page when BO_SCREENSHOTS names a directory, for a
// person to look at.
func screenshot(t *testing.T, ctx context.Context) {
	dir := os.Getenv("BO_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot: %v", err)
		return
	}
	_ = os.WriteFile(filepath.Join(dir, t.Name()+".png"), png, 0o644)
}
