package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
	"github.com/sharjah-handoff/handoff/events/embedded"
	"github.com/sharjah-handoff/handoff/internal/telemetry"
)

// upEnv is what `handoff up` gives each in-process service.
type upEnv struct {
	JS        jetstream.JetStream
	Conn      *nats.Conn
	Catalogue *contracts.Catalogue
	Log       *slog.Logger
	Telemetry *telemetry.Providers
	// Data is the service's own directory under --data, for its files.
	Data string
	// HTTPBase is the base URL of the shared HTTP server, for messages.
	HTTPBase string
}

// running is a started service: its loop, its HTTP handlers by path
// prefix, and lines to print about it.
type running struct {
	Run    func(ctx context.Context) error
	Mounts map[string]http.Handler
	Info   []string
	// OnShutdown ends long-lived responses (event streams) when the HTTP
	// server shuts down, which would otherwise wait for them.
	OnShutdown func()
}

// upService is one service `handoff up` runs, as its own NATS user.
type upService struct {
	Name, User, Agency string
	Start              func(ctx context.Context, env upEnv) (running, error)
}

// upServices are the services of `handoff up`, in start order.
func upServices() []upService {
	return []upService{
		brokerUpService(),
		backofficeUpService(),
		intakeUpService(),
	}
}

type upFlags struct {
	data, listen, http, logFormat string
	syncAlways                    bool
	shutdownGrace                 time.Duration
}

func runUp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f upFlags
	fs := newFlagSet("up", "[flags]", `Runs the whole system on this machine: an embedded NATS server with the
three accounts (contact centre, Civil Defence, broker), every stream and
bucket, the broker and the web front ends. State lives in --data and
survives a restart. Ctrl-C stops everything gracefully.`)
	fs.StringVar(&f.data, "data", defaultDataDir(), "data directory (NATS store, credentials)")
	fs.StringVar(&f.listen, "nats-listen", "127.0.0.1:4222", "NATS client address (port 0 picks a free one)")
	fs.StringVar(&f.http, "http", ":8080", "HTTP address of the web front ends and APIs")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fs.BoolVar(&f.syncAlways, "sync-always", false, "fsync every JetStream write (slower; survives power loss)")
	fs.DurationVar(&f.shutdownGrace, "shutdown-grace", 10*time.Second, "how long in-flight work may take to finish on Ctrl-C")
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	return up(ctx, f, stdout, newLogger(stderr, f.logFormat))
}

func up(ctx context.Context, f upFlags, stdout io.Writer, log *slog.Logger) error {
	cat, err := contracts.DefaultCatalogue()
	if err != nil {
		return err
	}
	srv, err := embedded.Start(ctx, embedded.Config{Dir: filepath.Join(f.data, "nats"), Listen: f.listen, SyncAlways: f.syncAlways})
	if err != nil {
		return err
	}
	defer srv.Shutdown()
	if err := embedded.ProvisionAll(ctx, srv, events.StoreConfig{Replicas: 1}); err != nil {
		return err
	}
	if err := writeConnectFile(f.data, srv); err != nil {
		return err
	}
	ln, base, err := listenHTTP(f.http)
	if err != nil {
		return err
	}

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	g, gctx := errgroup.WithContext(runCtx)
	mux := http.NewServeMux()
	var info []string
	var closers, onShutdown []func()
	for _, s := range upServices() {
		r, closeFn, err := startUpService(gctx, s, srv, cat, f.data, base, log)
		if err != nil {
			return err
		}
		closers = append(closers, closeFn)
		for prefix, h := range r.Mounts {
			mux.Handle(prefix, h)
		}
		info = append(info, r.Info...)
		if r.OnShutdown != nil {
			onShutdown = append(onShutdown, r.OnShutdown)
		}
		if r.Run != nil {
			g.Go(func() error { return r.Run(gctx) })
		}
	}
	mux.HandleFunc("GET /{$}", indexPage(mux, info))
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	for _, f := range onShutdown {
		hs.RegisterOnShutdown(f)
	}
	g.Go(func() error {
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	printUp(stdout, srv, f.data, base, info)

	select {
	case <-ctx.Done():
		log.Info("shutting down", "grace", f.shutdownGrace)
	case <-gctx.Done():
	}
	sctx, scancel := context.WithTimeout(context.Background(), f.shutdownGrace)
	defer scancel()
	_ = hs.Shutdown(sctx)
	cancel()
	err = g.Wait()
	for _, c := range closers {
		c()
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	log.Info("stopped")
	return nil
}

// startUpService connects a service as its own user, with its own
// telemetry, and starts it.
func startUpService(ctx context.Context, s upService, srv *embedded.Server, cat *contracts.Catalogue, data, base string, log *slog.Logger) (running, func(), error) {
	sc, err := dialService(ctx, s.Name, s.Agency, srv.Credentials(s.User), log)
	if err != nil {
		return running{}, nil, err
	}
	dir := filepath.Join(data, s.Name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		sc.Close()
		return running{}, nil, err
	}
	env := upEnv{JS: sc.JS, Conn: sc.NC, Catalogue: cat, Log: log.With("service", s.Name), Telemetry: sc.Tel, Data: dir, HTTPBase: base}
	r, err := s.Start(ctx, env)
	if err != nil {
		sc.Close()
		return running{}, nil, fmt.Errorf("start %s: %w", s.Name, err)
	}
	return r, sc.Close, nil
}

func writeConnectFile(data string, srv *embedded.Server) error {
	cf := connectFile{URL: srv.URL(), Systems: map[string]events.Credentials{}}
	for _, s := range embedded.Systems() {
		cf.Systems[s.User] = srv.Credentials(s.User)
	}
	b, _ := json.MarshalIndent(cf, "", "  ")
	return os.WriteFile(filepath.Join(data, connectFileName), b, 0o600)
}

func displayAddr(a string) string {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return a
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

func printUp(w io.Writer, srv *embedded.Server, data, base string, info []string) {
	fmt.Fprintf(w, "Handoff is running.\n\n  NATS        %s   (accounts BROKER, CC, CD; no anonymous access)\n  Web         %s/\n", srv.URL(), base)
	for _, l := range info {
		fmt.Fprintf(w, "  %s\n", l)
	}
	fmt.Fprintf(w, "\nEach system connects as its own NATS user; credentials are in %s:\n",
		filepath.Join(data, connectFileName))
	var users []string
	for _, s := range embedded.Systems() {
		users = append(users, fmt.Sprintf("    %-13s %-7s %s", s.User, s.Account, s.Purpose))
	}
	sort.Strings(users)
	fmt.Fprintln(w, strings.Join(users, "\n"))
	fmt.Fprintf(w, "\nTry:\n  go run ./services/handoff submit --service fire_hazard_complaint --attr hazard_type=blocked_exit --attr premises_type=shop --address \"Al Majaz 2, Sharjah\"\n")
	fmt.Fprintf(w, "  go run ./services/handoff show <reference>\n\nCtrl-C stops everything.\n")
}

// indexPage lists what runs, so that the root URL is never a dead end.
func indexPage(_ *http.ServeMux, info []string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><html lang=en><meta charset=utf-8><title>Handoff</title><h1>Handoff</h1><ul>")
		for _, l := range info {
			fmt.Fprintf(w, "<li>%s</li>", htmlEscape(l))
		}
		fmt.Fprint(w, "</ul></html>")
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
