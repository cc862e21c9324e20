package backoffice_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
	"github.com/sharjah-handoff/handoff/internal/natstest"
	"github.com/sharjah-handoff/handoff/services/backoffice"
)

func TestTicketsAreFiledWithRequestDeadlinesAndFullHistory(t *testing.T) {
	o := newOffice(t, nil)
	tk := o.open("licensing")

	q := o.call(http.MethodGet, "/queues", "lic-1", nil)
	queues := q.body["queues"].([]any)
	if q.status != 200 || len(queues) != 1 {
		t.Fatalf("queues of a licensing officer: %d %s", q.status, q.raw)
	}
	lic := queues[0].(map[string]any)
	if lic["queue"] != "licensing" || lic["depth"] != 1.0 || lic["overdue"] != 0.0 || lic["oldest_opened_at"] == nil {
		t.Fatalf("licensing summary: %v", lic)
	}
	list := o.call(http.MethodGet, "/queues/licensing/tickets", "lic-1", nil)
	if items := list.body["tickets"].([]any); len(items) != 1 || items[0].(map[string]any)["ticket_id"] != tk.TicketID {
		t.Fatalf("queue list: %s", list.raw)
	}

	now := time.Now().UTC()
	o.publishTicket(contracts.TypeTicketAmended, "licensing", tk.TicketID, tk.RequestID, contracts.TicketAmended{
		TicketID: tk.TicketID, RequestID: tk.RequestID, Queue: "licensing", AmendedAt: now,
		Description: "مخبز ومقهى", Attributes: contracts.Attributes{"activity": "bakery_cafe"}, Note: "also a café"})
	rec := o.waitRecord(tk.TicketID, func(r *backoffice.Record) bool { return len(r.History) == 2 })
	if rec.Request.Description != "مخبز ومقهى" || rec.Request.Attributes["activity"] != "bakery_cafe" ||
		rec.Request.Attributes["noc_type"] != "trade_licence" {
		t.Fatalf("amendment not applied to the request: %+v", rec.Request)
	}
	if h := rec.History[1]; h.Kind != backoffice.KindAmended || h.CallerNote != "also a café" ||
		!slices.Equal(h.Changed, []string{"description", "attributes.activity"}) {
		t.Fatalf("amendment history: %+v", h)
	}
	if !rec.AckDueAt.Equal(tk.AckDueAt) || !rec.ResolveDueAt.Equal(tk.ResolveDueAt) || rec.Request.Caller == nil {
		t.Fatalf("deadlines or snapshot lost: %+v", rec)
	}

	o.publishTicket(contracts.TypeTicketCancelled, "licensing", tk.TicketID, tk.RequestID, contracts.TicketCancelled{
		TicketID: tk.TicketID, RequestID: tk.RequestID, Queue: "licensing", CancelledAt: now, ReasonCode: contracts.ReasonCallerRequest})
	rec = o.waitRecord(tk.TicketID, func(r *backoffice.Record) bool { return r.Status == contracts.StatusCancelled })
	if h := rec.History[len(rec.History)-1]; h.Kind != backoffice.KindCancelled || h.ReasonCode != contracts.ReasonCallerRequest {
		t.Fatalf("cancellation history: %+v", h)
	}
	if r := o.act(tk.TicketID, "accept", "lic-1", nil); r.status != http.StatusConflict || r.errorCode() != "illegal_transition" {
		t.Fatalf("accepting a cancelled ticket: %d %s", r.status, r.raw)
	}
	one := o.call(http.MethodGet, "/tickets/"+tk.TicketID, "lic-1", nil)
	if one.status != 200 || one.body["status"] != "cancelled" || len(one.body["history"].([]any)) != 3 || one.body["seen"] != nil {
		t.Fatalf("one ticket: %s", one.raw)
	}
}

