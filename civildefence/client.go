package civildefence

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/errgroup"

	"github.com/sharjah-handoff/handoff/events"
)

// Config configures a Client.
type Config struct {
	// Name identifies the Civil Defence system. Its durable consumers are
	// "<name>-<queue>": instances of one system share a queue's work, and
	// two systems each get every ticket.
	Name string
	// Source is the ce-source of the reports, e.g.
	// "/civil-defence/backoffice".
	Source string
	// Concurrency is how many events of one queue are handled at once.
	Concurrency int
	// MaxDeliver, BackOff and AckWait govern redelivery (see
	// events.ConsumerConfig); zero values take the events defaults.
	MaxDeliver int
	BackOff    []time.Duration
	AckWait    time.Duration
	// PublishAttempts and PublishTimeout bound one report: how often it is
	// tried, with the same event id, and how long each try waits for the
	// stream's acknowledgement. Defaults 3 and 2 s.
	PublishAttempts int
	PublishTimeout  time.Duration
	Logger          *slog.Logger
	TracerProvider  trace.TracerProvider
}

func (c *Config) defaults() {
	if c.Concurrency == 0 {
		c.Concurrency = 4
	}
	if c.PublishAttempts == 0 {
		c.PublishAttempts = 3
	}
	if c.PublishTimeout == 0 {
		c.PublishTimeout = 2 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.TracerProvider == nil {
		c.TracerProvider = otel.GetTracerProvider()
	}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if err := events.CheckToken(c.Name); err != nil {
		return fmt.Errorf("civil defence client: name: %w", err)
	}
	if c.Source == "" {
		return errors.New("civil defence client: no source")
	}
	if c.Concurrency < 0 || c.MaxDeliver < 0 || c.PublishAttempts < 0 || c.PublishTimeout < 0 {
		return errors.New("civil defence client: negative setting")
	}
	return nil
}

// Client takes tickets from Civil Defence queues and reports their status.
// It is safe for concurrent use.
type Client struct {
	js     jetstream.JetStream
	cfg    Config
	pub    *events.Publisher
	tracer trace.Tracer
}

// New returns a client that talks to NATS through js, connected as a Civil
// Defence user (in the standard layout "cd-system" or "backoffice").
func New(js jetstream.JetStream, cfg Config) (*Client, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Report retries itself, so that it can tell whether any attempt may
	// have been stored; the publisher tries once per call.
	pub, err := events.NewPublisher(js, cfg.Source, events.WithPublishAttempts(1),
		events.WithPublishTimeout(cfg.PublishTimeout), events.WithTracerProvider(cfg.TracerProvider),
		events.WithPublisherLogger(cfg.Logger))
	if err != nil {
		return nil, fmt.Errorf("civil defence client: %w", err)
	}
	return &Client{js: js, cfg: cfg, pub: pub, tracer: cfg.TracerProvider.Tracer(instrumentation)}, nil
}

const instrumentation = "github.com/sharjah-handoff/handoff/civildefence"

// Connected reports whether the client's NATS connection is up. While it
// is not, Report fails at once with ErrNotPublished and consumers wait to
// resume.
func (c *Client) Connected() bool { return c.js.Conn().IsConnected() }

// Durable is the name of the durable consumer this client uses for queue.
func (c *Client) Durable(queue string) string { return c.cfg.Name + "-" + queue }

// Consume delivers the events of each queue to h until ctx ends; then it
// stops fetching, lets handlers in flight finish and acknowledge, and
// returns nil. Events acknowledged before a stop are not delivered again
// to the same Name; events not yet acknowledged are.
func (c *Client) Consume(ctx context.Context, h Handler, queues ...string) error {
	if len(queues) == 0 {
		return errors.New("consume: no queue")
	}
	var runners []*events.Consumer
	for _, q := range queues {
		r, err := c.consumer(q, h)
		if err != nil {
			return err
		}
		runners = append(runners, r)
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, r := range runners {
		g.Go(func() error { return r.Run(gctx) })
	}
	return g.Wait()
}

func (c *Client) consumer(queue string, h Handler) (*events.Consumer, error) {
	filter, err := events.QueueFilter(queue)
	if err != nil {
		return nil, fmt.Errorf("consume: %w", err)
	}
	cfg := events.ConsumerConfig{
		Stream: events.StreamCDTickets, Durable: c.Durable(queue), FilterSubjects: []string{filter},
		Origin: "cd", Types: ticketTypes, MaxDeliver: c.cfg.MaxDeliver, BackOff: c.cfg.BackOff,
		AckWait: c.cfg.AckWait, Concurrency: c.cfg.Concurrency, Logger: c.cfg.Logger.With("queue", queue),
		TracerProvider: c.cfg.TracerProvider,
	}
	return events.NewConsumer(c.js, cfg, func(ctx context.Context, d *events.Delivery) error {
		return dispatch(ctx, h, d)
	})
}
