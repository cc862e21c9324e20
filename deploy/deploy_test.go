package deploy

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/sharjah-handoff/handoff/events/embedded"
)

var update = flag.Bool("update", false, "rewrite the generated deploy files")

// passwordVar names the environment variable that holds a user's password
// in the deployed configuration: nats-server resolves $NAME from the
// environment.
func passwordVar(user string) string {
	return "$HANDOFF_PW_" + strings.ToUpper(strings.ReplaceAll(user, "-", "_"))
}

const accountsHeader = "# Generated from events/embedded/layout.go by `go test ./deploy -update`. Do not edit.\n" +
	"# Passwords come from the environment (HANDOFF_PW_<USER>); store bcrypt hashes there in production.\n"

func TestAccountsConfigMatchesLayout(t *testing.T) {
	want := accountsHeader + embedded.AccountsConfig(passwordVar)
	path := filepath.Join("nats", "accounts.conf")
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("%s is out of date with the account layout: run go test ./deploy -update", path)
	}
}

func setPasswords(t *testing.T) {
	for _, s := range embedded.Systems() {
		t.Setenv(strings.TrimPrefix(passwordVar(s.User), "$"), "test-"+s.User)
	}
	t.Setenv("HANDOFF_PW_SYS", "test-sys")
}

func TestConfigsParse(t *testing.T) {
	setPasswords(t)
	files, _ := filepath.Glob(filepath.Join("nats", "*.conf"))
	cluster, _ := filepath.Glob(filepath.Join("nats", "cluster", "*.conf"))
	for _, f := range append(files, cluster...) {
		if filepath.Base(f) == "accounts.conf" {
			continue
		}
		t.Run(f, func(t *testing.T) {
			opts, err := server.ProcessConfigFile(f)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if !opts.JetStream {
				t.Fatalf("%s: JetStream not enabled", f)
			}
			if len(opts.Accounts) < 4 || opts.NoAuthUser != "" {
				t.Fatalf("%s: want the three accounts plus SYS and no anonymous user; got %d accounts, no_auth_user %q", f, len(opts.Accounts), opts.NoAuthUser)
			}
		})
	}
}
