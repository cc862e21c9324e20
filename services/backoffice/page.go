package backoffice

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sharjah-handoff/handoff/contracts"
)

//go:embed web
var webFiles embed.FS

// pages are the officer page's templates, one set per page, each with the
// shared layout.
type pages struct {
	byName map[string]*template.Template
	static fs.FS
}

func newPages() (*pages, error) {
	p := &pages{byName: map[string]*template.Template{}}
	for _, name := range []string{"login", "queues", "queue", "ticket"} {
		t, err := template.ParseFS(webFiles, "web/layout.html", "web/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("page %s: %w", name, err)
		}
		p.byName[name] = t
	}
	static, err := fs.Sub(webFiles, "web/static")
	if err != nil {
		return nil, err
	}
	p.static = static
	return p, nil
}

// pageData is what every page template gets; each page uses its part.
type pageData struct {
	L       Lang
	Base    string
	Page    string
	Title   string
	Officer Officer
	CSRF    string
	Path    string
	Flash   string
	Error   string
	Now     time.Time

	LoginToken, Next string

	Queues  []QueueSummary
	Queue   string
	Filter  string
	Filters []contracts.Status
	Tickets []TicketSummary

	Ticket   *Record
	Attrs    []attrRow
	Actions  []string
	Officers []Officer
	Reasons  []string
}

type attrRow struct{ Label, Value string }

func (s *Service) render(w http.ResponseWriter, status int, name string, d *pageData) {
	var buf bytes.Buffer
	if err := s.pages.byName[name].ExecuteTemplate(&buf, "layout", d); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "page could not be rendered", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Service) newPageData(r *http.Request, page string, who identity) *pageData {
	d := &pageData{L: langOf(r), Base: s.cfg.BasePath, Page: page, Officer: who.officer, Path: r.URL.RequestURI(), Now: s.cfg.Now()}
	if who.session != nil {
		d.CSRF = s.auth.csrf(*who.session)
	}
	return d
}

// pageHandler is a page for a logged-in officer.
type pageHandler func(w http.ResponseWriter, r *http.Request, who identity)

// page requires a session cookie; without one it sends the officer to log
// in, and back here afterwards. A POST must carry the session's CSRF token.
func (s *Service) page(h pageHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		var who identity
		if err == nil {
			if o, sess, ok := s.auth.verify(c.Value); ok {
				who = identity{officer: o, session: &sess}
			}
		}
		if who.session == nil {
			http.Redirect(w, r, s.cfg.BasePath+"/login?next="+url.QueryEscape(s.returnTo(r)), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !readForm(w, r) {
			return
		}
		if r.Method == http.MethodPost && !s.auth.checkCSRF(*who.session, r.PostFormValue(csrfField)) {
			http.Error(w, "missing or wrong CSRF token; reload the page", http.StatusForbidden)
			return
		}
		h(w, r, who)
	}
}

func (s *Service) loginPage(w http.ResponseWriter, r *http.Request) {
	s.showLogin(w, r, http.StatusOK, "")
}

func (s *Service) showLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	nonce := randomToken()
	s.setCookie(w, r, loginCookie, nonce, 600)
	d := s.newPageData(r, "login", identity{})
	d.Title, d.Error, d.LoginToken, d.Next = d.L.T("login"), msg, s.auth.loginToken(nonce), s.safeNext(r.FormValue("next"))
	s.render(w, status, "login", d)
}

