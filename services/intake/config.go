package intake

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/crypto/bcrypt"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
)

// Source is the ce-source of every event the intake publishes.
const Source = "/handoff/intake"

// Defaults of [Config].
const (
	DefaultJurisdiction   = "sharjah.ae"
	DefaultMaxBodyBytes   = 64 << 10
	DefaultSubmitTimeout  = 5 * time.Second
	DefaultReadTimeout    = 3 * time.Second
	DefaultIdempotencyTTL = 24 * time.Hour
	DefaultSessionTTL     = 10 * time.Hour
	DefaultFeedKeepAlive  = 15 * time.Second
	DefaultMaxFeeds       = 1000
)

// Config configures the intake.
type Config struct {
	Catalogue *contracts.Catalogue
	// APIKeys are the Open311 clients allowed to read requests and submit
	// them.
	APIKeys []APIKey
	// Agents may log in to the agent page; with none, the page only says so.
	Agents []Agent
	// Jurisdiction is the Open311 jurisdiction_id served; a request naming
	// another one is refused.
	Jurisdiction string
	// AgencyResponsible is Open311's agency_responsible of every request.
	AgencyResponsible contracts.Text
	// MaxBodyBytes bounds a POST body; a larger one gets 413.
	MaxBodyBytes int64
	// SubmitTimeout bounds storing one request in NATS (reference, publish
	// and acknowledgement, view); past it the client gets 503.
	SubmitTimeout time.Duration
	// ReadTimeout bounds reading the request view for one HTTP call.
	ReadTimeout time.Duration
	// IdempotencyTTL is how long an Idempotency-Key is remembered.
	IdempotencyTTL time.Duration
	// SessionKey signs agent sessions and CSRF tokens: at least 32 bytes.
	// Instances behind one load balancer must share it. Empty means a
	// random key, so that sessions end when the process does.
	SessionKey []byte
	// SessionTTL is how long an agent stays logged in.
	SessionTTL time.Duration
	// PlainHTTPCookies drops the Secure flag from cookies. Browsers accept
	// Secure cookies from http://localhost and 127.0.0.1, so it is only
	// needed to try the page over plain HTTP from another machine.
	PlainHTTPCookies bool
	// FeedKeepAlive is how often an idle SSE feed sends a comment, so that
	// proxies do not close it.
	FeedKeepAlive time.Duration
	// MaxFeeds bounds the SSE feeds open at once (each holds an ordered
	// consumer on CC_UPDATES); one more is refused with 503.
	MaxFeeds int
	// ViewConcurrency is how many updates the request view applies at once.
	ViewConcurrency int

	Logger         *slog.Logger
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	// Now is the clock; tests may set it.
	Now func() time.Time
}

func (c *Config) defaults() {
	setDefault(&c.Jurisdiction, DefaultJurisdiction)
	setDefault(&c.AgencyResponsible, contracts.Text{EN: "Sharjah Civil Defence", AR: "الدفاع المدني - الشارقة"})
	setDefault(&c.MaxBodyBytes, DefaultMaxBodyBytes)
	setDefault(&c.SubmitTimeout, DefaultSubmitTimeout)
	setDefault(&c.ReadTimeout, DefaultReadTimeout)
	setDefault(&c.IdempotencyTTL, DefaultIdempotencyTTL)
	setDefault(&c.SessionTTL, DefaultSessionTTL)
	setDefault(&c.FeedKeepAlive, DefaultFeedKeepAlive)
	setDefault(&c.MaxFeeds, DefaultMaxFeeds)
	setDefault(&c.ViewConcurrency, 8)
	setDefault(&c.Logger, slog.Default())
	setDefault(&c.TracerProvider, otel.GetTracerProvider())
	setDefault(&c.MeterProvider, otel.GetMeterProvider())
	if c.Now == nil { // funcs are not comparable: setDefault cannot take it
		c.Now = time.Now
	}
}

