package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/sharjah-handoff/handoff/events"
	"github.com/sharjah-handoff/handoff/internal/telemetry"
)

// serviceConn is what a standalone service command needs: its NATS
// connection as its own user, and its telemetry.
type serviceConn struct {
	NC  *nats.Conn
	JS  jetstream.JetStream
	Tel *telemetry.Providers
}

// connectService connects service (e.g. "intake") of agency to NATS with
// the command's connection flags and sets up its telemetry.
func connectService(ctx context.Context, cf connFlags, service, agency string, log *slog.Logger) (*serviceConn, error) {
	creds, err := cf.credentials()
	if err != nil {
		return nil, err
	}
	return dialService(ctx, service, agency, creds, log)
}

// dialService connects service of agency to NATS with creds, as its own
// user, and sets up its telemetry.
func dialService(ctx context.Context, service, agency string, creds events.Credentials, log *slog.Logger) (*serviceConn, error) {
	nc, err := events.Connect("handoff-"+service, creds, log)
	if err != nil {
		return nil, err
	}
	js, err := events.JetStream(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	tel, err := telemetry.Setup(ctx, "handoff-"+service, agency)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return &serviceConn{NC: nc, JS: js, Tel: tel}, nil
}

// Close drains the connection and flushes telemetry.
func (c *serviceConn) Close() {
	_ = c.NC.Drain()
	shutdownTelemetry(c.Tel)
}

// listenHTTP opens a service's HTTP address and returns the base URL to
// tell people.
func listenHTTP(addr string) (net.Listener, string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("http %s: %w", addr, err)
	}
	return ln, "http://" + displayAddr(ln.Addr().String()), nil
}

// serveAlone serves one service as a standalone command does: its mounts
// on ln, the root redirecting to home, until ctx ends.
func serveAlone(ctx context.Context, r running, home string, ln net.Listener, grace time.Duration) error {
	mux := http.NewServeMux()
	for prefix, h := range r.Mounts {
		mux.Handle(prefix, h)
	}
	mux.Handle("GET /{$}", http.RedirectHandler(home, http.StatusSeeOther))
	return serveUntilStopped(ctx, r.Run, mux, r.OnShutdown, ln, grace)
}

// serveUntilStopped runs a service's loop and its HTTP server until ctx
// ends, then stops taking requests, calls onShutdown (to end long-lived
// responses such as event streams, which a graceful shutdown would
// otherwise wait for), lets requests in flight finish within grace, and
// stops the loop, which drains its consumers.
func serveUntilStopped(ctx context.Context, run func(context.Context) error, h http.Handler, onShutdown func(),
	ln net.Listener, grace time.Duration) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	if onShutdown != nil {
		hs.RegisterOnShutdown(onShutdown)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	g, gctx := errgroup.WithContext(runCtx)
	g.Go(func() error { return run(gctx) })
	g.Go(func() error {
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	select {
	case <-ctx.Done():
	case <-gctx.Done():
	}
	sctx, scancel := context.WithTimeout(context.Background(), grace)
	defer scancel()
	_ = hs.Shutdown(sctx)
	cancel()
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
