package events

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Credentials say how one system connects to NATS.
type Credentials struct {
	URL      string `json:"url"`
	User     string `json:"user"`
	Password string `json:"password,omitempty"`
	// CredsFile is a NATS .creds file (JWT and NKey), used instead of
	// user and password in decentralised deployments.
	CredsFile string `json:"creds_file,omitempty"`
	// CAFile, CertFile and KeyFile enable TLS (and mutual TLS).
	CAFile   string `json:"ca_file,omitempty"`
	CertFile string `json:"cert_file,omitempty"`
	KeyFile  string `json:"key_file,omitempty"`
	// InboxPrefix must match the one the server's permissions allow.
	InboxPrefix string `json:"inbox_prefix,omitempty"`
}

// Validate checks that the credentials are complete.
func (c Credentials) Validate() error {
	switch {
	case c.URL == "":
		return errors.New("credentials: no NATS URL")
	case c.CredsFile == "" && c.User == "":
		return errors.New("credentials: no user or creds file")
	case (c.CertFile == "") != (c.KeyFile == ""):
		return errors.New("credentials: TLS certificate and key go together")
	}
	return nil
}

// DefaultInboxPrefix is the per-user inbox prefix of the standard layout.
func DefaultInboxPrefix(user string) string {
	return "_INBOX_" + strings.ReplaceAll(user, "-", "_")
}

// Connect opens a NATS connection named name (shown in server monitoring)
// that reconnects forever and logs its state changes.
func Connect(name string, c Credentials, log *slog.Logger) (*nats.Conn, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500 * time.Millisecond),
		// No buffering while disconnected: a publish then fails at once and
		// is retried with its id, instead of leaving later, after its caller
		// was told it failed.
		nats.ReconnectBufSize(-1),
		nats.RetryOnFailedConnect(false),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil { // nil means closed on purpose
				log.Warn("nats disconnected", "conn", name, "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("nats reconnected", "conn", name, "url", nc.ConnectedUrlRedacted()) }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { log.Warn("nats error", "conn", name, "err", err) }),
	}
	if c.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(c.CredsFile))
	} else {
		opts = append(opts, nats.UserInfo(c.User, c.Password))
	}
	prefix := c.InboxPrefix
	if prefix == "" && c.User != "" {
		prefix = DefaultInboxPrefix(c.User)
	}
	if prefix != "" {
		opts = append(opts, nats.CustomInboxPrefix(prefix))
	}
	if c.CAFile != "" {
		opts = append(opts, nats.RootCAs(c.CAFile))
	}
	if c.CertFile != "" {
		opts = append(opts, nats.ClientCert(c.CertFile, c.KeyFile))
	}
	nc, err := nats.Connect(c.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect %s as %s: %w", c.URL, c.User, err)
	}
	return nc, nil
}

// JetStream returns the JetStream context of nc.
func JetStream(nc *nats.Conn) (jetstream.JetStream, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	return js, nil
}
