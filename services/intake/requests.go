package intake

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sharjah-handoff/handoff/contracts"
)

// getRequest is GET requests/{id}: one request by id or short reference,
// as a list of one, as the spec has it.
func (s *Service) getRequest(c *call, id string) {
	cl, ok := s.requireClient(c)
	if !ok {
		return
	}
	rec, err := s.view.find(c.r.Context(), id)
	if err == nil && !s.mayRead(cl, rec) {
		err = errNoRequest
	}
	if errors.Is(err, errNoRequest) {
		s.fail(c, faultNotFound("service_request_id", id))
		return
	}
	if err != nil {
		s.viewUnavailable(c, err)
		return
	}
	out := []requestOut{s.requestOf(rec, c.lang, c.ext)}
	s.respond(c, http.StatusOK, out, requestsXML{Requests: out})
}

// listRequests is GET requests. service_request_id, when given, overrides
// every other filter, as the spec says.
func (s *Service) listRequests(c *call) {
	cl, ok := s.requireClient(c)
	if !ok {
		return
	}
	params := c.r.URL.Query()
	var recs []*Record
	if ids := params.Get("service_request_id"); ids != "" {
		var ok bool
		if recs, ok = s.requestsByID(c, trimAll(strings.Split(ids, ","))); !ok {
			return
		}
	} else {
		q, faults := s.parseQuery(params)
		if len(faults) > 0 {
			s.fail(c, faults...)
			return
		}
		var err error
		if recs, err = s.view.list(c.r.Context(), q); err != nil {
			s.viewUnavailable(c, err)
			return
		}
	}
	out := make([]requestOut, 0, len(recs))
	for _, r := range recs {
		if s.mayRead(cl, r) {
			out = append(out, s.requestOf(r, c.lang, c.ext))
		}
	}
	s.respond(c, http.StatusOK, out, requestsXML{Requests: out})
}

// mayRead applies the catalogue's staff-only flag to requests as it is
// applied to services: only a staff key sees requests for a staff-only
// service.
func (s *Service) mayRead(cl *client, r *Record) bool {
	svc, ok := s.cfg.Catalogue.Lookup(r.ServiceCode)
	return !ok || !svc.StaffOnly || cl.staff
}

// requestsByID looks up a comma-separated list of ids and references;
// unknown ones are left out.
func (s *Service) requestsByID(c *call, ids []string) ([]*Record, bool) {
	if len(ids) > maxIDsPerGet {
		s.fail(c, newFault(http.StatusBadRequest, "service_request_id", fmt.Sprintf("at most %d ids at once", maxIDsPerGet),
			fmt.Sprintf("%d معرفا على الأكثر في المرة الواحدة", maxIDsPerGet)))
		return nil, false
	}
	var recs []*Record
	seen := map[string]bool{}
	for _, id := range ids {
		rec, err := s.view.find(c.r.Context(), id)
		if errors.Is(err, errNoRequest) {
			continue
		}
		if err != nil {
			s.viewUnavailable(c, err)
			return nil, false
		}
		if !seen[rec.RequestID] {
			seen[rec.RequestID] = true
			recs = append(recs, rec)
		}
	}
	return recs, true
}

func (s *Service) viewUnavailable(c *call, err error) {
	s.log.WarnContext(c.r.Context(), "request view unavailable", "err", err)
	s.fail(c, newFault(http.StatusServiceUnavailable, "", "the request view is unavailable; try again shortly",
		"سجل الطلبات غير متاح حاليا؛ أعد المحاولة بعد قليل"))
}

