package intake

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sharjah-handoff/handoff/contracts"
)

type homeData struct {
	Emergency []contracts.Service
	Groups    []serviceGroup
	Message   string
	Ref       string
}

type serviceGroup struct {
	Name     string
	Services []contracts.Service
}

func (s *Service) home(a *agentCall) { s.homeWithMessage(a, http.StatusOK, "") }

// homeWithMessage shows the service picker and the lookup box, with a
// message for the agent if there is one.
func (s *Service) homeWithMessage(a *agentCall, status int, msgKey string) {
	d := homeData{Ref: a.r.URL.Query().Get("ref")}
	if msgKey != "" {
		d.Message = uiText[msgKey].In(a.lang)
	}
	index := map[string]int{}
	for _, svc := range s.cfg.Catalogue.Services {
		switch {
		case !svc.Active:
		case svc.Emergency:
			d.Emergency = append(d.Emergency, svc)
		default:
			g := svc.Group.In(a.lang)
			i, ok := index[g]
			if !ok {
				i = len(d.Groups)
				index[g] = i
				d.Groups = append(d.Groups, serviceGroup{Name: g})
			}
			d.Groups[i].Services = append(d.Groups[i].Services, svc)
		}
	}
	s.render(a.w, status, pageHome, newPage(a.r, a.lang, a, "home", d))
}

// lookup takes a reference as an agent types it to the request's page.
func (s *Service) lookup(a *agentCall) {
	ref := contracts.NormalizeReference(a.r.URL.Query().Get("ref"))
	if !referencePattern.MatchString(ref) {
		s.homeWithMessage(a, http.StatusBadRequest, "bad_reference")
		return
	}
	http.Redirect(a.w, a.r, agentPath+"requests/"+ref, http.StatusSeeOther)
}

type requestData struct {
	Record                    *Record
	New                       bool
	ServiceName               contracts.Text
	StatusLabel, Note         string
	CallerLang, CallerLangKey string
	CallerDir                 string
	Expected, Requested       string
	Overdue                   bool
	History                   []historyRow
	FeedURL                   string
}

type historyRow struct {
	At, Status, Note string
}

// requestPage shows where a request stands, the note in the caller's
// language, and its history; agent.js keeps it live from the feed,
// resuming after the last update the page already shows.
func (s *Service) requestPage(a *agentCall) {
	ctx, cancel := context.WithTimeout(a.r.Context(), s.cfg.ReadTimeout)
	defer cancel()
	rec, err := s.view.find(ctx, a.r.PathValue("id"))
	if errors.Is(err, errNoRequest) {
		s.homeWithMessage(a, http.StatusNotFound, "not_found")
		return
	}
	if err != nil {
		s.log.WarnContext(a.r.Context(), "request view unavailable", "err", err)
		s.homeWithMessage(a, http.StatusServiceUnavailable, "unavailable")
		return
	}
	callerLang := rec.Language
	if callerLang != langAR && callerLang != langEN {
		callerLang = a.lang
	}
	d := requestData{Record: rec, New: a.r.URL.Query().Get("new") == "1", StatusLabel: statusLabel(rec.Status).In(a.lang),
		Note: rec.notes().In(callerLang), CallerLang: callerLang, CallerLangKey: map[string]string{langAR: "arabic", langEN: "english"}[callerLang],
		CallerDir: map[string]string{langAR: "rtl", langEN: "ltr"}[callerLang], Requested: pageTime(rec.RequestedAt),
		Overdue: rec.Overdue != nil}
	if svc, ok := s.cfg.Catalogue.Lookup(rec.ServiceCode); ok {
		d.ServiceName = svc.Name
	}
	if t := rec.expected(s.cfg.Catalogue); t != nil {
		d.Expected = pageTime(*t)
	}
	for _, e := range rec.History {
		d.History = append(d.History, historyRow{At: pageTime(e.At), Status: statusLabel(e.Status).In(a.lang), Note: entryNotes(e).In(callerLang)})
	}
	q := url.Values{"service_request_id": {rec.RequestID}, "last_event_id": {strconv.FormatUint(rec.LastSeq, 10)}, "lang": {a.lang}}
	d.FeedURL = agentPath + "feed?" + q.Encode()
	s.render(a.w, http.StatusOK, pageRequest, newPage(a.r, a.lang, a, "request", d))
}

// pageTime shows a time as Sharjah reads it.
func pageTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(gulf).Format("2006-01-02 15:04")
}

// agentFeed is the SSE feed for the agent page, authenticated by the
// session instead of an API key.
func (s *Service) agentFeed(a *agentCall) {
	rid, f := s.feedFilter(a.r.Context(), a.r.URL.Query().Get("service_request_id"))
	if f == nil {
		f = s.serveFeed(a.w, a.r, a.lang, rid)
	}
	if f != nil {
		http.Error(a.w, f.description(a.lang), f.Status)
	}
}
