// Package natstest starts a real embedded nats-server, with the production
// account layout and every stream and bucket provisioned, for tests.
package natstest

import (
	"context"
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
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := embedded.Start(ctx, embedded.Config{Dir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("start nats: %v", err)
	}
	t.Cleanup(s.Shutdown)
	if err := embedded.ProvisionAll(ctx, s, events.StoreConfig{Replicas: 1}); err != nil {
		t.Fatalf("provision: %v", err)
	}
	return s
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

// StreamMessages returns every message of stream whose subject matches
// filter, in order, read with an admin of the owning account.
func StreamMessages(t testing.TB, s *embedded.Server, stream, filter string) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, js := Connect(t, s, embedded.AdminOf(accountOf(stream)))
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
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