func TestRedeliveredAndEarlyEventsAreFiledOnce(t *testing.T) {
	o := newOffice(t, nil)
	tk := ticketFor("licensing", "no_objection_certificate")
	// The amendment is handled before its ticket exists: it waits for it.
	o.publishTicket(contracts.TypeTicketAmended, "licensing", tk.TicketID, tk.RequestID, contracts.TicketAmended{
		TicketID: tk.TicketID, RequestID: tk.RequestID, Queue: "licensing", AmendedAt: time.Now().UTC(), Note: "early"})
	o.publishTicket(contracts.TypeTicketOpened, "licensing", tk.TicketID, tk.RequestID, tk)
	rec := o.waitRecord(tk.TicketID, func(r *backoffice.Record) bool { return len(r.History) == 2 })
	if rec.History[0].Kind != backoffice.KindOpened || rec.History[1].CallerNote != "early" {
		t.Fatalf("history %+v", rec.History)
	}
}

// walk performs one action and checks the event it sent.
type step struct {
	action  string
	body    map[string]any
	status  contracts.Status
	cdCode  string
	noteLen int
}

func TestEveryActionSendsOneEventWithTheNextVersion(t *testing.T) {
	o := newOffice(t, nil)
	tk := o.open("licensing")
	question := note("Which trade licence number?", "ما رقم الرخصة التجارية؟")
	steps := []step{
		{"accept", map[string]any{"expected_version": 0}, contracts.StatusAccepted, "BO_ACKNOWLEDGED", 0},
		{"request-info", map[string]any{"note": question, "cd_status_code": "NOC_NEED_LICENCE"}, contracts.StatusInfoRequested, "NOC_NEED_LICENCE", 1},
		{"start", nil, contracts.StatusInProgress, "BO_WORK_STARTED", 0},
		{"resolve", map[string]any{"note": note("Certificate issued", "صدرت الشهادة")}, contracts.StatusResolved, "BO_RESOLVED", 1},
		{"start", nil, contracts.StatusInProgress, "BO_WORK_STARTED", 0}, // reopened
		{"resolve", map[string]any{"note": note("Certificate reissued", "أعيد إصدار الشهادة")}, contracts.StatusResolved, "BO_RESOLVED", 1},
		{"close", nil, contracts.StatusClosed, "BO_CLOSED", 0},
	}
	for i, s := range steps {
		body := o.mustAct(tk.TicketID, s.action, "lic-1", s.body)
		if body["version"] != float64(i+1) || body["status"] != string(s.status) {
			t.Fatalf("after %s: version %v status %v", s.action, body["version"], body["status"])
		}
	}
	sent, msgs := o.reports(tk.TicketID)
	if len(sent) != len(steps) {
		t.Fatalf("%d events sent for %d actions", len(sent), len(steps))
	}
	for i, s := range sent {
		want := steps[i]
		if s.Version != i+1 || s.Status != want.status || s.CDStatusCode != want.cdCode || s.OfficerID != "lic-1" ||
			(want.noteLen == 1) != (s.PublicNote != nil) {
			t.Errorf("event %d: %+v, want %s %s", i, s, want.status, want.cdCode)
		}
		if msgs[i].Header.Get("ce-correlationid") != tk.RequestID || msgs[i].Header.Get("ce-source") != backoffice.Source {
			t.Errorf("event %d envelope %v", i, msgs[i].Header)
		}
	}
	rec := o.record(tk.TicketID)
	if rec.Assignee != "lic-1" || rec.AcknowledgedAt == nil || rec.ResolvedAt == nil || rec.Pending != nil {
		t.Fatalf("record after the walk: %+v", rec)
	}
	if r := o.act(tk.TicketID, "start", "lic-1", nil); r.status != http.StatusConflict || r.errorCode() != "illegal_transition" {
		t.Fatalf("start on a closed ticket: %d %s", r.status, r.raw)
	}
	if n, _ := o.reports(tk.TicketID); len(n) != len(steps) {
		t.Fatal("a refused action published")
	}
}

