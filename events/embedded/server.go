// Package embedded runs nats-server inside the Handoff process with the
// production account layout: three agency accounts joined by service
// exports and imports, one user per system, JetStream on disk. It is what
// `handoff up` and the tests run on.
package embedded

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/sharjah-handoff/handoff/events"
)

// Config says where and how to run the server.
type Config struct {
	// Dir holds the JetStream store, the generated configuration and the
	// generated passwords; state survives a restart with the same Dir.
	Dir string
	// Listen is host:port; port 0 picks a free one.
	Listen string
	// ServerName names the server in monitoring; default "handoff".
	ServerName string
	// SyncAlways makes JetStream fsync every write (sync_interval: always):
	// slower, but no acknowledged write is lost on power failure.
	SyncAlways bool
	// HTTPMonitor, when set (host:port), serves nats-server monitoring.
	HTTPMonitor string
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.Dir == "" {
		return errors.New("embedded nats: no data directory")
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("embedded nats: listen %q: %w", c.Listen, err)
	}
	return nil
}

// Server is a running embedded nats-server.
type Server struct {
	ns        *server.Server
	passwords map[string]string
}

// Start starts the server and returns once JetStream answers in every
// account.
func Start(ctx context.Context, c Config) (*Server, error) {
	if c.ServerName == "" {
		c.ServerName = "handoff"
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	pw, err := loadPasswords(filepath.Join(c.Dir, "passwords.json"))
	if err != nil {
		return nil, err
	}
	opts, err := c.options(pw)
	if err != nil {
		return nil, err
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(15 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("embedded nats: not ready for connections after 15s")
	}
	s := &Server{ns: ns, passwords: pw}
	if err := s.waitJetStream(ctx); err != nil {
		s.Shutdown()
		return nil, err
	}
	return s, nil
}

func (c Config) options(pw map[string]string) (*server.Options, error) {
	host, portS, _ := net.SplitHostPort(c.Listen)
	port, err := strconv.Atoi(portS)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: port %q: %w", portS, err)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	store := filepath.Join(c.Dir, "jetstream")
	conf := fmt.Sprintf("server_name: %q\njetstream {\n  store_dir: %q\n  max_file_store: 10GB\n  max_memory_store: 256MB\n%s}\n",
		c.ServerName, store, syncLine(c.SyncAlways))
	conf += "max_payload: 1MB\n" + AccountsConfig(func(u string) string { return strconv.Quote(pw[u]) })
	path := filepath.Join(c.Dir, "nats.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: config: %w", err)
	}
	opts.Host, opts.Port = host, port
	opts.NoSigs = true
	opts.NoLog = true
	if c.HTTPMonitor != "" {
		mh, mp, err := net.SplitHostPort(c.HTTPMonitor)
		if err != nil {
			return nil, fmt.Errorf("embedded nats: monitor %q: %w", c.HTTPMonitor, err)
		}
		opts.HTTPHost = mh
		opts.HTTPPort, _ = strconv.Atoi(mp)
	}
	return opts, nil
}

func syncLine(always bool) string {
	if always {
		return "  sync_interval: always\n"
	}
	return ""
}

// waitJetStream waits until each account's JetStream answers its admin.
func (s *Server) waitJetStream(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for _, admin := range []string{"broker-admin", "cc-admin", "cd-admin"} {
		nc, err := events.Connect("handoff-startup", s.Credentials(admin), nil)
		if err != nil {
			return fmt.Errorf("embedded nats: %w", err)
		}
		js, err := events.JetStream(nc)
		if err == nil {
			for {
				if _, err = js.AccountInfo(ctx); err == nil || ctx.Err() != nil {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		nc.Close()
		if err != nil {
			return fmt.Errorf("embedded nats: jetstream for %s: %w", admin, err)
		}
	}
	return nil
}

// URL is the client URL, e.g. nats://127.0.0.1:4222.
func (s *Server) URL() string { return s.ns.ClientURL() }

// Credentials returns how user connects.
func (s *Server) Credentials(user string) events.Credentials {
	return events.Credentials{URL: s.URL(), User: user, Password: s.passwords[user], InboxPrefix: events.DefaultInboxPrefix(user)}
}

// Connect connects as user, for tests and for in-process services.
func (s *Server) Connect(user string) (*nats.Conn, error) {
	return events.Connect("handoff-"+user, s.Credentials(user), nil)
}

// Shutdown stops the server and waits until it has stopped.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}

// loadPasswords reads the generated passwords, creating them on first run.
func loadPasswords(path string) (map[string]string, error) {
	pw := map[string]string{}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &pw); err != nil {
			return nil, fmt.Errorf("embedded nats: %s: %w", path, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	changed := false
	for _, u := range append(users(), "sys") {
		if pw[u] == "" {
			pw[u] = randomPassword()
			changed = true
		}
	}
	if changed {
		data, _ := json.MarshalIndent(pw, "", "  ")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, fmt.Errorf("embedded nats: %w", err)
		}
	}
	return pw, nil
}

func users() []string {
	var u []string
	for _, s := range Systems() {
		u = append(u, s.User)
	}
	return u
}

func randomPassword() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// AdminOf is the provisioning user of an account.
func AdminOf(account string) string {
	switch account {
	case events.AccountCC:
		return "cc-admin"
	case events.AccountCD:
		return "cd-admin"
	}
	return "broker-admin"
}

// ProvisionAll creates or updates every account's streams and buckets,
// each with that account's admin.
func ProvisionAll(ctx context.Context, s *Server, c events.StoreConfig) error {
	for _, acc := range []string{events.AccountBroker, events.AccountCC, events.AccountCD} {
		nc, err := s.Connect(AdminOf(acc))
		if err != nil {
			return err
		}
		js, err := events.JetStream(nc)
		if err == nil {
			err = events.Provision(ctx, js, acc, c)
		}
		nc.Close()
		if err != nil {
			return fmt.Errorf("provision %s: %w", acc, err)
		}
	}
	return nil
}
