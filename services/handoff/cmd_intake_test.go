package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sharjah-handoff/handoff/internal/natstest"
	"github.com/sharjah-handoff/handoff/services/intake"
)

func TestIntakeCommandServesOpen311AndStopsWithAFeedOpen(t *testing.T) {
	s := natstest.Start(t)
	dir := t.TempDir()
	const key = "crm-key-0123456789abcdef"
	keys := filepath.Join(dir, "api-keys.json")
	if err := os.WriteFile(keys, []byte(`{"keys": [{"name": "crm", "sha256": "`+intake.HashAPIKey(key)+`"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := natstest.FreeAddr(t)
	cmd := startCommand(t, "intake", "--nats", s.URL(), "--user", "intake", "--password", s.Credentials("intake").Password,
		"--api-keys", keys, "--http", addr, "--shutdown-grace", "20s")
	base := "http://" + addr + "/open311/v2/"
	natstest.Eventually(t, func() error {
		res, err := http.Get(base + "services.json")
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("services: %d", res.StatusCode)
		}
		return nil
	})
	res, err := http.PostForm(base+"requests.json", url.Values{"api_key": {key}, "service_code": {"feedback"},
		"attribute[feedback_type]": {"suggestion"}, "description": {"More parking at the centre"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST requests: %d", res.StatusCode)
	}
	feed, err := http.Get(base + "feed?api_key=" + key)
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Body.Close()
	if _, err := bufio.NewReader(feed.Body).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	// An open feed must not hold the shutdown for the whole grace period.
	stopped := time.Now()
	if code := cmd.stop(t, 10*time.Second); code != 0 {
		t.Fatalf("exit %d: %s", code, cmd.stderr.String())
	}
	if d := time.Since(stopped); d > 5*time.Second {
		t.Fatalf("stopping took %s", d)
	}
}

func TestIntakeCommandNeedsAPIKeys(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"intake", "--nats", "nats://127.0.0.1:1"}, &out, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), "--api-keys is required") {
		t.Fatalf("exit %d, want 2 (usage): %s", code, errOut.String())
	}
}

func TestDemoIntakeKeepsItsCredentials(t *testing.T) {
	dir := t.TempDir()
	first, err := demoIntake(dir, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	again, err := demoIntake(dir, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if first != again || !strings.HasPrefix(first.APIKey, "hk_") || len(first.AgentPassword) != 16 {
		t.Fatalf("demo credentials %+v then %+v", first, again)
	}
	keys, err := intake.LoadAPIKeys(filepath.Join(dir, intakeKeysFile))
	if err != nil || len(keys) != 1 || keys[0].SHA256 != intake.HashAPIKey(first.APIKey) || keys[0].Key != "" || !keys[0].Staff {
		t.Fatalf("keys file: %+v %v", keys, err)
	}
	agents, err := intake.LoadAgents(filepath.Join(dir, intakeAgentsFile))
	if err != nil || len(agents) != 1 || bcrypt.CompareHashAndPassword([]byte(agents[0].PasswordBcrypt), []byte(first.AgentPassword)) != nil {
		t.Fatalf("agents file: %+v %v", agents, err)
	}
	for _, f := range []string{intakeKeysFile, intakeAgentsFile, intakeDemoFile} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, st.Mode(), err)
		}
	}
}