func TestRejectAndAssign(t *testing.T) {
	o := newOffice(t, nil)
	tk := o.open("licensing")

	// Assign is Civil Defence's own business: no event, same version.
	body := o.mustAct(tk.TicketID, "assign", "lic-1", map[string]any{"officer": "lic-2"})
	if body["assignee"] != "lic-2" || body["version"] != 0.0 {
		t.Fatalf("after assign: %v", body)
	}
	if r := o.act(tk.TicketID, "assign", "lic-1", map[string]any{"officer": "comp-1"}); r.status != http.StatusBadRequest {
		t.Fatalf("assign to an officer of another queue: %d %s", r.status, r.raw)
	}
	if r := o.act(tk.TicketID, "assign", "lic-1", map[string]any{"officer": "chief"}); r.status != http.StatusOK {
		t.Fatalf("assign to the supervisor: %d %s", r.status, r.raw)
	}
	if sent, _ := o.reports(tk.TicketID); len(sent) != 0 {
		t.Fatalf("assign sent %d events", len(sent))
	}

	body = o.mustAct(tk.TicketID, "reject", "lic-2", map[string]any{"reason_code": "duplicate_request",
		"note": note("Already filed as CD-0000-0001", "سبق تسجيله")})
	if body["status"] != "rejected" || body["version"] != 1.0 || body["reason_code"] != "duplicate_request" {
		t.Fatalf("after reject: %v", body)
	}
	sent, _ := o.reports(tk.TicketID)
	if len(sent) != 1 || sent[0].Status != contracts.StatusRejected || sent[0].ReasonCode != "duplicate_request" {
		t.Fatalf("reject event: %+v", sent)
	}
	if r := o.act(tk.TicketID, "assign", "lic-1", map[string]any{"officer": "lic-1"}); r.status != http.StatusConflict {
		t.Fatalf("assign a rejected ticket: %d %s", r.status, r.raw)
	}
}

func TestRefusedActionsPublishNothing(t *testing.T) {
	o := newOffice(t, nil)
	tk := o.open("licensing")
	cases := []struct {
		name, action string
		body         map[string]any
		status       int
		code         string
	}{
		{"resolve a new ticket", "resolve", map[string]any{"note": note("done", "تم")}, 409, "illegal_transition"},
		{"close a new ticket", "close", nil, 409, "illegal_transition"},
		{"start a new ticket", "start", nil, 409, "illegal_transition"},
		{"reject without reason", "reject", nil, 400, "invalid_input"},
		{"reject with a broker's reason", "reject", map[string]any{"reason_code": "illegal_transition"}, 400, "invalid_input"},
		{"ask without a question", "request-info", nil, 400, "invalid_input"},
		{"note in one language", "accept", map[string]any{"note": map[string]any{"en": "ok"}}, 400, "invalid_input"},
		{"CD code not a token", "accept", map[string]any{"cd_status_code": "not ok!"}, 400, "invalid_input"},
		{"stale version", "accept", map[string]any{"expected_version": 3}, 409, "stale_version"},
		{"unknown action", "escalate", nil, 400, "unknown_action"},
		{"unknown field", "accept", map[string]any{"colour": "red"}, 400, "invalid_json"},
		{"assign to nobody", "assign", nil, 400, "invalid_input"},
	}
	for _, c := range cases {
		r := o.act(tk.TicketID, c.action, "lic-1", c.body)
		if r.status != c.status || r.errorCode() != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, r.status, r.raw, c.status, c.code)
		}
		if c.status == 409 && r.ticket()["ticket_id"] != tk.TicketID {
			t.Errorf("%s: 409 without the current ticket: %s", c.name, r.raw)
		}
	}
	if r := o.act("01234567-89ab-7def-8123-456789abcdef", "accept", "lic-1", nil); r.status != 404 {
		t.Errorf("unknown ticket: %d", r.status)
	}
	if sent, _ := o.reports(tk.TicketID); len(sent) != 0 {
		t.Fatalf("refused actions sent %d events", len(sent))
	}
	if rec := o.record(tk.TicketID); rec.Version != 0 || rec.Status != contracts.StatusQueued || rec.Pending != nil {
		t.Fatalf("refused actions changed the ticket: %+v", rec)
	}
}