func (s *Service) login(w http.ResponseWriter, r *http.Request) {
	if !readForm(w, r) {
		return
	}
	l := langOf(r)
	c, err := r.Cookie(loginCookie)
	if err != nil || r.PostFormValue(csrfField) != s.auth.loginToken(c.Value) {
		s.showLogin(w, r, http.StatusForbidden, l.T("bad_login"))
		return
	}
	o, err := s.auth.login(r.PostFormValue("officer"), r.PostFormValue("password"))
	if errors.Is(err, ErrThrottled) {
		s.showLogin(w, r, http.StatusTooManyRequests, l.T("too_many"))
		return
	}
	if err != nil {
		s.showLogin(w, r, http.StatusUnauthorized, l.T("bad_login"))
		return
	}
	value, _ := s.auth.issue(o)
	s.setCookie(w, r, sessionCookie, value, int(s.cfg.SessionTTL.Seconds()))
	s.setCookie(w, r, loginCookie, "", -1)
	s.log.Info("officer logged in", "officer", o.ID)
	http.Redirect(w, r, s.safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// maxForm bounds a posted form. A ticket's notes, 4,000 characters in each
// language, percent-encoded, fit with room to spare.
const maxForm = 256 << 10

// readForm parses a posted form of at most maxForm bytes. A larger one is
// answered with 413 and not read further: unbounded, a url-encoded body
// would be read into memory up to 10 MB, and a multipart one spooled to
// temporary files however large, before anyone is authenticated.
func readForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	err := r.ParseForm() // a url-encoded body; ParseMultipartForm would drop its error
	if err == nil {
		err = r.ParseMultipartForm(maxForm)
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		http.Error(w, "the form is too large", http.StatusRequestEntityTooLarge)
		return false
	}
	// Any other error leaves the form empty, and the handler refuses it.
	return true
}

// safeNext keeps a redirect inside the back office.
// returnTo is where to come back after logging in: the page itself for a
// GET; for a form post (whose URL only takes POST), the page the form was on.
func (s *Service) returnTo(r *http.Request) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r.URL.RequestURI()
	}
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host {
		return s.safeNext(ref.RequestURI())
	}
	return s.cfg.BasePath + "/"
}

func (s *Service) safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, s.cfg.BasePath+"/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return s.cfg.BasePath + "/"
	}
	return next
}

func (s *Service) logout(w http.ResponseWriter, r *http.Request, _ identity) {
	s.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, s.cfg.BasePath+"/login", http.StatusSeeOther)
}

func (s *Service) switchLang(w http.ResponseWriter, r *http.Request) {
	lang := r.PathValue("lang")
	if lang != LangAR && lang != LangEN {
		http.NotFound(w, r)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: s.cfg.BasePath + "/", MaxAge: 365 * 24 * 3600,
		SameSite: http.SameSiteStrictMode, Secure: secure(r)})
	http.Redirect(w, r, s.safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
}

func (s *Service) queuesPage(w http.ResponseWriter, r *http.Request, who identity) {
	d := s.newPageData(r, "queues", who)
	d.Title = d.L.T("queues")
	d.Queues = s.view.queues(s.queuesOf(who.officer), d.Now)
	s.render(w, http.StatusOK, "queues", d)
}

func (s *Service) queuePage(w http.ResponseWriter, r *http.Request, who identity) {
	queue := r.PathValue("queue")
	if !slices.Contains(s.cfg.Queues, queue) || !who.officer.CanSee(queue) {
		http.NotFound(w, r)
		return
	}
	d := s.newPageData(r, "queue", who)
	d.Queue, d.Filter, d.Title = queue, r.URL.Query().Get("status"), d.L.Queue(queue)
	keep, err := statusFilter(d.Filter)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	d.Filters = []contracts.Status{contracts.StatusQueued, contracts.StatusAccepted, contracts.StatusInProgress,
		contracts.StatusInfoRequested, contracts.StatusResolved}
	d.Tickets = s.view.list(queue, keep, d.Now)
	s.render(w, http.StatusOK, "queue", d)
}

func (s *Service) ticketPage(w http.ResponseWriter, r *http.Request, who identity) {
	rec, err := s.ticketFor(r, who.officer)
	if err != nil {
		s.ticketError(w, r, who, err)
		return
	}
	d := s.ticketData(r, who, rec)
	if a := r.URL.Query().Get("done"); a != "" {
		d.Flash = d.L.T("done") + " " + d.L.Action(a)
	}
	s.render(w, http.StatusOK, "ticket", d)
}

