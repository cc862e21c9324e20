package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sharjah-handoff/handoff/internal/telemetry"
	"github.com/sharjah-handoff/handoff/services/intake"
)

// Files of the intake under `handoff up`'s data directory: the same
// formats `handoff intake` reads, so a demo set-up can be edited into a
// real one.
const (
	intakeKeysFile   = "api-keys.json"
	intakeAgentsFile = "agents.json"
	intakeDemoFile   = "demo-credentials.json"
	demoAgentID      = "agent"
)

func intakeUpService() upService {
	return upService{Name: "intake", User: "intake", Agency: telemetry.AgencyContactCentre,
		Start: func(ctx context.Context, env upEnv) (running, error) {
			demo, err := demoIntake(env.Data, bcrypt.DefaultCost)
			if err != nil {
				return running{}, err
			}
			keys, err := intake.LoadAPIKeys(filepath.Join(env.Data, intakeKeysFile))
			if err != nil {
				return running{}, err
			}
			agents, err := intake.LoadAgents(filepath.Join(env.Data, intakeAgentsFile))
			if err != nil {
				return running{}, err
			}
			key, err := sessionKey(filepath.Join(env.Data, "session.key"), true)
			if err != nil {
				return running{}, err
			}
			svc, err := intake.New(ctx, env.JS, intake.Config{Catalogue: env.Catalogue, APIKeys: keys, Agents: agents,
				SessionKey: key, Logger: env.Log, TracerProvider: env.Telemetry.Tracer, MeterProvider: env.Telemetry.Meter})
			if err != nil {
				return running{}, err
			}
			r := intakeRunning(svc)
			r.Info = intakeInfo(env, demo)
			return r, nil
		}}
}

// intakeRunning is the intake as `handoff up` and `handoff intake` serve
// it. Shutting the HTTP server down ends the live feeds at once: their
// clients resume elsewhere from Last-Event-ID.
func intakeRunning(svc *intake.Service) running {
	h := svc.Handler()
	return running{Run: svc.Run, Mounts: map[string]http.Handler{intake.APIPrefix: h, "/agent/": h}, OnShutdown: svc.CloseFeeds}
}

// demoCredentials are the demo API key and agent password that `handoff
// up` makes on its first start and prints on every start.
type demoCredentials struct {
	APIKey        string `json:"api_key"`
	AgentID       string `json:"agent_id"`
	AgentPassword string `json:"agent_password"`
}

// demoIntake makes, on the first start, a random staff API key and a demo
// agent: the keys and agents files hold only their hashes, and a file
// readable only by the owner holds the secrets to print. Files edited by
// hand are left as they are. cost is bcrypt's.
func demoIntake(dir string, cost int) (demoCredentials, error) {
	var demo demoCredentials
	if found, err := readDemoFile(filepath.Join(dir, intakeDemoFile), &demo); found || err != nil {
		return demo, err
	}
	demo = demoCredentials{APIKey: "hk_" + rand.Text(), AgentID: demoAgentID, AgentPassword: demoPassword()}
	hash, err := bcrypt.GenerateFromPassword([]byte(demo.AgentPassword), cost)
	if err != nil {
		return demo, err
	}
	files := []struct {
		name string
		v    any
	}{
		{intakeKeysFile, map[string]any{"keys": []intake.APIKey{{Name: "demo", SHA256: intake.HashAPIKey(demo.APIKey), Staff: true}}}},
		{intakeAgentsFile, map[string]any{"agents": []intake.Agent{{ID: demo.AgentID, Name: "Demo agent", PasswordBcrypt: string(hash)}}}},
		{intakeDemoFile, demo},
	}
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(dir, f.name)); err == nil && f.name != intakeDemoFile {
			continue
		}
		if err := writeDemoFile(filepath.Join(dir, f.name), f.v); err != nil {
			return demo, err
		}
	}
	return demo, nil
}

func intakeInfo(env upEnv, demo demoCredentials) []string {
	return []string{
		fmt.Sprintf("Open311     %s%sservices.json   (GeoReport v2, .json and .xml)", env.HTTPBase, intake.APIPrefix),
		fmt.Sprintf("  api_key %s   (staff; keys in %s)", demo.APIKey, filepath.Join(env.Data, intakeKeysFile)),
		fmt.Sprintf("  curl -s '%s%srequests.json?api_key=%s'", env.HTTPBase, intake.APIPrefix, demo.APIKey),
		fmt.Sprintf("Agent page  %s/agent/   log in as %s, password %s   (agents in %s)", env.HTTPBase, demo.AgentID,
			demo.AgentPassword, filepath.Join(env.Data, intakeAgentsFile)),
	}
}