func TestTwoOfficersAtOnceOneWinsTheOtherGets409(t *testing.T) {
	o := newOffice(t, nil)
	for round := range 5 {
		tk := o.open("licensing")
		var wg sync.WaitGroup
		results := make([]response, 2)
		for i, who := range []string{"lic-1", "lic-2"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = o.act(tk.TicketID, "accept", who, map[string]any{"expected_version": 0})
			}()
		}
		wg.Wait()
		codes := []int{results[0].status, results[1].status}
		slices.Sort(codes)
		if !slices.Equal(codes, []int{200, 409}) {
			t.Fatalf("round %d: %d %s / %d %s", round, results[0].status, results[0].raw, results[1].status, results[1].raw)
		}
		loser := results[0]
		if loser.status == 200 {
			loser = results[1]
		}
		if cur := loser.ticket(); cur["ticket_id"] != tk.TicketID {
			t.Fatalf("409 without the current state: %s", loser.raw)
		}
		sent, _ := o.reports(tk.TicketID)
		if len(sent) != 1 || sent[0].Version != 1 {
			t.Fatalf("round %d: %d events sent, want one version 1", round, len(sent))
		}
	}
}

func TestQueueAuthorisationBothWays(t *testing.T) {
	o := newOffice(t, nil)
	lic := o.open("licensing")
	comp := o.open("complaints")

	for _, c := range []struct {
		officer, ownQueue, otherQueue, own, other string
	}{
		{"lic-1", "licensing", "complaints", lic.TicketID, comp.TicketID},
		{"comp-1", "complaints", "licensing", comp.TicketID, lic.TicketID},
	} {
		queues := o.call(http.MethodGet, "/queues", c.officer, nil).body["queues"].([]any)
		if len(queues) != 1 || queues[0].(map[string]any)["queue"] != c.ownQueue {
			t.Errorf("%s sees queues %v", c.officer, queues)
		}
		if r := o.call(http.MethodGet, "/queues/"+c.otherQueue+"/tickets", c.officer, nil); r.status != http.StatusForbidden {
			t.Errorf("%s lists %s: %d", c.officer, c.otherQueue, r.status)
		}
		if r := o.call(http.MethodGet, "/tickets/"+c.other, c.officer, nil); r.status != http.StatusNotFound {
			t.Errorf("%s reads a ticket of %s: %d", c.officer, c.otherQueue, r.status)
		}
		if r := o.act(c.other, "accept", c.officer, nil); r.status != http.StatusNotFound {
			t.Errorf("%s accepts a ticket of %s: %d %s", c.officer, c.otherQueue, r.status, r.raw)
		}
		if r := o.call(http.MethodGet, "/tickets/"+c.own, c.officer, nil); r.status != http.StatusOK {
			t.Errorf("%s reads own ticket: %d", c.officer, r.status)
		}
	}
	for _, tid := range []string{lic.TicketID, comp.TicketID} {
		if sent, _ := o.reports(tid); len(sent) != 0 {
			t.Fatalf("an action on another queue's ticket published %d events", len(sent))
		}
	}
	// The supervisor sees and works every queue.
	if queues := o.call(http.MethodGet, "/queues", "chief", nil).body["queues"].([]any); len(queues) != len(o.cat.Queues()) {
		t.Errorf("supervisor sees %d queues", len(queues))
	}
	o.mustAct(comp.TicketID, "accept", "chief", nil)
	o.mustAct(lic.TicketID, "accept", "chief", nil)
	if r := o.call(http.MethodGet, "/queues/nowhere/tickets", "chief", nil); r.status != http.StatusNotFound {
		t.Errorf("unknown queue: %d", r.status)
	}
}

// An id that cannot be a ticket's names none: 404, not "store unavailable".
func TestMalformedTicketIDIsNotFound(t *testing.T) {
	o := newOffice(t, nil)
	for _, id := range []string{"no*such", "trailing.", "a..b"} {
		if r := o.call(http.MethodGet, "/tickets/"+id, "chief", nil); r.status != http.StatusNotFound || r.errorCode() != "ticket_not_found" {
			t.Errorf("GET ticket %q: %d %s", id, r.status, r.raw)
		}
		if r := o.act(id, "accept", "chief", nil); r.status != http.StatusNotFound || r.errorCode() != "ticket_not_found" {
			t.Errorf("accept ticket %q: %d %s", id, r.status, r.raw)
		}
	}
}