func (s *Service) ticketData(r *http.Request, who identity, rec *Record) *pageData {
	d := s.newPageData(r, "ticket", who)
	d.Ticket, d.Title, d.Queue = rec, rec.Reference, rec.Queue
	if rec.Pending == nil {
		d.Actions = Available(rec)
	}
	d.Officers = s.cfg.Officers.OfQueue(rec.Queue)
	d.Reasons = RejectReasons
	d.Attrs = s.attributes(d.L, rec.Request)
	return d
}

// ticketError shows a ticket that cannot be read or acted on.
func (s *Service) ticketError(w http.ResponseWriter, r *http.Request, who identity, err error) {
	var ae *ActionError
	if !errors.As(err, &ae) {
		ae = unavailable("internal", err)
	}
	status := statusOf(ae)
	if ae.Kind == ErrNotFound {
		http.Error(w, ae.Message.In(string(langOf(r))), status)
		return
	}
	rec := ae.Current
	if rec == nil {
		if rec, err = s.ticketFor(r, who.officer); err != nil {
			http.Error(w, ae.Message.In(string(langOf(r))), status)
			return
		}
	}
	d := s.ticketData(r, who, rec)
	d.Error = ae.Message.In(string(d.L))
	for _, p := range ae.Problems {
		d.Error += " — " + p.Message.In(string(d.L))
	}
	s.render(w, status, "ticket", d)
}

// act is an action button or form of the ticket page.
func (s *Service) act(w http.ResponseWriter, r *http.Request, who identity) {
	req := ActionRequest{Action: r.PathValue("action"), ReasonCode: r.PostFormValue("reason_code"), Officer: r.PostFormValue("officer")}
	if v := r.PostFormValue("version"); v != "" {
		var n int
		if _, err := fmt.Sscan(v, &n); err == nil {
			req.ExpectedVersion = &n
		}
	}
	if ar, en := strings.TrimSpace(r.PostFormValue("note_ar")), strings.TrimSpace(r.PostFormValue("note_en")); ar != "" || en != "" {
		req.Note = &contracts.Text{AR: ar, EN: en}
	}
	tid := r.PathValue("id")
	if _, err := s.Act(r.Context(), who.officer, tid, req); err != nil {
		s.ticketError(w, r, who, err)
		return
	}
	http.Redirect(w, r, s.cfg.BasePath+"/tickets/"+url.PathEscape(tid)+"?done="+url.QueryEscape(req.Action), http.StatusSeeOther)
}

// attributes lists a request's attributes with the catalogue's bilingual
// labels and value names, in the catalogue's order.
func (s *Service) attributes(l Lang, req contracts.RequestSnapshot) []attrRow {
	svc, _ := s.cfg.Catalogue.Lookup(req.ServiceCode)
	labels := map[string]contracts.Attribute{}
	for _, a := range svc.Attributes {
		labels[a.Code] = a
	}
	codes := make([]string, 0, len(req.Attributes))
	for c := range req.Attributes {
		codes = append(codes, c)
	}
	sort.SliceStable(codes, func(i, j int) bool {
		ai, iok := labels[codes[i]]
		aj, jok := labels[codes[j]]
		if iok != jok {
			return iok
		}
		if ai.Order != aj.Order {
			return ai.Order < aj.Order
		}
		return codes[i] < codes[j]
	})
	rows := make([]attrRow, 0, len(codes))
	for _, c := range codes {
		a, ok := labels[c]
		label := c
		if ok {
			label = l.Text(a.Description)
		}
		rows = append(rows, attrRow{Label: label, Value: attrValue(l, a, req.Attributes[c])})
	}
	return rows
}

func attrValue(l Lang, a contracts.Attribute, v any) string {
	name := func(key string) string {
		for _, val := range a.Values {
			if val.Key == key {
				return l.Text(val.Name)
			}
		}
		return key
	}
	switch x := v.(type) {
	case string:
		return name(x)
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = name(fmt.Sprint(p))
		}
		return strings.Join(parts, "، ")
	case float64:
		return fmt.Sprint(x)
	case bool:
		if x {
			return "✓"
		}
		return "✗"
	}
	return fmt.Sprint(v)
}
