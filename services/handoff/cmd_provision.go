package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/sharjah-handoff/handoff/events"
)

func runProvision(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf connFlags
	var account string
	var replicas int
	var maxAge time.Duration
	fs := newFlagSet("provision", "--account BROKER|CC|CD --nats URL [flags]", `Creates or updates the streams and buckets one account owns, as that
account's admin user (broker-admin, cc-admin or cd-admin). It is idempotent:
running it again with the same settings changes nothing. 'handoff up' does
this by itself; a cluster needs it once per account, with --replicas 3.`)
	cf.register(fs, "")
	fs.StringVar(&account, "account", "", "account to provision: BROKER, CC or CD")
	fs.IntVar(&replicas, "replicas", 1, "stream replicas: 1 on one server, 3 on a three-node cluster")
	fs.DurationVar(&maxAge, "max-age", 0, "how long streams keep events (0: forever, as an audit trail wants)")
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	admins := map[string]string{events.AccountBroker: "broker-admin", events.AccountCC: "cc-admin", events.AccountCD: "cd-admin"}
	admin, ok := admins[account]
	if !ok {
		return usageErr("--account must be BROKER, CC or CD")
	}
	if cf.user == "" {
		cf.user = admin
	}
	js, closeFn, err := connectJS(cf, "handoff-provision")
	if err != nil {
		return err
	}
	defer closeFn()
	sc := events.StoreConfig{Replicas: replicas, MaxAge: maxAge}
	if err := events.Provision(ctx, js, account, sc); err != nil {
		return err
	}
	for _, s := range sc.StreamsOf(account) {
		fmt.Fprintf(stdout, "stream %-12s %v, %d replica(s)\n", s.Name, s.Subjects, s.Replicas)
	}
	for _, b := range sc.BucketsOf(account) {
		fmt.Fprintf(stdout, "bucket %-12s %d replica(s)\n", b.Bucket, b.Replicas)
	}
	return nil
}