func TestAPIRequiresCredentials(t *testing.T) {
	o := newOffice(t, nil)
	if r := o.call(http.MethodGet, "/queues", "", nil); r.status != http.StatusUnauthorized || r.errorCode() != "unauthenticated" {
		t.Fatalf("no credentials: %d %s", r.status, r.raw)
	}
	req, _ := http.NewRequest(http.MethodGet, o.web.URL+"/backoffice/api/me", nil)
	req.SetBasicAuth("lic-1", "wrong")
	if r := do(t, req); r.status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.status)
	}
	for range 5 {
		do(t, req)
	}
	if r := do(t, req); r.status != http.StatusTooManyRequests {
		t.Fatalf("after repeated failures: %d, want 429", r.status)
	}
	me := o.call(http.MethodGet, "/me", "lic-2", nil)
	if off := me.body["officer"].(map[string]any); off["id"] != "lic-2" || off["password_bcrypt"] != nil {
		t.Fatalf("me: %s", me.raw)
	}
}

func TestQueueListIsSortedByPriorityThenDeadlineAndFiltered(t *testing.T) {
	o := newOffice(t, nil)
	base := time.Now().UTC().Truncate(time.Second)
	mk := func(priority string, ackIn time.Duration) string {
		tk := ticketFor("licensing", "no_objection_certificate")
		tk.Priority, tk.AckDueAt = priority, base.Add(ackIn)
		o.publishTicket(contracts.TypeTicketOpened, "licensing", tk.TicketID, tk.RequestID, tk)
		return tk.TicketID
	}
	low := mk("low", -time.Hour) // overdue, but low priority
	late := mk("normal", 2*time.Hour)
	soon := mk("normal", time.Hour)
	high := mk("high", 5*time.Hour)
	var ids []string
	listed := func() error {
		r := o.call(http.MethodGet, "/queues/licensing/tickets", "lic-1", nil)
		ids = ids[:0]
		for _, it := range r.body["tickets"].([]any) {
			ids = append(ids, it.(map[string]any)["ticket_id"].(string))
		}
		if len(ids) != 4 {
			return fmt.Errorf("%d tickets listed", len(ids))
		}
		return nil
	}
	eventually(t, listed)
	if want := []string{high, soon, late, low}; !slices.Equal(ids, want) {
		t.Fatalf("order %v, want %v", ids, want)
	}
	q := o.call(http.MethodGet, "/queues", "lic-1", nil).body["queues"].([]any)[0].(map[string]any)
	if q["depth"] != 4.0 || q["overdue"] != 1.0 {
		t.Fatalf("summary %v", q)
	}
	o.mustAct(high, "accept", "lic-1", nil)
	eventually(t, func() error {
		r := o.call(http.MethodGet, "/queues/licensing/tickets?status=accepted", "lic-1", nil)
		if items := r.body["tickets"].([]any); len(items) != 1 || items[0].(map[string]any)["ticket_id"] != high {
			return fmt.Errorf("accepted filter: %s", r.raw)
		}
		return nil
	})
	if r := o.call(http.MethodGet, "/queues/licensing/tickets?status=bogus", "lic-1", nil); r.status != 400 {
		t.Fatalf("bad filter: %d", r.status)
	}
}

func TestUnpublishableActionReturns503AndChangesNothing(t *testing.T) {
	o := newOffice(t, nil)
	tk := o.open("licensing")
	restore := natstest.RefuseNew(t, o.s, events.StreamCDUpdates)
	r := o.act(tk.TicketID, "accept", "lic-1", nil)
	if r.status != http.StatusServiceUnavailable || r.errorCode() != "not_published" {
		t.Fatalf("accept while the stream refuses: %d %s", r.status, r.raw)
	}
	if rec := o.record(tk.TicketID); rec.Version != 0 || rec.Status != contracts.StatusQueued || rec.Pending != nil || len(rec.History) != 1 {
		t.Fatalf("a failed action changed the ticket: %+v", rec)
	}
	restore()
	if sent, _ := o.reports(tk.TicketID); len(sent) != 0 {
		t.Fatalf("%d events stored", len(sent))
	}
	body := o.mustAct(tk.TicketID, "accept", "lic-1", nil)
	if body["version"] != 1.0 {
		t.Fatalf("the retried action took version %v, want 1", body["version"])
	}
}

