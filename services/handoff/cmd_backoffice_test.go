package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sharjah-handoff/handoff/internal/natstest"
	"github.com/sharjah-handoff/handoff/services/backoffice"
)

func TestBackofficeCommandServesOfficersAndStopsOnSignal(t *testing.T) {
	s := natstest.Start(t)
	dir := t.TempDir()
	hash, _ := backoffice.HashPassword("pw", bcrypt.MinCost)
	officers := filepath.Join(dir, "officers.yaml")
	if err := os.WriteFile(officers, []byte("officers:\n  - id: amal\n    name: Amal\n    role: officer\n    queues: [complaints]\n    password_bcrypt: '"+hash+"'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "session.key")
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := natstest.FreeAddr(t)
	cmd := startCommand(t, "backoffice", "--nats", s.URL(), "--user", "backoffice",
		"--password", s.Credentials("backoffice").Password, "--officers", officers, "--session-key-file", keyFile,
		"--http", addr)
	natstest.Eventually(t, func() error {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/backoffice/api/me", nil)
		req.SetBasicAuth("amal", "pw")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("me: %d", res.StatusCode)
		}
		return nil
	})
	if code := cmd.stop(t, 10*time.Second); code != 0 {
		t.Fatalf("exit %d: %s", code, cmd.stderr.String())
	}
}

func TestBackofficeCommandNeedsOfficers(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"backoffice", "--nats", "nats://127.0.0.1:1"}, &out, &errOut); code != 2 {
		t.Fatalf("exit %d, want 2 (usage): %s", code, errOut.String())
	}
}

func TestDemoOfficersKeepTheirPasswords(t *testing.T) {
	dir := t.TempDir()
	queues := []string{"complaints", "customer_care"}
	first, err := demoOfficers(dir, queues, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	again, err := demoOfficers(dir, queues, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 3 || first["supervisor"] == "" || first["customer-care-officer"] != again["customer-care-officer"] {
		t.Fatalf("demo passwords %v then %v", first, again)
	}
	dirOfficers, err := backoffice.LoadOfficers(filepath.Join(dir, officersFileName), queues)
	if err != nil {
		t.Fatal(err)
	}
	for id, pw := range first {
		if _, err := dirOfficers.Authenticate(id, pw); err != nil {
			t.Errorf("%s cannot log in with the printed password: %v", id, err)
		}
	}
	if o, _ := dirOfficers.Get("complaints-officer"); o.CanSee("customer_care") {
		t.Error("a queue's demo officer sees another queue")
	}
	for _, f := range []string{officersFileName, demoPasswordsFile} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, fi.Mode(), err)
		}
	}
}

func TestHashPasswordPrintsABcryptHash(t *testing.T) {
	var out bytes.Buffer
	if err := printHash(strings.NewReader("correct horse\n"), &out); err != nil {
		t.Fatal(err)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(strings.TrimSpace(out.String())), []byte("correct horse")); err != nil {
		t.Fatalf("hash %q: %v", out.String(), err)
	}
}
