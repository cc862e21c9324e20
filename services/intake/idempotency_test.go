package intake_test

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sharjah-handoff/handoff/events"
	"github.com/sharjah-handoff/handoff/internal/natstest"
	"github.com/sharjah-handoff/handoff/services/intake"
)

func TestIdempotencyKeyReturnsFirstResponseAndMakesOneRequest(t *testing.T) {
	h := newHarness(t)
	key := http.Header{"Idempotency-Key": {"crm-call-20260115-0042"}}
	first := h.postForm("/open311/v2/requests.json?extensions=true", hazardForm(), key)
	second := h.postForm("/open311/v2/requests.json?extensions=true", hazardForm(), key)
	if first.status != http.StatusCreated || second.status != http.StatusCreated || !bytes.Equal(first.body, second.body) {
		t.Fatalf("first %s\nsecond %s", first, second)
	}
	if first.header.Get("Idempotent-Replayed") != "" || second.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("Idempotent-Replayed: %q then %q", first.header.Get("Idempotent-Replayed"), second.header.Get("Idempotent-Replayed"))
	}
	if n := len(h.requests()); n != 1 {
		t.Fatalf("%d requests published for one Idempotency-Key", n)
	}
	changed := hazardForm()
	changed.Set("description", "Something else entirely")
	res := h.postForm("/open311/v2/requests.json", changed, key)
	if errs := errorsOf(t, res); res.status != http.StatusUnprocessableEntity || len(errs) != 1 || errs[0].Code != 422 ||
		!strings.Contains(errs[0].Description, "already used with a different request") {
		t.Fatalf("same key, other body: %s", res)
	}
	// Keys belong to their client: another client's identical key is its own.
	other := hazardForm()
	other.Set("api_key", staffKey)
	if res := h.postForm("/open311/v2/requests.json", other, key); res.status != http.StatusCreated || bytes.Equal(res.body, first.body) {
		t.Fatalf("another client's key: %s", res)
	}
	if n := len(h.requests()); n != 2 {
		t.Fatalf("%d requests published, want 2", n)
	}
}

func TestIdempotencyKeyUnderConcurrentRetries(t *testing.T) {
	h := newHarness(t)
	key := http.Header{"Idempotency-Key": {"burst-1"}}
	var wg sync.WaitGroup
	bodies := make([][]byte, 8)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := h.postForm("/open311/v2/requests.json", hazardForm(), key)
			if res.status != http.StatusCreated {
				t.Errorf("attempt %d: %s", i, res)
			}
			bodies[i] = res.body
		}()
	}
	wg.Wait()
	for i := range bodies {
		if !bytes.Equal(bodies[i], bodies[0]) {
			t.Fatalf("answers differ:\n%s\n%s", bodies[0], bodies[i])
		}
	}
	if n := len(h.requests()); n != 1 {
		t.Fatalf("%d requests published by 8 simultaneous attempts with one key", n)
	}
}

func TestIdempotencyKeyRetryAfterUnavailableCompletesTheSameRequest(t *testing.T) {
	s := natstest.Start(t)
	h := startIntake(t, s, func(c *intake.Config) { c.SubmitTimeout = 600 * time.Millisecond })
	// Take the stream away from under the intake, so that the publish
	// fails after the idempotency entry and the reference are written.
	_, admin := natstest.Connect(t, s, "broker-admin")
	ctx := t.Context()
	st, err := admin.Stream(ctx, events.StreamCCRequests)
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	if err := admin.DeleteStream(ctx, events.StreamCCRequests); err != nil {
		t.Fatal(err)
	}
	key := http.Header{"Idempotency-Key": {"retry-me"}}
	if res := h.postForm("/open311/v2/requests.json", hazardForm(), key); res.status != http.StatusServiceUnavailable {
		t.Fatalf("POST without a stream: %s", res)
	}
	if _, err := admin.CreateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	first := h.postForm("/open311/v2/requests.json", hazardForm(), key)
	again := h.postForm("/open311/v2/requests.json", hazardForm(), key)
	if first.status != http.StatusCreated || !bytes.Equal(first.body, again.body) || len(h.requests()) != 1 {
		t.Fatalf("retry after 503: %s / %s, %d requests", first, again, len(h.requests()))
	}
}