func TestLeftoverReservationIsSentAgainAndCommitted(t *testing.T) {
	o := newOffice(t, nil)
	tk := o.open("licensing")
	// A back office stopped between reserving version 1 and committing it.
	var eventID string
	_, err := o.svc.Store().Change(context.Background(), tk.TicketID, func(r *backoffice.Record) error {
		eventID = "0198c1a2-7f00-7c3e-9d1a-2b3c4d5e6f70"
		r.Pending = &backoffice.Pending{EventID: eventID, Action: "accept", Officer: "lic-1", ReservedAt: time.Now().Add(-time.Minute),
			Status: contracts.TicketStatus{TicketID: tk.TicketID, Version: 1, Status: contracts.StatusAccepted,
				CDStatusCode: "BO_ACKNOWLEDGED", OfficerID: "lic-1", ChangedAt: time.Now().UTC()}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := o.act(tk.TicketID, "reject", "lic-2", map[string]any{"reason_code": "other"}); r.status != 409 || r.errorCode() != "change_in_progress" {
		t.Fatalf("action during a reservation: %d %s", r.status, r.raw)
	}
	rec := o.waitRecord(tk.TicketID, func(r *backoffice.Record) bool { return r.Pending == nil })
	if rec.Version != 1 || rec.Status != contracts.StatusAccepted || rec.History[len(rec.History)-1].EventID != eventID {
		t.Fatalf("after the sweep: %+v", rec)
	}
	_, msgs := o.reports(tk.TicketID)
	if len(msgs) != 1 || msgs[0].Header.Get("ce-id") != eventID {
		t.Fatalf("the reserved event was not sent once with its id")
	}
}

func TestRefusalFromTheBrokerFreesTheVersion(t *testing.T) {
	o := newOffice(t, nil)
	tk := o.open("licensing")
	o.mustAct(tk.TicketID, "accept", "lic-1", nil)
	o.mustAct(tk.TicketID, "start", "lic-1", nil)
	sent, _ := o.reports(tk.TicketID)
	o.publishTicket(contracts.TypeTicketRefused, "licensing", tk.TicketID, tk.RequestID, contracts.TicketRefused{
		TicketID: tk.TicketID, Queue: "licensing", RefusedEventID: "x", Version: 2, Status: sent[1].Status,
		CurrentStatus: contracts.StatusAccepted, CurrentVersion: 1, ReasonCode: contracts.ReasonIllegalTransition,
		Message: contracts.Text{AR: "غير مسموح", EN: "not allowed"}, RefusedAt: time.Now().UTC()})
	rec := o.waitRecord(tk.TicketID, func(r *backoffice.Record) bool { return r.Version == 1 })
	if rec.Status != contracts.StatusAccepted || rec.History[len(rec.History)-1].Kind != backoffice.KindRefused {
		t.Fatalf("after the refusal: %+v", rec)
	}
	if body := o.mustAct(tk.TicketID, "start", "lic-1", nil); body["version"] != 2.0 {
		t.Fatalf("next change took version %v, want the freed 2", body["version"])
	}
}

// A browser that holds an officer's Basic credentials sends them with a
// form another site makes it post; such a post cannot be JSON.
func TestBasicAuthPostMustBeJSON(t *testing.T) {
	o := newOffice(t, nil)
	tk := o.open("licensing")
	req, _ := http.NewRequest(http.MethodPost, o.web.URL+"/backoffice/api/tickets/"+tk.TicketID+"/accept", nil)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("lic-1", "pw-lic-1")
	if r := do(t, req); r.status != http.StatusUnsupportedMediaType {
		t.Fatalf("form post with Basic credentials: %d %s", r.status, r.raw)
	}
	if rec := o.record(tk.TicketID); rec.Status != contracts.StatusQueued {
		t.Fatalf("the form post changed the ticket: %s", rec.Status)
	}
	req, _ = http.NewRequest(http.MethodPost, o.web.URL+"/backoffice/api/tickets/"+tk.TicketID+"/accept", nil)
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("lic-1", "pw-lic-1")
	if r := do(t, req); r.status != http.StatusOK {
		t.Fatalf("JSON post with an empty body: %d %s", r.status, r.raw)
	}
}
