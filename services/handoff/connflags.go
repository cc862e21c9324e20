package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sharjah-handoff/handoff/events"
)

// connFlags are how a command finds NATS: explicit flags for a real
// deployment, or the connect file `handoff up` writes into its data
// directory.
type connFlags struct {
	url, user, password, creds string
	ca, cert, key              string
	data                       string
	defaultUser                string
}

func (c *connFlags) register(fs *flag.FlagSet, defaultUser string) {
	c.defaultUser = defaultUser
	fs.StringVar(&c.url, "nats", "", "NATS URL, e.g. tls://nats-1.example:4222 (default: the one 'handoff up' in --data runs)")
	fs.StringVar(&c.user, "user", "", "NATS user (default "+defaultUser+")")
	fs.StringVar(&c.password, "password", "", "NATS password (or set HANDOFF_NATS_PASSWORD)")
	fs.StringVar(&c.creds, "creds", "", "NATS credentials file (JWT + NKey), instead of user and password")
	fs.StringVar(&c.ca, "tls-ca", "", "CA certificate file for TLS to NATS")
	fs.StringVar(&c.cert, "tls-cert", "", "client certificate file for mutual TLS")
	fs.StringVar(&c.key, "tls-key", "", "client key file for mutual TLS")
	fs.StringVar(&c.data, "data", defaultDataDir(), "data directory of a local 'handoff up' (to find its NATS and credentials)")
}

func defaultDataDir() string {
	if d := os.Getenv("HANDOFF_DATA"); d != "" {
		return d
	}
	return "handoff-data"
}

// connectFile is written by `handoff up` so that local commands can reach it.
type connectFile struct {
	URL     string                        `json:"url"`
	Systems map[string]events.Credentials `json:"systems"`
}

const connectFileName = "connect.json"

func (c *connFlags) credentials() (events.Credentials, error) {
	user := c.user
	if user == "" {
		user = c.defaultUser
	}
	if c.url != "" {
		pw := c.password
		if pw == "" {
			pw = os.Getenv("HANDOFF_NATS_PASSWORD")
		}
		cr := events.Credentials{URL: c.url, User: user, Password: pw, CredsFile: c.creds, CAFile: c.ca, CertFile: c.cert, KeyFile: c.key}
		return cr, cr.Validate()
	}
	path := filepath.Join(c.data, connectFileName)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return events.Credentials{}, usageErr("no --nats given and no %s: start 'handoff up' first, or pass --nats and credentials", path)
	}
	if err != nil {
		return events.Credentials{}, err
	}
	var cf connectFile
	if err := json.Unmarshal(data, &cf); err != nil {
		return events.Credentials{}, fmt.Errorf("%s: %w", path, err)
	}
	cr, ok := cf.Systems[user]
	if !ok {
		return events.Credentials{}, usageErr("user %q is not in %s", user, path)
	}
	return cr, nil
}
