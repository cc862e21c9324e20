package backoffice_test

import (
	"slices"
	"testing"
	"time"

	"github.com/sharjah-handoff/handoff/civildefence"
	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
	"github.com/sharjah-handoff/handoff/services/backoffice"
)

func TestRequestWorkedEndToEndIsSeenAtTheContactCentre(t *testing.T) {
	st := newStack(t)
	req, traceID := st.submit()
	rec := st.ticketOf(req.RequestID)
	if rec.Queue != "licensing" || rec.Request.Description != req.Description || rec.RequestReference != req.Reference {
		t.Fatalf("ticket filed as %+v", rec)
	}
	tid := rec.ID
	st.waitCC(req.RequestID, contracts.StatusQueued)

	question := note("What is the trade licence number?", "ما رقم الرخصة التجارية؟")
	outcome := note("The certificate was issued; collect it at the Al Qasimia centre.", "صدرت الشهادة؛ يمكن استلامها من مركز القاسمية.")
	st.mustAct(tid, "accept", "lic-1", nil)
	st.waitCC(req.RequestID, contracts.StatusAccepted)
	st.mustAct(tid, "request-info", "lic-1", map[string]any{"note": question})
	st.waitCC(req.RequestID, contracts.StatusInfoRequested)

	// The caller answers: the contact centre amends the request.
	if _, err := st.cc.Publish(t.Context(), events.Outgoing{Type: contracts.TypeRequestAmended, Tokens: []string{req.RequestID},
		Subject: req.RequestID, CorrelationID: req.RequestID, Payload: contracts.RequestAmended{RequestID: req.RequestID,
			AmendedAt: time.Now().UTC(), Attributes: contracts.Attributes{"trade_license_number": "SHJ-123456"},
			Note: "licence number given by phone"}}); err != nil {
		t.Fatal(err)
	}
	rec = st.waitRecord(tid, func(r *backoffice.Record) bool { return r.CallerReplied })
	if rec.Request.Attributes["trade_license_number"] != "SHJ-123456" {
		t.Fatalf("amendment not on the ticket: %+v", rec.Request.Attributes)
	}
	st.mustAct(tid, "start", "lic-1", nil)
	st.mustAct(tid, "resolve", "lic-1", map[string]any{"note": outcome})
	st.mustAct(tid, "close", "lic-1", nil)
	got := st.waitCC(req.RequestID, contracts.StatusClosed)

	want := []contracts.Status{"queued", "accepted", "info_requested", "in_progress", "resolved", "closed"}
	if !slices.Equal(statusesOf(got), want) {
		t.Fatalf("contact centre saw %v, want %v", statusesOf(got), want)
	}
	for i, s := range got {
		if s.Sequence != i+1 || s.TicketID != tid {
			t.Fatalf("status %d: sequence %d ticket %s", i, s.Sequence, s.TicketID)
		}
	}
	if n := got[2].PublicNote; n == nil || n.EN != question["en"] || n.AR != question["ar"] {
		t.Fatalf("question reached the contact centre as %+v", n)
	}
	if n := got[4].PublicNote; n == nil || n.EN != outcome["en"] || n.AR != outcome["ar"] || got[4].CDStatusCode != "BO_RESOLVED" {
		t.Fatalf("outcome reached the contact centre as %+v (%s)", n, got[4].CDStatusCode)
	}

	// Every status event continues the trace the agent started.
	_, msgs := st.reports(tid)
	for i, m := range msgs {
		if id := (civildefence.TraceContext{Traceparent: m.Header.Get("traceparent")}).TraceID(); id != traceID {
			t.Fatalf("status event %d in trace %q, want the request's %s", i, id, traceID)
		}
	}
	if len(msgs) != 5 {
		t.Fatalf("%d status events", len(msgs))
	}
}
