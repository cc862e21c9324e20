package intake

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// agentCall is one request of a logged-in agent.
type agentCall struct {
	w       http.ResponseWriter
	r       *http.Request
	session session
	agent   Agent
	csrf    string
	lang    string
}

func (a *agentCall) client() client {
	return client{name: a.agent.ID, scope: "agent:" + a.agent.ID, staff: true, agentID: a.agent.ID, channel: "phone"}
}

// routes serves the API and the agent site.
func (s *Service) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(APIPrefix, s.serveOpen311)
	mux.HandleFunc("GET /agent", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, agentPath, http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /agent/{$}", s.agentOnly(s.home))
	mux.HandleFunc("GET /agent/login", s.loginPage)
	mux.HandleFunc("POST /agent/login", s.login)
	mux.HandleFunc("POST /agent/logout", s.agentOnly(s.logout))
	mux.HandleFunc("GET /agent/capture/{code}", s.agentOnly(s.captureForm))
	mux.HandleFunc("POST /agent/capture/{code}", s.agentOnly(s.capture))
	mux.HandleFunc("GET /agent/requests", s.agentOnly(s.lookup))
	mux.HandleFunc("GET /agent/requests/{id}", s.agentOnly(s.requestPage))
	mux.HandleFunc("GET /agent/feed", s.agentOnly(s.agentFeed))
	mux.Handle("GET /agent/static/", staticFiles())
	return s.logRequests(mux)
}

// logRequests logs each call by path and status, never by query string,
// which may hold an api_key.
func (s *Service) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		level := s.log.Debug
		if sw.status >= 500 {
			level = s.log.Warn
		}
		level("http", "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", time.Since(start))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach Flush and SetWriteDeadline.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// pageLang is the agent page's language: a lang parameter (remembered in
// a cookie), the cookie, Accept-Language, and Arabic by default.
func (s *Service) pageLang(w http.ResponseWriter, r *http.Request) string {
	lang, err := requestLang(r, langAR, true)
	if err != nil {
		return langAR
	}
	if v := r.URL.Query().Get("lang"); v == lang {
		c := s.sessions.cookie(cookieLang, lang, 365*24*3600)
		c.SameSite = http.SameSiteLaxMode
		http.SetCookie(w, c)
	}
	return lang
}

// agentOnly lets logged-in agents through and sends others to the login
// page (or, for the feed, answers 401). Every POST must carry the
// session's CSRF token and come from this origin.
func (s *Service) agentOnly(h func(*agentCall)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		lang := s.pageLang(w, r)
		sess, ok := s.sessions.current(r)
		agent, known := s.agents[sess.AgentID]
		if !ok || !known {
			if r.URL.Path == agentPath+"feed" {
				http.Error(w, "log in first", http.StatusUnauthorized)
				return
			}
			next := ""
			if r.Method == http.MethodGet {
				next = "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, agentPath+"login"+next, http.StatusSeeOther)
			return
		}
		a := &agentCall{w: w, r: r, session: sess, agent: agent, csrf: s.sessions.csrf(sess), lang: lang}
		if r.Method == http.MethodPost && !s.checkPost(a) {
			return
		}
		h(a)
	}
}

// checkPost reads a posted form (bounded) and checks its CSRF token and
// origin. The body is put back for the handler.
func (s *Service) checkPost(a *agentCall) bool {
	body, err := io.ReadAll(http.MaxBytesReader(a.w, a.r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		http.Error(a.w, faultBodyTooLarge(s.cfg.MaxBodyBytes).Message.In(a.lang), http.StatusRequestEntityTooLarge)
		return false
	}
	a.r.Body = io.NopCloser(bytes.NewReader(body))
	vals, err := url.ParseQuery(string(body))
	if err != nil || !sameOrigin(a.r) || !s.sessions.checkCSRF(a.session, vals.Get("csrf")) {
		http.Error(a.w, uiText["expired_form"].In(a.lang), http.StatusForbidden)
		return false
	}
	return true
}

func (s *Service) loginPage(w http.ResponseWriter, r *http.Request) {
	lang := s.pageLang(w, r)
	if _, ok := s.sessions.current(r); ok {
		http.Redirect(w, r, agentPath, http.StatusSeeOther)
		return
	}
	s.renderLogin(w, r, lang, http.StatusOK, "")
}

type loginData struct {
	Token, Next, Error, AgentID string
	NoAgents                    bool
}

func (s *Service) renderLogin(w http.ResponseWriter, r *http.Request, lang string, status int, errKey string) {
	d := loginData{Token: s.sessions.loginToken(w, r), Next: safeNext(r.FormValue("next")), NoAgents: len(s.agents) == 0,
		AgentID: r.PostFormValue("agent_id")}
	if errKey != "" {
		d.Error = uiText[errKey].In(lang)
	}
	s.render(w, status, pageLogin, newPage(r, lang, nil, "login", d))
}

// dummyHash keeps a login for an unknown agent as slow as one for a known
// agent, so that timing does not reveal who exists. It is made on first
// use: bcrypt is slow on purpose.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte(randomToken()), bcrypt.DefaultCost)
	return h
})

func (s *Service) login(w http.ResponseWriter, r *http.Request) {
	lang := s.pageLang(w, r)
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil || !sameOrigin(r) || !s.sessions.checkLoginToken(r, r.PostFormValue("token")) {
		why := "expired_form"
		if _, err := r.Cookie(cookieLogin); err != nil && r.PostFormValue("token") != "" {
			// The form came from us but its cookie did not come back: the
			// browser refused a Secure cookie over plain HTTP.
			why = "cookies_refused"
		}
		s.renderLogin(w, r, lang, http.StatusForbidden, why)
		return
	}
	agent, known := s.agents[strings.TrimSpace(r.PostFormValue("agent_id"))]
	hash := dummyHash()
	if known {
		hash = []byte(agent.PasswordBcrypt)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(r.PostFormValue("password"))) != nil || !known {
		s.log.Info("agent login failed")
		s.renderLogin(w, r, lang, http.StatusUnauthorized, "bad_login")
		return
	}
	s.sessions.start(w, agent.ID)
	s.log.Info("agent logged in", "agent_id", agent.ID)
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// safeNext allows only a path of the agent site after login, never
// another site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, agentPath) || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return agentPath
	}
	return next
}

func (s *Service) logout(a *agentCall) {
	s.sessions.end(a.w)
	http.Redirect(a.w, a.r, agentPath+"login", http.StatusSeeOther)
}
