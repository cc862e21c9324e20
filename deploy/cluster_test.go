package deploy

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
	"github.com/sharjah-handoff/handoff/events/embedded"
	"github.com/sharjah-handoff/handoff/internal/natstest"
	"github.com/sharjah-handoff/handoff/services/broker"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startCluster starts the three nodes of deploy/nats/cluster on loopback,
// each from its own file, with only addresses and store directories
// changed.
func startCluster(t *testing.T) (nodes []*server.Server, url string) {
	t.Helper()
	setPasswords(t)
	routes := make([]int, 3)
	for i := range routes {
		routes[i] = freePort(t)
	}
	var routeURLs []string
	for _, p := range routes {
		routeURLs = append(routeURLs, fmt.Sprintf("nats-route://127.0.0.1:%d", p))
	}
	var clients []string
	for i := 0; i < 3; i++ {
		opts, err := server.ProcessConfigFile(filepath.Join("nats", "cluster", fmt.Sprintf("nats-%d.conf", i+1)))
		if err != nil {
			t.Fatal(err)
		}
		opts.Host, opts.Port = "127.0.0.1", freePort(t)
		opts.HTTPHost, opts.HTTPPort = "", 0
		opts.Cluster.Host, opts.Cluster.Port = "127.0.0.1", routes[i]
		opts.Routes = server.RoutesFromStr(strings.Join(routeURLs, ","))
		opts.StoreDir = t.TempDir()
		opts.NoLog, opts.NoSigs = true, true
		s, err := server.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		go s.Start()
		if !s.ReadyForConnections(10 * time.Second) {
			t.Fatalf("node %d not ready", i+1)
		}
		t.Cleanup(s.Shutdown)
		nodes = append(nodes, s)
		clients = append(clients, s.ClientURL())
	}
	natstest.CheckFor(t, 30*time.Second, 100*time.Millisecond, func() error {
		for _, n := range nodes {
			if n.JetStreamIsLeader() {
				return nil
			}
		}
		return fmt.Errorf("no JetStream meta leader; routes %d/%d/%d", nodes[0].NumRoutes(), nodes[1].NumRoutes(), nodes[2].NumRoutes())
	})
	return nodes, strings.Join(clients, ",")
}

func creds(url, user string) events.Credentials {
	return events.Credentials{URL: url, User: user, Password: "test-" + user}
}

// TestThreeNodeClusterSurvivesANodeLoss runs a handoff on the production
// cluster configuration with three replicas, stops one node, and runs
// another.
func TestThreeNodeClusterSurvivesANodeLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test")
	}
	nodes, url := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for _, acc := range []string{events.AccountBroker, events.AccountCC, events.AccountCD} {
		nc, err := events.Connect("provision", creds(url, embedded.AdminOf(acc)), nil)
		if err != nil {
			t.Fatal(err)
		}
		js, _ := events.JetStream(nc)
		natstest.CheckFor(t, 30*time.Second, 200*time.Millisecond, func() error {
			pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
			defer pcancel()
			return events.Provision(pctx, js, acc, events.StoreConfig{Replicas: 3})
		})
		st, err := js.Stream(ctx, events.StreamsOfAccount(acc)[0])
		if err != nil {
			t.Fatal(err)
		}
		if r := st.CachedInfo().Config.Replicas; r != 3 {
			t.Fatalf("%s has %d replicas", st.CachedInfo().Config.Name, r)
		}
		nc.Close()
	}

	bnc, err := events.Connect("broker", creds(url, "broker"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bnc.Close()
	bjs, _ := events.JetStream(bnc)
	cat, _ := contracts.DefaultCatalogue()
	b, err := broker.New(ctx, bjs, broker.Config{Catalogue: cat, BackOff: []time.Duration{200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	bctx, bstop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- b.Run(bctx) }()
	defer func() { bstop(); <-done }()

	cnc, err := events.Connect("agent", creds(url, "agent"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cnc.Close()
	cjs, _ := events.JetStream(cnc)
	cc, _ := events.NewPublisher(cjs, "/contact-centre/cluster-test", events.WithPublishTimeout(2*time.Second), events.WithPublishAttempts(10))

	handOff := func() {
		t.Helper()
		id := uuid.Must(uuid.NewV7())
		req := contracts.RequestSubmitted{RequestID: id.String(), Reference: contracts.RandomReference("CC", id),
			ServiceCode: "fire_hazard_complaint", SubmittedAt: time.Now().UTC(), Channel: "phone", Language: "ar",
			Attributes: contracts.Attributes{"hazard_type": "blocked_exit", "premises_type": "shop"},
			Location:   &contracts.Location{Address: "Al Majaz 2, Sharjah"}}
		if _, err := cc.Publish(ctx, events.Outgoing{Type: contracts.TypeRequestSubmitted, Tokens: []string{req.RequestID},
			Subject: req.RequestID, CorrelationID: req.RequestID, Payload: req}); err != nil {
			t.Fatal(err)
		}
		natstest.CheckFor(t, 30*time.Second, 100*time.Millisecond, func() error {
			h, err := b.Store().Find(ctx, req.RequestID)
			if err != nil {
				return err
			}
			if h.Status != contracts.StatusQueued || len(h.Outbox) != 0 {
				return fmt.Errorf("status %s, %d unsent", h.Status, len(h.Outbox))
			}
			return nil
		})
	}
	handOff()
	nodes[2].Shutdown()
	nodes[2].WaitForShutdown()
	handOff()
}