type intakeFlags struct {
	webFlags
	apiKeys, agents, jurisdiction string
	plainCookies                  bool
	submitTimeout, readTimeout    time.Duration
	maxBody                       int64
}

func runIntake(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f intakeFlags
	fs := newFlagSet("intake", "--nats URL --api-keys FILE [flags]", `Runs the contact-centre intake alone against an external NATS: the Open311
GeoReport v2 API under /open311/v2/, the agents' page under /agent/, and the
request view built from CC_UPDATES. API keys come from --api-keys (JSON:
{"keys": [{"name", "sha256" or "key", "staff"}]}); agents from --agents
(JSON: {"agents": [{"id", "name", "password_bcrypt"}]}); make a hash with
'handoff intake --hash-password' (reads the password on stdin). Run several
instances with the same --session-key-file behind one load balancer.`)
	f.register(fs, "intake", ":8080", "the API and the agents' page", "the agents file")
	fs.StringVar(&f.apiKeys, "api-keys", "", "API keys file (JSON)")
	fs.StringVar(&f.agents, "agents", "", "agents file (JSON); without it the agents' page has no one to log in")
	fs.StringVar(&f.jurisdiction, "jurisdiction", intake.DefaultJurisdiction, "Open311 jurisdiction_id served")
	fs.BoolVar(&f.plainCookies, "plain-http-cookies", false, "drop the Secure flag from cookies (only to try the page over plain HTTP from another machine)")
	fs.DurationVar(&f.submitTimeout, "submit-timeout", intake.DefaultSubmitTimeout, "how long storing one request may take before the client gets 503")
	fs.DurationVar(&f.readTimeout, "read-timeout", intake.DefaultReadTimeout, "how long reading the request view may take for one call")
	fs.Int64Var(&f.maxBody, "max-body", intake.DefaultMaxBodyBytes, "largest POST body in bytes (larger: 413)")
	if done, err := f.parse(fs, args, stdout, stderr); done {
		return err
	}
	if f.apiKeys == "" {
		return usageErr("--api-keys is required")
	}
	return serveIntake(ctx, f, newLogger(stderr, f.logFormat))
}

func (f intakeFlags) config(log *slog.Logger) (intake.Config, error) {
	cat, err := loadCatalogue(f.catalogue)
	if err != nil {
		return intake.Config{}, err
	}
	keys, err := intake.LoadAPIKeys(f.apiKeys)
	if err != nil {
		return intake.Config{}, err
	}
	var agents []intake.Agent
	if f.agents != "" {
		if agents, err = intake.LoadAgents(f.agents); err != nil {
			return intake.Config{}, err
		}
	}
	key, err := f.sessionKey()
	if err != nil {
		return intake.Config{}, err
	}
	if key == nil && len(agents) > 0 {
		log.Warn("no --session-key-file: agents must log in again after a restart, and instances cannot share sessions")
	}
	return intake.Config{Catalogue: cat, APIKeys: keys, Agents: agents, Jurisdiction: f.jurisdiction, SessionKey: key,
		PlainHTTPCookies: f.plainCookies, SubmitTimeout: f.submitTimeout, ReadTimeout: f.readTimeout,
		MaxBodyBytes: f.maxBody, Logger: log}, nil
}

func serveIntake(ctx context.Context, f intakeFlags, log *slog.Logger) error {
	cfg, err := f.config(log)
	if err != nil {
		return err
	}
	sc, err := connectService(ctx, f.conn, "intake", telemetry.AgencyContactCentre, log)
	if err != nil {
		return err
	}
	defer sc.Close()
	cfg.TracerProvider, cfg.MeterProvider = sc.Tel.Tracer, sc.Tel.Meter
	svc, err := intake.New(ctx, sc.JS, cfg)
	if err != nil {
		return err
	}
	ln, base, err := listenHTTP(f.http)
	if err != nil {
		return err
	}
	log.Info("intake listening", "open311", base+intake.APIPrefix, "agents", base+"/agent/")
	return serveAlone(ctx, intakeRunning(svc), "/agent/", ln, f.grace)
}
