package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/errgroup"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
)

// Source is the ce-source of every event the broker sends.
const Source = "/handoff/broker"

// Config configures the broker.
type Config struct {
	Catalogue *contracts.Catalogue
	// Concurrency is how many messages each consumer handles at once.
	Concurrency int
	// MaxDeliver and BackOff govern retries of inbound events.
	MaxDeliver int
	BackOff    []time.Duration
	// AckWait is how long a delivery may go unacknowledged, e.g. because
	// the broker that took it died, before it is delivered again.
	AckWait time.Duration
	// WatchInterval is how often the SLA watchdog looks for overdue
	// handoffs; ReportEvery is how often one overdue handoff is reported
	// again while nobody acts on it.
	WatchInterval time.Duration
	ReportEvery   time.Duration
	// GapWait is how long an update that arrived before an earlier version
	// waits before it is tried again.
	GapWait        time.Duration
	Logger         *slog.Logger
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	// Fault, when set, is called at named points of the handoff; returning
	// an error there simulates a crash (tests only).
	Fault func(point string) error
	// Now is the clock; tests may set it.
	Now func() time.Time
}

func (c *Config) defaults() {
	if c.Concurrency == 0 {
		c.Concurrency = 16
	}
	if c.WatchInterval == 0 {
		c.WatchInterval = 10 * time.Second
	}
	if c.ReportEvery == 0 {
		c.ReportEvery = 15 * time.Minute
	}
	if c.GapWait == 0 {
		c.GapWait = 250 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.TracerProvider == nil {
		c.TracerProvider = otel.GetTracerProvider()
	}
	if c.MeterProvider == nil {
		c.MeterProvider = otel.GetMeterProvider()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.Catalogue == nil {
		return errors.New("broker: no catalogue")
	}
	if c.WatchInterval <= 0 || c.ReportEvery <= 0 {
		return errors.New("broker: watchdog intervals must be positive")
	}
	return nil
}

// Broker hands requests off between the agencies.
type Broker struct {
	cfg     Config
	js      jetstream.JetStream
	store   *Store
	sla     jetstream.KeyValue
	pub     *events.Publisher
	log     *slog.Logger
	metrics metrics
}

// New connects the broker to its streams and buckets, which must exist.
func New(ctx context.Context, js jetstream.JetStream, cfg Config) (*Broker, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	store, err := NewStore(ctx, js, events.BucketHandoffs)
	if err != nil {
		return nil, err
	}
	sla, err := js.KeyValue(ctx, events.BucketSLA)
	if err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	pub, err := events.NewPublisher(js, Source, events.WithTracerProvider(cfg.TracerProvider), events.WithPublisherLogger(cfg.Logger))
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.MeterProvider)
	if err != nil {
		return nil, err
	}
	return &Broker{cfg: cfg, js: js, store: store, sla: sla, pub: pub, log: cfg.Logger, metrics: m}, nil
}

// Store gives read access to handoff records.
func (b *Broker) Store() *Store { return b.store }

// Run consumes requests and status changes and runs the SLA watchdog until
// ctx ends; then it drains and returns.
func (b *Broker) Run(ctx context.Context) error {
	requests, err := events.NewConsumer(b.js, b.consumerConfig("broker-requests", events.StreamCCRequests,
		contracts.TypeRequestSubmitted, contracts.TypeRequestAmended, contracts.TypeRequestCancelled), b.handleRequest)
	if err != nil {
		return err
	}
	rc := b.consumerConfig("broker-updates", events.StreamCDUpdates, contracts.TypeTicketStatus)
	updates, err := events.NewConsumer(b.js, rc, b.handleStatus)
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return requests.Run(ctx) })
	g.Go(func() error { return updates.Run(ctx) })
	g.Go(func() error { return b.watch(ctx) })
	b.log.Info("broker running", "catalogue", b.cfg.Catalogue.Version)
	return g.Wait()
}

func (b *Broker) consumerConfig(durable, stream string, types ...string) events.ConsumerConfig {
	return events.ConsumerConfig{
		Stream: stream, Durable: durable, Origin: "broker", Types: types,
		MaxDeliver: b.cfg.MaxDeliver, BackOff: b.cfg.BackOff, AckWait: b.cfg.AckWait, Concurrency: b.cfg.Concurrency,
		Logger: b.log, TracerProvider: b.cfg.TracerProvider, OnReject: b.onReject,
	}
}

// eventID derives the id of an outgoing event from what caused it, so that
// a broker repeating a step after a crash sends the same id again and
// JetStream keeps one copy.
func eventID(parts ...string) string {
	name := ""
	for _, p := range parts {
		name += p + "/"
	}
	return uuid.NewSHA1(idSpace, []byte(name)).String()
}

var idSpace = uuid.MustParse("6f1d1a55-3c1e-4f4e-9a7b-0c3d9e1f2a61")

func (b *Broker) fault(point string) error {
	if b.cfg.Fault == nil {
		return nil
	}
	return b.cfg.Fault(point)
}