// setDefault sets *v to def if *v is the zero value.
func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.Catalogue == nil {
		errs = append(errs, errors.New("no catalogue"))
	}
	if c.MaxBodyBytes < 1024 {
		errs = append(errs, fmt.Errorf("MaxBodyBytes %d is below 1 KiB", c.MaxBodyBytes))
	}
	if c.SubmitTimeout <= 0 || c.ReadTimeout <= 0 || c.IdempotencyTTL <= 0 || c.SessionTTL <= 0 || c.FeedKeepAlive <= 0 {
		errs = append(errs, errors.New("timeouts must be positive"))
	}
	if c.MaxFeeds < 1 || c.ViewConcurrency < 1 {
		errs = append(errs, errors.New("MaxFeeds and ViewConcurrency must be at least 1"))
	}
	if len(c.SessionKey) > 0 && len(c.SessionKey) < 32 {
		errs = append(errs, errors.New("SessionKey must be at least 32 bytes"))
	}
	if c.AgencyResponsible.AR == "" || c.AgencyResponsible.EN == "" {
		errs = append(errs, errors.New("AgencyResponsible needs Arabic and English"))
	}
	seen := map[string]bool{}
	for i, k := range c.APIKeys {
		if err := k.validate(); err != nil {
			errs = append(errs, fmt.Errorf("api key %d: %w", i, err))
			continue
		}
		if seen[k.hash()] {
			errs = append(errs, fmt.Errorf("api key %d (%s) is listed twice", i, k.Name))
		}
		seen[k.hash()] = true
	}
	agents := map[string]bool{}
	for i, a := range c.Agents {
		if err := a.validate(); err != nil {
			errs = append(errs, fmt.Errorf("agent %d: %w", i, err))
		}
		if agents[a.ID] {
			errs = append(errs, fmt.Errorf("agent %q is listed twice", a.ID))
		}
		agents[a.ID] = true
	}
	if len(errs) > 0 {
		return fmt.Errorf("intake config: %w", errors.Join(errs...))
	}
	return nil
}

// APIKey is one Open311 client. The file holds the key itself or, better,
// only its SHA-256, so that a leaked file does not leak the key.
type APIKey struct {
	// Name says who holds the key; it appears in logs instead of the key.
	Name   string `json:"name"`
	Key    string `json:"key,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	// Staff keys (contact-centre desktops and CRM) see and may submit
	// staff-only services.
	Staff bool `json:"staff"`
}

func (k APIKey) validate() error {
	switch {
	case k.Name == "":
		return errors.New("no name")
	case (k.Key == "") == (k.SHA256 == ""):
		return fmt.Errorf("%s: give exactly one of key and sha256", k.Name)
	case k.Key != "" && len(k.Key) < 16:
		return fmt.Errorf("%s: a key must be at least 16 characters", k.Name)
	case k.SHA256 != "":
		if b, err := hex.DecodeString(k.SHA256); err != nil || len(b) != sha256.Size {
			return fmt.Errorf("%s: sha256 must be 64 hex digits", k.Name)
		}
	}
	return nil
}

// hash is the key's SHA-256 in lower-case hex, its identity.
func (k APIKey) hash() string {
	if k.SHA256 != "" {
		return strings.ToLower(k.SHA256)
	}
	return HashAPIKey(k.Key)
}

// HashAPIKey returns the SHA-256 of key in hex, as an API keys file may
// store it.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Agent is a contact-centre agent who may log in to the agent page.
type Agent struct {
	// ID identifies the agent in requests (agent_id); a token.
	ID   string `json:"id"`
	Name string `json:"name"`
	// PasswordBcrypt is the bcrypt hash of the agent's password.
	PasswordBcrypt string `json:"password_bcrypt"`
}

func (a Agent) validate() error {
	if err := events.CheckToken(a.ID); err != nil {
		return fmt.Errorf("id: %w", err)
	}
	if _, err := bcrypt.Cost([]byte(a.PasswordBcrypt)); err != nil {
		return fmt.Errorf("%s: password_bcrypt: %w", a.ID, err)
	}
	return nil
}

// LoadAPIKeys reads an API keys file: {"keys": [{"name", "key" or
// "sha256", "staff"}]}.
func LoadAPIKeys(path string) ([]APIKey, error) {
	var f struct {
		Keys []APIKey `json:"keys"`
	}
	if err := readJSONFile(path, &f); err != nil {
		return nil, err
	}
	return f.Keys, nil
}

// LoadAgents reads an agents file: {"agents": [{"id", "name",
// "password_bcrypt"}]}.
func LoadAgents(path string) ([]Agent, error) {
	var f struct {
		Agents []Agent `json:"agents"`
	}
	if err := readJSONFile(path, &f); err != nil {
		return nil, err
	}
	return f.Agents, nil
}

func readJSONFile(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
