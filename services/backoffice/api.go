package backoffice

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/sharjah-handoff/handoff/contracts"
)

// The JSON API takes HTTP Basic credentials (officer id and password) or
// the page's session cookie; with the cookie, a POST must carry the CSRF
// token in X-CSRF-Token. Errors are {"error": {"code", "message": {ar, en},
// "problems"}} and, for 409, "ticket": the ticket as it stands.

// apiHandler is an API endpoint for an identified officer.
type apiHandler func(w http.ResponseWriter, r *http.Request, who identity)

func (s *Service) api(h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who, err := s.identify(r)
		if errors.Is(err, ErrThrottled) {
			writeError(w, http.StatusTooManyRequests, "too_many_failures", words["too_many"], nil)
			return
		}
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Basic realm="Civil Defence back office", charset="UTF-8"`)
			writeError(w, http.StatusUnauthorized, "unauthenticated",
				text("log in with your officer id and password", "سجّل الدخول برقم الموظف وكلمة المرور"), nil)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !s.crossSiteSafe(w, r, who) {
			return
		}
		h(w, r, who)
	}
}

// crossSiteSafe refuses a POST another site could have made the officer's
// browser send: with the session cookie it needs the CSRF token; with
// HTTP Basic (which a browser may also send by itself) a JSON content type,
// which a cross-site form cannot set.
func (s *Service) crossSiteSafe(w http.ResponseWriter, r *http.Request, who identity) bool {
	if who.session != nil {
		if !s.auth.checkCSRF(*who.session, r.Header.Get(csrfHeader)) {
			writeError(w, http.StatusForbidden, "csrf", text("missing or wrong CSRF token", "رمز الحماية مفقود أو غير صحيح"), nil)
			return false
		}
		return true
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type",
			text("send the action as Content-Type: application/json", "أرسل الإجراء بصيغة JSON"), nil)
		return false
	}
	return true
}

type apiError struct {
	Code     string              `json:"code"`
	Message  contracts.Text      `json:"message"`
	Problems []contracts.Problem `json:"problems,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code string, msg contracts.Text, current *Record) {
	body := map[string]any{"error": apiError{Code: code, Message: msg}}
	if current != nil {
		body["ticket"] = ticketJSON(current)
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// statusOf maps an action error to its HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrConflict):
		return http.StatusConflict
	}
	return http.StatusServiceUnavailable
}

func writeActionError(w http.ResponseWriter, err error) {
	var ae *ActionError
	if !errors.As(err, &ae) {
		ae = unavailable("internal", err)
	}
	status := statusOf(ae)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	body := map[string]any{"error": apiError{Code: ae.Code, Message: ae.Message, Problems: ae.Problems}}
	if ae.Current != nil {
		body["ticket"] = ticketJSON(ae.Current)
	}
	writeJSON(w, status, body)
}

// ticketView is a ticket as the API shows it: the record, what may be
// done with it now, and the trace id an operator can look up.
type ticketView struct {
	*Record
	Seen    []string `json:"seen,omitempty"`
	Actions []string `json:"actions"`
	TraceID string   `json:"trace_id,omitempty"`
}

func ticketJSON(r *Record) ticketView {
	v := ticketView{Record: r, Actions: []string{}, TraceID: r.Trace.TraceID()}
	if r.Pending == nil {
		v.Actions = Available(r)
	}
	return v
}

func (s *Service) apiMe(w http.ResponseWriter, _ *http.Request, who identity) {
	o := who.officer
	o.Queues = s.queuesOf(o) // a supervisor's are all of them
	writeJSON(w, http.StatusOK, map[string]any{"officer": o, "queues": o.Queues})
}

// queuesOf lists the queues an officer sees among those served.
func (s *Service) queuesOf(o Officer) []string {
	var out []string
	for _, q := range s.cfg.Queues {
		if o.CanSee(q) {
			out = append(out, q)
		}
	}
	return out
}

func (s *Service) apiQueues(w http.ResponseWriter, _ *http.Request, who identity) {
	writeJSON(w, http.StatusOK, map[string]any{"queues": s.view.queues(s.queuesOf(who.officer), s.cfg.Now())})
}

// queueAccess checks that a queue exists (404) and that the officer may see
// it (403: queue names are public in the catalogue, so refusing plainly
// leaks nothing).
func (s *Service) queueAccess(w http.ResponseWriter, queue string, o Officer) bool {
	if !slices.Contains(s.cfg.Queues, queue) {
		writeError(w, http.StatusNotFound, "queue_not_found", text("no queue "+queue, "لا توجد قائمة بهذا الاسم"), nil)
		return false
	}
	if !o.CanSee(queue) {
		writeError(w, http.StatusForbidden, "forbidden_queue", text("queue "+queue+" is not one of yours", "هذه القائمة ليست من قوائمك"), nil)
		return false
	}
	return true
}

func (s *Service) apiTickets(w http.ResponseWriter, r *http.Request, who identity) {
	queue := r.PathValue("queue")
	if !s.queueAccess(w, queue, who.officer) {
		return
	}
	keep, err := statusFilter(r.URL.Query().Get("status"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_status", text(err.Error(), "حالة غير معروفة في المرشّح"), nil)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"queue": queue, "tickets": s.view.list(queue, keep, s.cfg.Now())})
}

// statusFilter reads ?status=: empty means the open tickets, "all" every
// ticket, else a comma-separated list of common statuses.
func statusFilter(q string) (func(contracts.Status) bool, error) {
	switch q {
	case "":
		return contracts.Status.Open, nil
	case "all":
		return func(contracts.Status) bool { return true }, nil
	}
	want := map[contracts.Status]bool{}
	for _, s := range strings.Split(q, ",") {
		st := contracts.Status(strings.TrimSpace(s))
		if _, known := statusNames[st]; !known {
			return nil, errors.New("unknown status " + string(st))
		}
		want[st] = true
	}
	return func(s contracts.Status) bool { return want[s] }, nil
}

func (s *Service) apiTicket(w http.ResponseWriter, r *http.Request, who identity) {
	rec, err := s.ticketFor(r, who.officer)
	if err != nil {
		writeActionError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ticketJSON(rec))
}

// ticketFor reads the ticket of the request's {id}, as absent if it is on
// a queue the officer does not see.
func (s *Service) ticketFor(r *http.Request, o Officer) (*Record, error) {
	tid := r.PathValue("id")
	rec, _, err := s.store.Get(r.Context(), tid)
	if errors.Is(err, ErrNotFound) || err == nil && !o.CanSee(rec.Queue) {
		return nil, notFound(tid)
	}
	if err != nil {
		return nil, unavailable("store_unavailable", err)
	}
	return rec, nil
}

const maxBody = 64 << 10

func (s *Service) apiAct(w http.ResponseWriter, r *http.Request, who identity) {
	var req ActionRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	// An empty body is an action without options.
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "invalid_json", text("the body is not a valid action: "+err.Error(), "نص الطلب غير صالح"), nil)
		return
	}
	req.Action = r.PathValue("action")
	rec, err := s.Act(r.Context(), who.officer, r.PathValue("id"), req)
	if err != nil {
		writeActionError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ticketJSON(rec))
}
