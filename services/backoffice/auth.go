package backoffice

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Sessions are stateless: a cookie holds the officer, an expiry and a
// nonce, signed with HMAC-SHA256 under the session key, so that any
// instance sharing the key accepts it. The signature also covers a
// fingerprint of the officer's password hash: changing a password in the
// officers' file ends that officer's sessions. Logging out clears the
// cookie; a stolen cookie stays valid until it expires (SessionTTL).
type session struct {
	Officer     string `json:"o"`
	Expires     int64  `json:"e"`
	Nonce       string `json:"n"`
	Fingerprint string `json:"f"`
}

const (
	sessionCookie = "bo_session"
	loginCookie   = "bo_login"
	csrfHeader    = "X-CSRF-Token"
	csrfField     = "csrf"
)

// ErrThrottled is returned while an officer id has failed to log in too
// often.
var ErrThrottled = errors.New("too many failed logins")

type authenticator struct {
	officers *Officers
	key      []byte
	ttl      time.Duration
	now      func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time
	// verified caches HTTP Basic credentials that passed bcrypt, keyed by
	// their HMAC, so that an API client does not cost a bcrypt per call.
	verified map[string]time.Time
}

const (
	maxFailures   = 5
	failureWindow = 5 * time.Minute
	basicCacheTTL = 5 * time.Minute
	// maxVerified bounds the Basic cache; only correct passwords enter it.
	maxVerified = 10000
)

func newAuthenticator(o *Officers, key []byte, ttl time.Duration, now func() time.Time) *authenticator {
	return &authenticator{officers: o, key: key, ttl: ttl, now: now,
		failures: map[string][]time.Time{}, verified: map[string]time.Time{}}
}

func (a *authenticator) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, a.key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

func (a *authenticator) fingerprint(o Officer) string {
	return b64(a.mac("fingerprint", o.PasswordHash)[:9])
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func randomToken() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return b64(b)
}

// login checks a password, refusing an id that failed too often lately.
func (a *authenticator) login(id, password string) (Officer, error) {
	if a.throttled(id) {
		return Officer{}, ErrThrottled
	}
	o, err := a.officers.Authenticate(id, password)
	if err != nil {
		a.fail(id)
		return Officer{}, err
	}
	return o, nil
}

func (a *authenticator) throttled(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	cutoff := a.now().Add(-failureWindow)
	recent := a.failures[id][:0]
	for _, t := range a.failures[id] {
		if t.After(cutoff) {
			recent = append(recent, t)
		}
	}
	if len(recent) == 0 {
		delete(a.failures, id)
	} else {
		a.failures[id] = recent
	}
	return len(recent) >= maxFailures
}

// fail counts a failed login. Only officers' ids are counted: that bounds
// the memory by the officers' file, and a spray of made-up ids can neither
// grow it nor reset a real officer's count.
func (a *authenticator) fail(id string) {
	if _, known := a.officers.Get(id); !known {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failures[id] = append(a.failures[id], a.now())
}

// basic checks HTTP Basic credentials, from the cache when it can.
func (a *authenticator) basic(id, password string) (Officer, error) {
	k := string(a.mac("basic", id, password))
	a.mu.Lock()
	exp, ok := a.verified[k]
	a.mu.Unlock()
	if o, known := a.officers.Get(id); ok && known && a.now().Before(exp) {
		return o, nil
	}
	o, err := a.login(id, password)
	if err != nil {
		return o, err
	}
	a.mu.Lock()
	if len(a.verified) > maxVerified {
		clear(a.verified)
	}
	a.verified[k] = a.now().Add(basicCacheTTL)
	a.mu.Unlock()
	return o, nil
}

// issue makes a session cookie value for an officer.
func (a *authenticator) issue(o Officer) (string, session) {
	s := session{Officer: o.ID, Expires: a.now().Add(a.ttl).Unix(), Nonce: randomToken(), Fingerprint: a.fingerprint(o)}
	body, _ := json.Marshal(s)
	payload := b64(body)
	return payload + "." + b64(a.mac("session", payload)), s
}

// verify reads a session cookie value.
func (a *authenticator) verify(value string) (Officer, session, bool) {
	payload, sig, ok := strings.Cut(value, ".")
	if !ok {
		return Officer{}, session{}, false
	}
	want := b64(a.mac("session", payload))
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return Officer{}, session{}, false
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	var s session
	if err != nil || json.Unmarshal(body, &s) != nil || a.now().Unix() >= s.Expires {
		return Officer{}, session{}, false
	}
	o, ok := a.officers.Get(s.Officer)
	if !ok || !hmac.Equal([]byte(a.fingerprint(o)), []byte(s.Fingerprint)) {
		return Officer{}, session{}, false
	}
	return o, s, true
}

// csrf is the anti-forgery token of a session: forms and scripts send it
// back, and a page of another site cannot read it.
func (a *authenticator) csrf(s session) string { return b64(a.mac("csrf", s.Nonce)) }

func (a *authenticator) checkCSRF(s session, token string) bool {
	return token != "" && hmac.Equal([]byte(token), []byte(a.csrf(s)))
}

// loginToken guards the login form itself (double submit): the form
// carries a MAC of a nonce that only this browser holds in a cookie.
func (a *authenticator) loginToken(nonce string) string { return b64(a.mac("login", nonce)) }

// identity is who makes a request and how they proved it.
type identity struct {
	officer Officer
	// session is nil for HTTP Basic, which needs no CSRF token: a browser
	// never sends it on its own to another site's request.
	session *session
}

// identify finds the officer of a request: a session cookie, or HTTP
// Basic credentials.
func (s *Service) identify(r *http.Request) (identity, error) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if o, sess, ok := s.auth.verify(c.Value); ok {
			return identity{officer: o, session: &sess}, nil
		}
	}
	if id, pw, ok := r.BasicAuth(); ok {
		o, err := s.auth.basic(id, pw)
		if err != nil {
			return identity{}, err
		}
		return identity{officer: o}, nil
	}
	return identity{}, ErrBadCredentials
}

func (s *Service) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: s.cfg.BasePath + "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r)})
}

// secure reports whether the officer reached us over TLS, directly or
// through a proxy that says so; cookies are then Secure.
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
