package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/internal/telemetry"
	"github.com/sharjah-handoff/handoff/services/broker"
)

func brokerUpService() upService {
	return upService{Name: "broker", User: "broker", Agency: telemetry.AgencyBroker,
		Start: func(ctx context.Context, env upEnv) (running, error) {
			b, err := broker.New(ctx, env.JS, broker.Config{Catalogue: env.Catalogue, Logger: env.Log,
				TracerProvider: env.Telemetry.Tracer, MeterProvider: env.Telemetry.Meter})
			if err != nil {
				return running{}, err
			}
			return running{Run: b.Run}, nil
		}}
}

func runBroker(ctx context.Context, args []string, _, stderr io.Writer) error {
	var cf connFlags
	var logFormat, catalogue string
	var concurrency int
	var watch, reportEvery time.Duration
	fs := newFlagSet("broker", "--nats URL [flags]", `Runs the broker alone against an external NATS (in production a 3-node
cluster with R3 streams). Streams and buckets must exist: provision them
with an admin user first. SIGTERM drains in-flight work and exits.`)
	cf.register(fs, "broker")
	fs.StringVar(&logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&catalogue, "catalogue", "", "service catalogue JSON file (default: the embedded one)")
	fs.IntVar(&concurrency, "concurrency", 16, "messages handled at once per consumer")
	fs.DurationVar(&watch, "sla-watch-interval", 10*time.Second, "how often the SLA watchdog looks for overdue tickets")
	fs.DurationVar(&reportEvery, "sla-report-every", 15*time.Minute, "how often an overdue ticket is reported again")
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := newLogger(stderr, logFormat)
	cat, err := loadCatalogue(catalogue)
	if err != nil {
		return err
	}
	sc, err := connectService(ctx, cf, "broker", telemetry.AgencyBroker, log)
	if err != nil {
		return err
	}
	defer sc.Close()
	b, err := broker.New(ctx, sc.JS, broker.Config{Catalogue: cat, Concurrency: concurrency, WatchInterval: watch,
		ReportEvery: reportEvery, Logger: log, TracerProvider: sc.Tel.Tracer, MeterProvider: sc.Tel.Meter})
	if err != nil {
		return err
	}
	return b.Run(ctx)
}

func loadCatalogue(path string) (*contracts.Catalogue, error) {
	if path == "" {
		return contracts.DefaultCatalogue()
	}
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	c, err := contracts.ParseCatalogue(data)
	if err != nil {
		return nil, fmt.Errorf("catalogue %s: %w", path, err)
	}
	return c, nil
}

func shutdownTelemetry(tel *telemetry.Providers) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = tel.Shutdown(ctx)
}
