package intake_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sharjah-handoff/handoff/internal/natstest"
	"github.com/sharjah-handoff/handoff/services/intake"
)

func TestPostWhenNATSConnectionIsClosedIs503(t *testing.T) {
	h := newHarness(t)
	h.nc.Close()
	start := time.Now()
	res := h.postForm("/open311/v2/requests.json", hazardForm(), nil)
	errs := errorsOf(t, res)
	if res.status != http.StatusServiceUnavailable || len(errs) != 1 || errs[0].Code != 503 ||
		!strings.Contains(errs[0].Description, "messaging system is unavailable") {
		t.Fatalf("POST with NATS gone: %s", res)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("a closed connection took %s to report", d)
	}
	if n := len(h.requests()); n != 0 {
		t.Fatalf("%d requests stored", n)
	}
}

func TestPostWhenNATSServerIsDownIs503(t *testing.T) {
	s := natstest.Start(t)
	h := startIntake(t, s, func(c *intake.Config) { c.SubmitTimeout, c.ReadTimeout = 800*time.Millisecond, 500*time.Millisecond })
	s.Shutdown()
	res := h.postForm("/open311/v2/requests.json?lang=ar", hazardForm(), nil)
	if errs := errorsOf(t, res); res.status != http.StatusServiceUnavailable || len(errs) != 1 ||
		!strings.Contains(errs[0].Description, "نظام المراسلة غير متاح") {
		t.Fatalf("POST with the server down: %s", res)
	}
	// Reading is refused cleanly too, and the catalogue still answers.
	if res := h.get("/open311/v2/requests.json?api_key=" + publicKey); res.status != http.StatusServiceUnavailable {
		t.Fatalf("GET requests with the server down: %s", res)
	}
	if res := h.get("/open311/v2/services.json"); res.status != http.StatusOK {
		t.Fatalf("GET services with the server down: %s", res)
	}
}
