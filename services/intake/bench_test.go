package intake_test

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/sharjah-handoff/handoff/services/intake"
)

// BenchmarkPostRequest measures POST requests end to end over HTTP: parse,
// check against the catalogue and the schema, reserve the reference,
// publish and wait for JetStream's acknowledgement, write the view.
func BenchmarkPostRequest(b *testing.B) {
	h := newHarness(b, func(c *intake.Config) { c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil)) })
	body := hazardForm().Encode()
	client := h.web.Client()
	for b.Loop() {
		res, err := client.Post(h.web.URL+"/open311/v2/requests.json", "application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			b.Fatalf("POST: %d", res.StatusCode)
		}
	}
}
