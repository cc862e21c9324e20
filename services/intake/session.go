package intake

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Cookies of the agent page. All are HttpOnly and SameSite=Strict, and
// Secure unless configured otherwise.
const (
	cookieSession = "handoff_session"
	cookieLogin   = "handoff_login"
	cookieLang    = "handoff_lang"
	agentPath     = "/agent/"
)

// sessions signs agents' sessions into cookies with HMAC-SHA256, so that
// any instance sharing the key can check one without shared state. CSRF
// tokens are derived from the session's random id with the same key, and a
// login form gets its own token bound to a short-lived nonce cookie.
type sessions struct {
	key    []byte
	ttl    time.Duration
	secure bool
	now    func() time.Time
}

// session is a logged-in agent.
type session struct {
	AgentID string `json:"a"`
	ID      string `json:"s"`
	Expires int64  `json:"e"`
}

func (m *sessions) mac(parts ...string) []byte {
	h := hmac.New(sha256.New, m.key)
	h.Write([]byte(strings.Join(parts, "\x00")))
	return h.Sum(nil)
}

func (m *sessions) sign(payload []byte) string {
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(m.mac("cookie", p))
}

func (m *sessions) verify(v string) ([]byte, bool) {
	p, sig, ok := strings.Cut(v, ".")
	if !ok {
		return nil, false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, m.mac("cookie", p)) {
		return nil, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	return payload, err == nil
}

func (m *sessions) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: agentPath, MaxAge: maxAge, HttpOnly: true,
		Secure: m.secure, SameSite: http.SameSiteStrictMode}
}

// start logs an agent in.
func (m *sessions) start(w http.ResponseWriter, agentID string) {
	s := session{AgentID: agentID, ID: randomToken(), Expires: m.now().Add(m.ttl).Unix()}
	http.SetCookie(w, m.cookie(cookieSession, m.sign(mustJSON(s)), int(m.ttl.Seconds())))
	http.SetCookie(w, m.cookie(cookieLogin, "", -1))
}

// end logs the agent out. The cookie is stateless, so a copy taken before
// logout stays valid until it expires; the cookie flags keep it out of
// scripts and other sites.
func (m *sessions) end(w http.ResponseWriter) {
	http.SetCookie(w, m.cookie(cookieSession, "", -1))
}

// current returns the session of a request, if it has a valid one.
func (m *sessions) current(r *http.Request) (session, bool) {
	c, err := r.Cookie(cookieSession)
	if err != nil {
		return session{}, false
	}
	payload, ok := m.verify(c.Value)
	if !ok {
		return session{}, false
	}
	var s session
	if json.Unmarshal(payload, &s) != nil || s.ID == "" || m.now().Unix() >= s.Expires {
		return session{}, false
	}
	return s, true
}

// csrf is the token forms of a session carry.
func (m *sessions) csrf(s session) string {
	return base64.RawURLEncoding.EncodeToString(m.mac("csrf", s.ID))
}

func (m *sessions) checkCSRF(s session, token string) bool {
	return hmac.Equal([]byte(token), []byte(m.csrf(s)))
}

// loginToken sets a nonce cookie for the login form and returns the
// form's token, so that another site cannot log a browser in as its own
// agent.
func (m *sessions) loginToken(w http.ResponseWriter, r *http.Request) string {
	nonce := ""
	if c, err := r.Cookie(cookieLogin); err == nil {
		if p, ok := m.verify(c.Value); ok {
			nonce = string(p)
		}
	}
	if nonce == "" {
		nonce = randomToken()
		http.SetCookie(w, m.cookie(cookieLogin, m.sign([]byte(nonce)), 3600))
	}
	return base64.RawURLEncoding.EncodeToString(m.mac("login", nonce))
}

func (m *sessions) checkLoginToken(r *http.Request, token string) bool {
	c, err := r.Cookie(cookieLogin)
	if err != nil {
		return false
	}
	nonce, ok := m.verify(c.Value)
	if !ok {
		return false
	}
	want := base64.RawURLEncoding.EncodeToString(m.mac("login", string(nonce)))
	return hmac.Equal([]byte(token), []byte(want))
}

func randomToken() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// sameOrigin refuses a form posted from another origin. SameSite=Strict
// cookies and the CSRF token already stop that; this is a third lock that
// costs nothing.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return origin == ""
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}
