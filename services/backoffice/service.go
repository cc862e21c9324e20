package backoffice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/errgroup"

	"github.com/sharjah-handoff/handoff/civildefence"
	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
)

// Source is the ce-source of the back office's status events.
const Source = "/civil-defence/backoffice"

// Config configures the back office.
type Config struct {
	Catalogue *contracts.Catalogue
	Officers  *Officers
	// Queues are the queues consumed and shown; default every queue of the
	// catalogue.
	Queues []string
	// SessionKey signs session cookies and CSRF tokens: at least 32 random
	// bytes, the same on every instance, kept secret.
	SessionKey []byte
	// SessionTTL is how long a login lasts; default 12 h (a shift).
	SessionTTL time.Duration
	// Name names the durable consumers ("<name>-<queue>"); default
	// "backoffice".
	Name string
	// BasePath is where the handler is mounted; default "/backoffice".
	BasePath string
	// ActionTimeout bounds one officer action, publishing included;
	// default 10 s.
	ActionTimeout time.Duration
	// PendingGrace is how old a reserved, unconfirmed change must be before
	// the sweeper sends it again (longer than ActionTimeout); default 30 s.
	// SweepInterval is how often it looks; default 5 s.
	PendingGrace  time.Duration
	SweepInterval time.Duration
	// Consumer and publisher settings, passed to the civildefence client.
	Concurrency     int
	MaxDeliver      int
	BackOff         []time.Duration
	AckWait         time.Duration
	PublishAttempts int
	PublishTimeout  time.Duration
	// RetryMissing is how soon an event about a ticket not yet stored is
	// tried again; default 200 ms.
	RetryMissing   time.Duration
	Logger         *slog.Logger
	TracerProvider trace.TracerProvider
	Now            func() time.Time
}

func (c *Config) defaults() {
	if len(c.Queues) == 0 && c.Catalogue != nil {
		c.Queues = c.Catalogue.Queues()
	}
	set := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	set(&c.SessionTTL, 12*time.Hour)
	set(&c.ActionTimeout, 10*time.Second)
	set(&c.PendingGrace, 30*time.Second)
	set(&c.SweepInterval, 5*time.Second)
	set(&c.RetryMissing, 200*time.Millisecond)
	if c.Name == "" {
		c.Name = "backoffice"
	}
	if c.BasePath == "" {
		c.BasePath = "/backoffice"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.TracerProvider == nil {
		c.TracerProvider = otel.GetTracerProvider()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.Catalogue == nil:
		return errors.New("backoffice: no catalogue")
	case c.Officers == nil:
		return errors.New("backoffice: no officers")
	case len(c.SessionKey) < 32:
		return errors.New("backoffice: session key must be at least 32 bytes")
	case len(c.Queues) == 0:
		return errors.New("backoffice: no queues")
	case c.PendingGrace <= c.ActionTimeout:
		return errors.New("backoffice: PendingGrace must be longer than ActionTimeout")
	}
	for _, q := range c.Queues {
		if !slices.Contains(c.Catalogue.Queues(), q) {
			return fmt.Errorf("backoffice: queue %q is not in the catalogue", q)
		}
	}
	return nil
}

// Service is the back office: consumers filling the ticket store, the
// officer API and page, and the sweeper of unconfirmed changes.
type Service struct {
	cfg    Config
	client *civildefence.Client
	store  *Store
	view   *view
	auth   *authenticator
	log    *slog.Logger
	pages  *pages
	mux    *http.ServeMux
	// closing is closed when Run ends, so that live streams end too.
	closing   chan struct{}
	conn      *nats.Conn
	closeOnce sync.Once
	shutdowns shutdownHooks
}

// New connects the back office to its stream and bucket, which must exist.
// js must be connected as a Civil Defence user with the ticket store
// ("backoffice" in the standard layout).
func New(ctx context.Context, js jetstream.JetStream, cfg Config) (*Service, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	store, err := NewStore(ctx, js, events.BucketTicketStore, cfg.Now)
	if err != nil {
		return nil, err
	}
	client, err := civildefence.New(js, civildefence.Config{Name: cfg.Name, Source: Source,
		Concurrency: cfg.Concurrency, MaxDeliver: cfg.MaxDeliver, BackOff: cfg.BackOff, AckWait: cfg.AckWait,
		PublishAttempts: cfg.PublishAttempts, PublishTimeout: cfg.PublishTimeout,
		Logger: cfg.Logger, TracerProvider: cfg.TracerProvider})
	if err != nil {
		return nil, err
	}
	pg, err := newPages()
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, client: client, store: store, view: newView(), log: cfg.Logger, pages: pg,
		auth: newAuthenticator(cfg.Officers, cfg.SessionKey, cfg.SessionTTL, cfg.Now), closing: make(chan struct{}), conn: js.Conn()}
	s.mux = s.routes()
	return s, nil
}

// Store gives access to the ticket records.
func (s *Service) Store() *Store { return s.store }

// Run consumes every queue, keeps the view of the store current and sweeps
// unconfirmed changes until ctx ends; then it drains the consumers and
// returns.
func (s *Service) Run(ctx context.Context) error {
	defer s.closeOnce.Do(func() { close(s.closing) })
	filing := &filing{store: s.store, now: s.cfg.Now, retry: s.cfg.RetryMissing}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		s.view.follow(gctx, s.store, func() uint64 { return s.conn.Stats().Reconnects })
		return nil
	})
	g.Go(func() error { return s.client.Consume(gctx, filing, s.cfg.Queues...) })
	g.Go(func() error { s.sweepLoop(gctx); return nil })
	s.log.Info("back office running", "queues", s.cfg.Queues)
	return g.Wait()
}

func (s *Service) sweepLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.sweep(ctx)
		}
	}
}

// Ready is closed once the view holds every ticket stored when Run began.
func (s *Service) Ready() <-chan struct{} { return s.view.ready }

// Handler serves the officer page and API under BasePath.
func (s *Service) Handler() http.Handler { return s.mux }
