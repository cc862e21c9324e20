// Command handoff runs the Handoff service-request broker between Sharjah's
// government contact centre and Sharjah Civil Defence: every service alone
// against a NATS cluster, or all of them at once on an embedded server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"up", "run everything on an embedded NATS server (one machine, for trying and developing)", runUp},
		{"broker", "run the broker against an external NATS", runBroker},
		{"intake", "run the contact-centre intake (Open311 API, agents' page, request view) against an external NATS", runIntake},
		{"backoffice", "run the Civil Defence back office (officers' page and API) against an external NATS", runBackoffice},
		{"provision", "create or update an account's streams and buckets on an external NATS", runProvision},
		{"submit", "submit a request as the contact centre", runSubmit},
		{"update", "report a Civil Defence status change for a ticket", runUpdate},
		{"show", "show a handoff's state and history by request id, ticket id or reference", runShow},
		{"dlq", "list dead letters, or replay one once its cause is fixed", runDLQ},
		{"version", "print the version", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a subcommand and returns the exit code: 0 on success,
// 2 for a usage error, 1 for any other failure.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], stdout, stderr)
			switch {
			case err == nil || errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				fmt.Fprintf(stderr, "handoff %s: %v\nRun 'handoff %s --help' for usage.\n", c.name, err, c.name)
				return 2
			default:
				fmt.Fprintf(stderr, "handoff %s: %v\n", c.name, err)
				return 1
			}
		}
	}
	fmt.Fprintf(stderr, "handoff: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

// errUsage marks an error in how a command was called.
var errUsage = errors.New("usage")

func usageErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, a...))
}

func usage(w io.Writer) {
	fmt.Fprint(w, `handoff hands service requests from Sharjah's contact centre (8008000) to
Sharjah Civil Defence back-office queues, and carries their status back.

Usage:
  handoff <command> [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'handoff <command> --help' for a command's flags.

Start here:
  handoff up                     # NATS, broker and web front ends on this machine
  handoff submit --service fire_hazard_complaint --attr hazard_type=blocked_exit \
      --attr premises_type=shop --address "Al Majaz 2, Sharjah"
  handoff show CC-XXXX-XXXX

Tracing: set OTEL_EXPORTER_OTLP_ENDPOINT (e.g. http://localhost:4318) to export spans.
`)
}

func runVersion(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlagSet("version", "", "Print the version of this binary.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	v := version
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		fmt.Fprintf(stdout, "handoff %s %s\n", v, info.GoVersion)
		return nil
	}
	fmt.Fprintf(stdout, "handoff %s\n", v)
	return nil
}

// newFlagSet returns a flag set whose errors are returned, not printed and
// exited on, with a usage text of synopsis and description.
func newFlagSet(name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: handoff %s %s\n\n%s\n\nFlags:\n", name, synopsis, description)
		fs.PrintDefaults()
	}
	return fs
}

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
