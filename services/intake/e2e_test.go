package intake_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
	"github.com/sharjah-handoff/handoff/internal/natstest"
	"github.com/sharjah-handoff/handoff/services/intake"
)

// TestEndToEnd follows one request across both agencies: POSTed to the
// intake, ticketed by a real broker on the Civil Defence queue, changed by
// Civil Defence through the events library, and seen by the contact centre
// both in GET and on the live feed, which resumes from Last-Event-ID
// without losing or repeating an event.
func TestEndToEnd(t *testing.T) {
	h := newHarness(t)
	h.startBroker()
	c := h.submit(hazardForm())
	ticket := h.waitTicket(c.ID)
	if ticket.Queue != "complaints" || ticket.RequestReference != c.Reference || ticket.Request.Caller.FirstName != "Fatima" {
		t.Fatalf("ticket = %+v", ticket)
	}
	queued := h.waitStatus(c.ID, contracts.StatusQueued)
	if queued.TicketReference != ticket.TicketReference {
		t.Fatalf("view ticket reference %q, want %q", queued.TicketReference, ticket.TicketReference)
	}

	live := h.openFeed("/open311/v2/feed?service_request_id="+c.Reference, http.Header{"X-Api-Key": {publicKey}})
	note := &contracts.Text{EN: "An inspector will visit tomorrow morning.", AR: "سيزور المفتش الموقع صباح الغد."}
	expected := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	sent := time.Now()
	h.cdStatus(ticket.TicketID, c.ID, 1, contracts.StatusAccepted, note, &expected)
	var r requestJSON
	natstest.CheckFor(t, 5*time.Second, time.Millisecond, func() error {
		if r = h.request(c.ID, ""); r.StatusCode != "accepted" {
			return fmt.Errorf("status %s", r.StatusCode)
		}
		return nil
	})
	t.Logf("CD status change visible in GET after %s", time.Since(sent).Round(time.Millisecond))
	exp, _ := time.Parse(time.RFC3339, *r.Expected)
	if *r.StatusNotes != note.EN || r.CDStatusCode != "CD-ACCEPTED" || !exp.Equal(expected) || r.Status != "open" {
		t.Fatalf("after the CD update: %+v", r)
	}
	if ar := h.request(c.Reference, "&lang=ar"); *ar.StatusNotes != note.AR {
		t.Fatalf("Arabic note %q", *ar.StatusNotes)
	}

	accepted := live.next(t)
	if accepted.event != "status" || accepted.data["status_code"] != "accepted" || accepted.data["status_notes"] != note.EN ||
		accepted.data["service_request_id"] != c.ID || accepted.data["ticket_reference"] != ticket.TicketReference {
		t.Fatalf("feed event = %+v", accepted)
	}
	if want := lastSeq(t, h, c.ID); accepted.id != strconv.FormatUint(want, 10) {
		t.Fatalf("event id %s, want the stream sequence %d", accepted.id, want)
	}
	live.close()

	// While the client is away, Civil Defence moves on twice.
	h.cdStatus(ticket.TicketID, c.ID, 2, contracts.StatusInProgress, nil, nil)
	h.cdStatus(ticket.TicketID, c.ID, 3, contracts.StatusInfoRequested,
		&contracts.Text{EN: "Please send a photo of the exit.", AR: "يرجى إرسال صورة للمخرج."}, nil)
	h.waitStatus(c.ID, contracts.StatusInfoRequested)

	resumed := h.openFeed("/open311/v2/feed?lang=ar&service_request_id="+c.ID,
		http.Header{"X-Api-Key": {publicKey}, "Last-Event-ID": {accepted.id}})
	missed := []sseEvent{resumed.next(t), resumed.next(t)}
	if missed[0].data["status_code"] != "in_progress" || missed[1].data["status_code"] != "info_requested" ||
		missed[1].data["status_notes"] != "يرجى إرسال صورة للمخرج." {
		t.Fatalf("missed events = %+v", missed)
	}
	first, _ := strconv.ParseUint(accepted.id, 10, 64)
	a, _ := strconv.ParseUint(missed[0].id, 10, 64)
	b, _ := strconv.ParseUint(missed[1].id, 10, 64)
	if a <= first || b <= a {
		t.Fatalf("ids %d then %d after %d", a, b, first)
	}
	resumed.quiet(t, 300*time.Millisecond)

	// The whole life is one trace: capture, publish, ticket.
	var captureTrace string
	for _, s := range h.spans.Ended() {
		if s.Name() == "capture request" {
			captureTrace = s.SpanContext().TraceID().String()
		}
	}
	for _, m := range natstest.StreamMessages(t, h.s, events.StreamCDTickets, "cd.ticket.*."+ticket.TicketID+".opened") {
		if tp := m.Header.Get("traceparent"); captureTrace == "" || !strings.Contains(tp, captureTrace) {
			t.Fatalf("ticket traceparent %q is not in the capture's trace %q", tp, captureTrace)
		}
	}
}

