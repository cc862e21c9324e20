// Package natstest starts a real embedded nats-server, with the production
// account layout and every stream and bucket provisioned, for tests.
package natstest

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sharjah-handoff/handoff/events"
	"github.com/sharjah-handoff/handoff/events/embedded"
)

// Start runs a server on a random loopback port with a temporary store,
// provisions every account, and shuts it down when the test ends.
func Start(t testing.TB) *embedded.Server {
	t.Helper()
	return StartIn(t, t.TempDir())
}

// StartIn is Start with a given data directory, so that a test can restart
// a server on the same state.
func StartIn(t testing.TB, dir string) *embedded.Server {
	t.Helper()
	return StartAt(t, dir, "127.0.0.1:0")
}

// StartAt is StartIn on a fixed address (see FreeAddr), so that a test can
// stop a server and start it again where its clients will reconnect, as
// they would to a restarted production server.
func StartAt(t testing.TB, dir, listen string) *embedded.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := embedded.Start(ctx, embedded.Config{Dir: dir, Listen: listen})
	if err != nil {
		t.Fatalf("start nats: %v", err)
	}
	t.Cleanup(s.Shutdown)
	if err := embedded.ProvisionAll(ctx, s, events.StoreConfig{Replicas: 1}); err != nil {
		t.Fatalf("provision: %v", err)
	}
	return s
}

// FreeAddr returns a loopback address whose port was free a moment ago,
// for StartAt.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Connect connects as user and closes the connection when the test ends.
func Connect(t testing.TB, s *embedded.Server, user string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := s.Connect(user)
	if err != nil {
		t.Fatalf("connect %s: %v", user, err)
	}
	t.Cleanup(nc.Close)
	js, err := events.JetStream(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// CheckFor polls f every interval until it returns nil or timeout passes,
// then fails the test with f's last error.
func CheckFor(t testing.TB, timeout, interval time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after %s: %v", timeout, err)
		}
		time.Sleep(interval)
	}
}

// Eventually is CheckFor with a 10 s timeout and a 20 ms interval.
func Eventually(t testing.TB, f func() error) {
	t.Helper()
	CheckFor(t, 10*time.Second, 20*time.Millisecond, f)
}

// Background runs run (a consumer, a broker, a service) until the test ends
// or stop is called, whichever comes first. stop cancels run's context and
// waits up to 10 s for it to return; an error it returns, or a longer wait,
// fails the test, as what names. Calling stop again does nothing.
func Background(t testing.TB, what string, run func(context.Context) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("%s: %v", what, err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("%s did not stop within 10s", what)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// StreamMessages returns every message of stream whose subject matches
// filter, in order, read with an admin of the owning account.
func StreamMessages(t testing.TB, s *embedded.Server, stream, filter string) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, st, info := adminStream(ctx, t, s, stream)
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		if filter == "" || subjectMatches(filter, m.Subject) {
			out = append(out, m)
		}
	}
	return out
}

// RefuseNew makes stream refuse every new message, as a full stream with
// discard-new does, so that a test can see how publishers cope with a
// server that says no. It returns how to undo it.
func RefuseNew(t testing.TB, s *embedded.Server, stream string) (restore func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	js, _, info := adminStream(ctx, t, s, stream)
	orig, full := info.Config, info.Config
	full.Discard, full.MaxMsgs = jetstream.DiscardNew, max(int64(info.State.Msgs), 1)
	if info.State.Msgs == 0 {
		full.MaxBytes = 1 // not even one message fits
	}
	if _, err := js.UpdateStream(ctx, full); err != nil {
		t.Fatalf("fill %s: %v", stream, err)
	}
	return func() {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := js.UpdateStream(ctx, orig); err != nil {
			t.Fatalf("restore %s: %v", stream, err)
		}
	}
}

// adminStream opens stream as an admin of the account that owns it, and
// reads its configuration and state.
func adminStream(ctx context.Context, t testing.TB, s *embedded.Server, stream string) (jetstream.JetStream, jetstream.Stream, *jetstream.StreamInfo) {
	t.Helper()
	_, js := Connect(t, s, embedded.AdminOf(accountOf(stream)))
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	return js, st, info
}

func accountOf(stream string) string {
	switch stream {
	case events.StreamCDTickets:
		return events.AccountCD
	case events.StreamCCUpdates:
		return events.AccountCC
	}
	return events.AccountBroker
}

func subjectMatches(filter, subject string) bool {
	fs, ss := split(filter), split(subject)
	for i, f := range fs {
		if f == ">" {
			return len(ss) > i
		}
		if i >= len(ss) || (f != "*" && f != ss[i]) {
			return false
		}
	}
	return len(fs) == len(ss)
}

func split(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
