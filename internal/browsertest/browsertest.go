// Package browsertest is what the web front ends' tests share to act as a
// browser: a headless Chromium for pages with scripts, and a plain HTTP
// client with cookies for checking each step of a form.
package browsertest

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"testing"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian's chromium package installs the browser.
const ChromiumPath = "/usr/bin/chromium"

// StartChromium starts a headless Chromium with a fresh profile and returns
// its context; the browser closes when the test ends. Without Chromium the
// test is skipped, unless CI is set: there a missing browser fails it.
//
// The browser is started here, without a deadline, so that a caller may
// bound its steps with deadlines of their own: a deadline on the context of
// the first step would bound the whole browser.
func StartChromium(t testing.TB) context.Context {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("%s not installed: the browser test needs Chromium (apt-get install chromium); in CI it would fail", ChromiumPath)
		}
		t.Fatalf("CI is set but %s is missing: %v", ChromiumPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// NewClient returns an HTTP client that keeps cookies, as a browser does,
// but does not follow redirects, so that a test sees each one.
func NewClient() *http.Client {
	jar, _ := cookiejar.New(nil) // fails only with options, and there are none
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Do sends req with c and reads the whole answer. A request that cannot be
// sent fails the test.
func Do(t testing.TB, c *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL.Path, err)
	}
	return res, body
}
