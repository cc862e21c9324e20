package test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
	"github.com/sharjah-handoff/handoff/internal/natstest"
)

// buildBinary builds ./services/handoff once per test run.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "handoff-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "handoff")
	out, err := exec.Command("go", "build", "-o", bin, "../services/handoff").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func binary(t *testing.T) string {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// upProcess is a running `handoff up`.
type upProcess struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	errOut *syncBuffer
	done   chan error
}

func startUp(t *testing.T, data string) *upProcess {
	t.Helper()
	cmd := exec.Command(binary(t), "up", "--data", data, "--nats-listen", "127.0.0.1:0", "--http", "127.0.0.1:0")
	p := &upProcess{cmd: cmd, out: &syncBuffer{}, errOut: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.out, p.errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	natstest.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		select {
		case err := <-p.done:
			t.Fatalf("handoff up exited: %v\n%s", err, p.errOut.String())
		default:
		}
		if !strings.Contains(p.out.String(), "Handoff is running") {
			return fmt.Errorf("not running yet")
		}
		return nil
	})
	return p
}

// interrupt sends Ctrl-C and returns how long the process took to exit.
func (p *upProcess) interrupt(t *testing.T) time.Duration {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("handoff up exited with %v after Ctrl-C\n%s", err, p.errOut.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("handoff up still running 15s after Ctrl-C")
	}
	p.done <- nil // for the cleanup
	return time.Since(start)
}

func handoff(t *testing.T, data string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
	cmd.Env = append(os.Environ(), "HANDOFF_DATA="+data)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("handoff %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

var (
	referenceRe = regexp.MustCompile(`reference\s+(CC-[0-9A-Z]{4}-[0-9A-Z]{4})`)
	ticketRe    = regexp.MustCompile(`ticket\s+(CD-[0-9A-Z]{4}-[0-9A-Z]{4}) \(([0-9a-f-]{36})\)`)
)

// TestUpSubmitUpdateShowRestart walks the README's quick start with the real
// binary: up, submit, update, show; Ctrl-C; up again on the same data.
func TestUpSubmitUpdateShowRestart(t *testing.T) {
	data := t.TempDir()
	p := startUp(t, data)

	out := handoff(t, data, "submit", "--service", "fire_hazard_complaint", "--attr", "hazard_type=blocked_exit",
		"--attr", "premises_type=shop", "--address", "Al Majaz 2, Sharjah", "--description", "Fire exit blocked")
	ref, tm := referenceRe.FindStringSubmatch(out), ticketRe.FindStringSubmatch(out)
	if ref == nil || tm == nil || !strings.Contains(out, "status      queued") {
		t.Fatalf("submit did not report a queued ticket:\n%s", out)
	}
	tid := tm[2]
	handoff(t, data, "update", "--ticket", tid, "--version", "1", "--status", "accepted")
	handoff(t, data, "update", "--ticket", tid, "--version", "2", "--status", "in_progress")
	natstest.Eventually(t, func() error {
		if s := handoff(t, data, "show", ref[1]); !strings.Contains(s, "in_progress") {
			return fmt.Errorf("show:\n%s", s)
		}
		return nil
	})

	// An illegal change is refused and dead-lettered; operators see it.
	handoff(t, data, "update", "--ticket", tid, "--version", "3", "--status", "closed")
	natstest.Eventually(t, func() error {
		if s := handoff(t, data, "dlq", "list"); !strings.Contains(s, "illegal_transition") {
			return fmt.Errorf("dlq list:\n%s", s)
		}
		return nil
	})

	if took := p.interrupt(t); took > 5*time.Second {
		t.Fatalf("Ctrl-C took %s to stop everything", took)
	}

	startUp(t, data)
	show := handoff(t, data, "show", strings.ToLower(ref[1]))
	for _, want := range []string{"in_progress", tm[1], "version 2", "accepted"} {
		if !strings.Contains(show, want) {
			t.Fatalf("after restart, show lacks %q:\n%s", want, show)
		}
	}
	// And the restarted broker keeps working on the same handoff.
	handoff(t, data, "update", "--ticket", tid, "--version", "3", "--status", "resolved",
		"--note-en", "Exit cleared", "--note-ar", "تمت إزالة العائق")
	natstest.Eventually(t, func() error {
		if s := handoff(t, data, "show", tid); !strings.Contains(s, "resolved") {
			return fmt.Errorf("show:\n%s", s)
		}
		return nil
	})
}

func TestHelpAndUsageErrors(t *testing.T) {
	bin := binary(t)
	out, err := exec.Command(bin, "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Commands:") || !strings.Contains(string(out), "up") {
		t.Fatalf("--help: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "handoff ") {
		t.Fatalf("version: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "nonsense")
	out, _ = cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), `unknown command "nonsense"`) {
		t.Fatalf("unknown command: exit %d\n%s", cmd.ProcessState.ExitCode(), out)
	}
	cmd = exec.Command(bin, "submit", "--data", t.TempDir(), "--service", "fire_hazard_complaint", "--attr", "hazard_type=nope")
	out, _ = cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "/attributes/hazard_type") || !strings.Contains(string(out), "/location") {
		t.Fatalf("bad submit: exit %d\n%s", cmd.ProcessState.ExitCode(), out)
	}
}

// TestStandaloneBrokerAgainstExternalNATS runs `handoff broker --nats` as
// its own process against a server it did not start, as in production, and
// stops it with SIGTERM.
func TestStandaloneBrokerAgainstExternalNATS(t *testing.T) {
	s := natstest.Start(t)
	creds := s.Credentials("broker")
	cmd := exec.Command(binary(t), "broker", "--nats", s.URL(), "--user", "broker", "--log-format", "json")
	cmd.Env = append(os.Environ(), "HANDOFF_NATS_PASSWORD="+creds.Password)
	errOut := &syncBuffer{}
	cmd.Stderr = errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	_, js := natstest.Connect(t, s, "agent")
	pub, _ := events.NewPublisher(js, "/contact-centre/test")
	id := uuid.Must(uuid.NewV7())
	req := contracts.RequestSubmitted{RequestID: id.String(), Reference: contracts.RandomReference("CC", id),
		ServiceCode: "service_inquiry", SubmittedAt: time.Now().UTC(), Channel: "phone", Language: "en",
		Attributes: contracts.Attributes{"inquiry_topic": "fees"}}
	if _, err := pub.Publish(context.Background(), events.Outgoing{Type: contracts.TypeRequestSubmitted,
		Tokens: []string{req.RequestID}, Subject: req.RequestID, CorrelationID: req.RequestID, Payload: req}); err != nil {
		t.Fatal(err)
	}
	natstest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
		if n := len(natstest.StreamMessages(t, s, events.StreamCDTickets, "cd.ticket.customer_care.*.opened")); n != 1 {
			return fmt.Errorf("%d tickets on customer_care; broker log:\n%s", n, errOut.String())
		}
		return nil
	})
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("broker exited with %v after SIGTERM\n%s", err, errOut.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("broker still running 15s after SIGTERM")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("SIGTERM took %s", took)
	}
	if !strings.Contains(errOut.String(), `"msg":"broker running"`) {
		t.Fatalf("unexpected broker log:\n%s", errOut.String())
	}
}
