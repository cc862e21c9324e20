package intake

import (
	"context"
	"crypto/rand"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
)

// ViewConsumer is the durable consumer on CC_UPDATES that builds the
// request view.
const ViewConsumer = "intake-view"

// Service is the contact-centre intake: the Open311 API, the agent page
// and the request view behind both.
type Service struct {
	cfg      Config
	js       jetstream.JetStream
	nc       *nats.Conn
	pub      *events.Publisher
	view     *view
	idem     *idempotency
	keys     map[string]APIKey // by SHA-256 of the key
	agents   map[string]Agent
	sessions *sessions
	pages    map[string]*template.Template
	tracer   trace.Tracer
	log      *slog.Logger
	metrics  metrics
	handler  http.Handler
	// feedsDone ends every open SSE feed; see CloseFeeds.
	feedsDone chan struct{}
	closeOnce sync.Once
	openFeeds atomic.Int64
}

// New connects the intake to its stream and buckets, which must exist.
func New(ctx context.Context, js jetstream.JetStream, cfg Config) (*Service, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	viewKV, err := js.KeyValue(ctx, events.BucketRequestView)
	if err != nil {
		return nil, fmt.Errorf("intake: bucket %s: %w", events.BucketRequestView, err)
	}
	idemKV, err := js.KeyValue(ctx, events.BucketIdempotency)
	if err != nil {
		return nil, fmt.Errorf("intake: bucket %s: %w", events.BucketIdempotency, err)
	}
	pub, err := events.NewPublisher(js, Source, events.WithTracerProvider(cfg.TracerProvider),
		events.WithPublisherLogger(cfg.Logger), events.WithPublishAttempts(3), events.WithPublishTimeout(cfg.SubmitTimeout/3))
	if err != nil {
		return nil, err
	}
	key := cfg.SessionKey
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.MeterProvider)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, js: js, nc: js.Conn(), pub: pub, view: &view{kv: viewKV},
		idem: &idempotency{kv: idemKV, ttl: cfg.IdempotencyTTL, now: cfg.Now},
		keys: map[string]APIKey{}, agents: map[string]Agent{},
		sessions: &sessions{key: key, ttl: cfg.SessionTTL, secure: !cfg.PlainHTTPCookies, now: cfg.Now},
		pages:    pages, tracer: cfg.TracerProvider.Tracer("github.com/sharjah-handoff/handoff/services/intake"),
		log: cfg.Logger, metrics: m, feedsDone: make(chan struct{})}
	for _, k := range cfg.APIKeys {
		s.keys[k.hash()] = k
	}
	for _, a := range cfg.Agents {
		s.agents[a.ID] = a
	}
	s.handler = s.routes()
	return s, nil
}

// Handler serves /open311/v2/... and /agent/....
func (s *Service) Handler() http.Handler { return s.handler }

// Run builds the request view from CC_UPDATES until ctx ends, then drains
// and returns.
func (s *Service) Run(ctx context.Context) error {
	c, err := events.NewConsumer(s.js, events.ConsumerConfig{
		Stream: events.StreamCCUpdates, Durable: ViewConsumer, Origin: "cc",
		Types:       []string{contracts.TypeRequestStatus, contracts.TypeRequestRejected, contracts.TypeRequestOverdue},
		BackOff:     []time.Duration{100 * time.Millisecond, time.Second, 5 * time.Second, 30 * time.Second},
		Concurrency: s.cfg.ViewConcurrency, Logger: s.log, TracerProvider: s.cfg.TracerProvider,
	}, s.applyUpdate)
	if err != nil {
		return err
	}
	s.log.Info("intake running", "catalogue", s.cfg.Catalogue.Version, "api_keys", len(s.keys), "agents", len(s.agents))
	return c.Run(ctx)
}

// CloseFeeds ends every open SSE feed, and any opened later at once, so
// that an HTTP server's graceful shutdown need not wait for them. Clients
// reconnect (to another instance) with Last-Event-ID and lose nothing.
// Register it with http.Server.RegisterOnShutdown.
func (s *Service) CloseFeeds() {
	s.closeOnce.Do(func() { close(s.feedsDone) })
}

// metrics are the intake's counters.
type metrics struct {
	submissions metric.Int64Counter
	updates     metric.Int64Counter
	feeds       metric.Int64UpDownCounter
}

func newMetrics(mp metric.MeterProvider) (metrics, error) {
	m := mp.Meter("github.com/sharjah-handoff/handoff/services/intake")
	var out metrics
	var err error
	if out.submissions, err = m.Int64Counter("handoff.intake.submissions",
		metric.WithDescription("POSTed requests by outcome: submitted, replayed, emergency, invalid, unavailable")); err != nil {
		return out, err
	}
	if out.updates, err = m.Int64Counter("handoff.intake.view.updates",
		metric.WithDescription("CC_UPDATES events applied to the request view")); err != nil {
		return out, err
	}
	out.feeds, err = m.Int64UpDownCounter("handoff.intake.feed.clients", metric.WithDescription("open SSE feeds"))
	return out, err
}
