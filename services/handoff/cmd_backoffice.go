package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/internal/telemetry"
	"github.com/sharjah-handoff/handoff/services/backoffice"
)

func backofficeUpService() upService {
	return upService{Name: "backoffice", User: "backoffice", Agency: telemetry.AgencyCivilDefence,
		Start: func(ctx context.Context, env upEnv) (running, error) {
			queues := env.Catalogue.Queues()
			passwords, err := demoOfficers(env.Data, queues, 0)
			if err != nil {
				return running{}, err
			}
			officers, err := backoffice.LoadOfficers(filepath.Join(env.Data, officersFileName), queues)
			if err != nil {
				return running{}, err
			}
			key, err := sessionKey(filepath.Join(env.Data, "session.key"), true)
			if err != nil {
				return running{}, err
			}
			svc, err := backoffice.New(ctx, env.JS, backoffice.Config{Catalogue: env.Catalogue, Officers: officers,
				SessionKey: key, Logger: env.Log, TracerProvider: env.Telemetry.Tracer})
			if err != nil {
				return running{}, err
			}
			r := backofficeRunning(svc)
			r.Info = backofficeInfo(env, passwords)
			return r, nil
		}}
}

// backofficeRunning is the back office as `handoff up` and `handoff
// backoffice` serve it.
func backofficeRunning(svc *backoffice.Service) running {
	return running{Run: svc.Run, Mounts: map[string]http.Handler{"/backoffice/": svc.Handler()}}
}

const (
	officersFileName  = "officers.yaml"
	demoPasswordsFile = "demo-passwords.json"
)

// demoOfficers makes, on the first `handoff up`, an officer per queue and
// a supervisor with random passwords: the officers' file holds their bcrypt
// hashes, and a file readable only by the owner the passwords, so that
// every later start can say how to log in. An officers' file edited by hand
// is left as it is. cost is bcrypt's (0: its default).
func demoOfficers(dir string, queues []string, cost int) (map[string]string, error) {
	pwPath := filepath.Join(dir, demoPasswordsFile)
	if _, err := os.Stat(filepath.Join(dir, officersFileName)); err == nil {
		// Without a readable passwords file there is only nothing to print.
		passwords := map[string]string{}
		_, _ = readDemoFile(pwPath, &passwords)
		return passwords, nil
	}
	passwords := map[string]string{}
	var list []map[string]any
	add := func(id, name, role string, qs []string) error {
		pw := demoPassword()
		hash, err := backoffice.HashPassword(pw, cost)
		if err != nil {
			return err
		}
		passwords[id] = pw
		o := map[string]any{"id": id, "name": name, "role": role, "password_bcrypt": hash}
		if len(qs) > 0 {
			o["queues"] = qs
		}
		list = append(list, o)
		return nil
	}
	if err := add("supervisor", "Duty supervisor", "supervisor", nil); err != nil {
		return nil, err
	}
	for _, q := range queues {
		if err := add(demoOfficerID(q), "Duty officer, "+q, "officer", []string{q}); err != nil {
			return nil, err
		}
	}
	data, err := yaml.Marshal(map[string]any{"officers": list})
	if err != nil {
		return nil, err
	}
	if err := writeDemoFile(pwPath, passwords); err != nil {
		return nil, err
	}
	return passwords, os.WriteFile(filepath.Join(dir, officersFileName), data, 0o600)
}

func demoOfficerID(queue string) string {
	return strings.ReplaceAll(queue, "_", "-") + "-officer"
}

func backofficeInfo(env upEnv, passwords map[string]string) []string {
	info := []string{fmt.Sprintf("Back office %s/backoffice/   (officers in %s)", env.HTTPBase, filepath.Join(env.Data, officersFileName))}
	ids := make([]string, 0, len(passwords))
	for id := range passwords {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		info = append(info, fmt.Sprintf("  log in as %-24s password %s", id, passwords[id]))
	}
	if len(ids) == 0 {
		info = append(info, "  log in with an officer of "+filepath.Join(env.Data, officersFileName))
	}
	return info
}

// sessionKey reads the key that signs officers' sessions, creating it when
// create is set and the file is missing.
func sessionKey(path string, create bool) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		return key, os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600)
	}
	if err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("session key %s: want at least 64 hex digits (32 bytes)", path)
	}
	return key, nil
}

type backofficeFlags struct {
	webFlags
	officers, queues              string
	actionTimeout, publishTimeout time.Duration
}

func runBackoffice(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f backofficeFlags
	fs := newFlagSet("backoffice", "--nats URL --officers FILE [flags]", `Runs the Civil Defence back office alone against an external NATS: one
consumer per queue filling the ticket store, and the officers' page and JSON
API under /backoffice/. Officers and their queues come from --officers (YAML:
id, name, role officer|supervisor, queues, password_bcrypt); make a hash with
'handoff backoffice --hash-password' (reads the password on stdin).
Run several instances with the same --session-key-file to share the work.`)
	f.register(fs, "backoffice", ":8081", "the officers' page and API", "the officers' file")
	fs.StringVar(&f.officers, "officers", "", "officers' file (YAML)")
	fs.StringVar(&f.queues, "queues", "", "comma-separated queues to serve (default: every queue of the catalogue)")
	fs.DurationVar(&f.actionTimeout, "action-timeout", 10*time.Second, "how long one officer action may take, publishing included")
	fs.DurationVar(&f.publishTimeout, "publish-timeout", 2*time.Second, "how long one publish waits for the stream's acknowledgement")
	if done, err := f.parse(fs, args, stdout, stderr); done {
		return err
	}
	if f.officers == "" {
		return usageErr("--officers is required")
	}
	return serveBackoffice(ctx, f, newLogger(stderr, f.logFormat))
}

func printHash(in io.Reader, out io.Writer) error {
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return usageErr("no password on stdin")
	}
	hash, err := backoffice.HashPassword(pw, 0)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, hash)
	return nil
}

func (f backofficeFlags) config(cat *contracts.Catalogue) (backoffice.Config, error) {
	queues := cat.Queues()
	if f.queues != "" {
		queues = strings.Split(f.queues, ",")
	}
	officers, err := backoffice.LoadOfficers(f.officers, cat.Queues())
	if err != nil {
		return backoffice.Config{}, err
	}
	key, err := f.sessionKey()
	if err != nil {
		return backoffice.Config{}, err
	}
	if key == nil {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	return backoffice.Config{Catalogue: cat, Officers: officers, Queues: queues, SessionKey: key,
		ActionTimeout: f.actionTimeout, PendingGrace: 3 * f.actionTimeout, PublishTimeout: f.publishTimeout}, nil
}

func serveBackoffice(ctx context.Context, f backofficeFlags, log *slog.Logger) error {
	cat, err := loadCatalogue(f.catalogue)
	if err != nil {
		return err
	}
	cfg, err := f.config(cat)
	if err != nil {
		return err
	}
	if f.keyFile == "" {
		log.Warn("no --session-key-file: officers must log in again after a restart, and instances cannot share sessions")
	}
	sc, err := connectService(ctx, f.conn, "backoffice", telemetry.AgencyCivilDefence, log)
	if err != nil {
		return err
	}
	defer sc.Close()
	cfg.Logger, cfg.TracerProvider = log, sc.Tel.Tracer
	svc, err := backoffice.New(ctx, sc.JS, cfg)
	if err != nil {
		return err
	}
	ln, base, err := listenHTTP(f.http)
	if err != nil {
		return err
	}
	log.Info("back office listening", "url", base+"/backoffice/")
	return serveAlone(ctx, backofficeRunning(svc), "/backoffice/", ln, f.grace)
}