// parseQuery reads GET requests' filters. Without dates the last 90 days
// are searched; one date implies the other 90 days away; a range longer
// than 90 days is refused, as the spec says.
func (s *Service) parseQuery(p url.Values) (query, faultList) {
	var faults faultList
	q := query{limit: maxRequests, services: trimAll(strings.Split(p.Get("service_code"), ","))}
	for _, st := range trimAll(strings.Split(p.Get("status"), ",")) {
		switch st {
		case "open":
			q.open = true
		case "closed":
			q.closed = true
		default:
			faults = append(faults, newFault(http.StatusBadRequest, "status", fmt.Sprintf("%q: use open, closed or both", st),
				fmt.Sprintf("%q: استخدم open أو closed أو كليهما", st)))
		}
	}
	start, f1 := parseDate(p, "start_date")
	end, f2 := parseDate(p, "end_date")
	for _, f := range []*fault{f1, f2} {
		if f != nil {
			faults = append(faults, *f)
		}
	}
	if len(faults) > 0 {
		return q, faults
	}
	switch {
	case start.IsZero() && end.IsZero():
		end = s.cfg.Now()
		start = end.Add(-maxSpan)
	case start.IsZero():
		start = end.Add(-maxSpan)
	case end.IsZero():
		end = start.Add(maxSpan)
	}
	switch {
	case end.Before(start):
		faults = append(faults, newFault(http.StatusBadRequest, "end_date", "end_date is before start_date",
			"تاريخ النهاية (end_date) يسبق تاريخ البداية (start_date)"))
	case end.Sub(start) > maxSpan:
		faults = append(faults, newFault(http.StatusBadRequest, "end_date",
			"start_date and end_date may not span more than 90 days",
			"لا يجوز أن تتجاوز المدة بين start_date وend_date تسعين يوما"))
	}
	q.start, q.end = start, end
	return q, faults
}

func parseDate(p url.Values, param string) (time.Time, *fault) {
	v := p.Get(param)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		f := newFault(http.StatusBadRequest, param, fmt.Sprintf("%q is not a W3C date-time such as 2026-01-15T09:00:00+04:00", v),
			fmt.Sprintf("القيمة %q ليست تاريخا ووقتا مثل 2026-01-15T09:00:00+04:00", v))
		return t, &f
	}
	return t, nil
}

// requestOf renders a record as an Open311 service request.
func (s *Service) requestOf(r *Record, lang string, ext bool) requestOut {
	svc, known := s.cfg.Catalogue.Lookup(r.ServiceCode)
	status := r.Status
	if status == "" {
		status = contracts.StatusQueued // only an overdue report has arrived
	}
	out := requestOut{ID: r.RequestID, Status: openOrClosed(status), StatusNotes: optional(r.notes().In(lang)),
		ServiceCode: optional(r.ServiceCode), Description: optional(r.Description),
		AgencyResponsible: optional(s.cfg.AgencyResponsible.In(lang)),
		RequestedDatetime: optional(w3cTime(r.RequestedAt)), UpdatedDatetime: optional(w3cTime(r.UpdatedAt)),
		ExpectedDatetime: optionalTime(r.expected(s.cfg.Catalogue)), Address: optional(r.Address),
		AddressID: optional(r.AddressID), Lat: coord{r.Lat}, Long: coord{r.Long}, MediaURL: optional(r.MediaURL)}
	if known {
		out.ServiceName = optional(svc.Name.In(lang))
		out.ServiceNotice = optional(serviceNotice(svc).In(lang))
	}
	if ext {
		out.requestExtensions = s.extensionsOf(r, status, lang)
	}
	return out
}

func (s *Service) extensionsOf(r *Record, status contracts.Status, lang string) *requestExtensions {
	x := &requestExtensions{Reference: r.Reference, StatusCode: string(status), CDStatusCode: r.CDStatusCode,
		ReasonCode: r.ReasonCode, TicketReference: r.TicketReference, Language: r.Language, History: []historyOut{}}
	if o := r.Overdue; o != nil {
		x.Overdue = &overdueOut{AckDueDatetime: w3cTime(o.Since), OverdueSeconds: o.OverdueSeconds, ReportCount: o.ReportCount}
	}
	for _, e := range r.History {
		x.History = append(x.History, historyOut{Datetime: w3cTime(e.At), Event: e.Kind, Status: openOrClosed(e.Status),
			StatusCode: string(e.Status), CDStatusCode: e.CDStatusCode, ReasonCode: e.ReasonCode, Notes: entryNotes(e).In(lang)})
	}
	return x
}

// entryNotes is what a history entry tells the caller.
func entryNotes(e Entry) contracts.Text {
	switch {
	case e.Note != nil:
		return *e.Note
	case e.Kind == EntryOverdue:
		return contracts.Text{EN: "Civil Defence has not yet acknowledged the request within its target time.",
			AR: "لم يستلم الدفاع المدني الطلب بعد ضمن المدة المحددة."}
	}
	return statusExplanations[e.Status]
}