func lastSeq(t *testing.T, h *harness, rid string) uint64 {
	msgs := natstest.StreamMessages(t, h.s, events.StreamCCUpdates, "cc.update."+rid+".>")
	md := msgs[len(msgs)-1]
	return md.Sequence
}

func TestFeedRequiresCredentialsAndResumesUnfiltered(t *testing.T) {
	h := newHarness(t)
	if res := h.get("/open311/v2/feed"); res.status != http.StatusForbidden {
		t.Fatalf("feed without a key: %s", res)
	}
	if res := h.get("/open311/v2/feed?api_key=" + publicKey + "&service_request_id=CC-0000-0000"); res.status != http.StatusNotFound {
		t.Fatalf("feed of an unknown reference: %s", res)
	}
	if res := h.do(http.MethodGet, "/open311/v2/feed?api_key="+publicKey, "", nil, http.Header{"Last-Event-ID": {"yesterday"}}); res.status != http.StatusBadRequest {
		t.Fatalf("bad Last-Event-ID: %s", res)
	}
	a, b := h.submit(hazardForm()), h.submit(hazardForm())
	h.ccStatus(a.ID, a.Reference, 1, contracts.StatusQueued, nil)
	h.ccStatus(b.ID, b.Reference, 1, contracts.StatusQueued, nil)
	h.ccStatus(a.ID, a.Reference, 2, contracts.StatusAccepted, nil)
	all := h.openFeed("/open311/v2/feed?last_event_id=1&api_key="+publicKey, nil)
	got := []sseEvent{all.next(t), all.next(t)}
	if got[0].id != "2" || got[0].data["service_request_id"] != b.ID || got[1].id != "3" || got[1].data["status_code"] != "accepted" {
		t.Fatalf("resumed after 1: %+v", got)
	}
	all.quiet(t, 200*time.Millisecond)
	// last_event_id=0 is "from the start", which is how a page that has
	// applied no update yet asks.
	fromStart := h.openFeed("/open311/v2/feed?last_event_id=0&service_request_id="+a.ID+"&api_key="+publicKey, nil)
	if e1, e2 := fromStart.next(t), fromStart.next(t); e1.id != "1" || e2.id != "3" {
		t.Fatalf("from the start: %s then %s", e1.id, e2.id)
	}
}

func TestFeedsAreBounded(t *testing.T) {
	h := newHarness(t, func(c *intake.Config) { c.MaxFeeds = 1 })
	first := h.openFeed("/open311/v2/feed?api_key="+publicKey, nil)
	if res := h.get("/open311/v2/feed?api_key=" + publicKey); res.status != http.StatusServiceUnavailable {
		t.Fatalf("a feed over the limit: %s", res)
	}
	first.close()
	// The closed feed's place is free again once its handler has ended.
	natstest.Eventually(t, func() error {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, h.web.URL+"/open311/v2/feed?api_key="+publicKey, nil)
		res, err := h.web.Client().Do(req)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("feed: %d", res.StatusCode)
		}
		return nil
	})
}
