package events

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Streams and buckets, by the account that owns them.
const (
	StreamCCRequests = "CC_REQUESTS" // BROKER: requests from the contact centre
	StreamCDUpdates  = "CD_UPDATES"  // BROKER: status changes from Civil Defence
	StreamDeadLetter = "HANDOFF_DLQ" // BROKER: what could never be processed
	StreamCDTickets  = "CD_TICKETS"  // CD: tickets for Civil Defence queues
	StreamCCUpdates  = "CC_UPDATES"  // CC: where each request stands

	BucketHandoffs = "HANDOFFS"    // BROKER: one record per handoff
	BucketSLA      = "HANDOFF_SLA" // BROKER: only handoffs awaiting acknowledgement
)

// MaxMessageSize bounds one event. NATS allows 1 MiB by default; a request
// is a few KiB, so anything near the limit is a mistake or an attack.
const MaxMessageSize = 256 * 1024

// MaxRecordSize bounds one record of the agencies' own views (the request
// view, the ticket store), which keep a ticket's whole history with its
// notes: larger than one event, still under NATS's 1 MiB payload limit.
const MaxRecordSize = 960 * 1024

// DuplicateWindow is how long JetStream remembers a Nats-Msg-Id. Retries
// within it are dropped by the server; older repeats are caught by the
// broker's first-writer-wins handoff record.
const DuplicateWindow = 2 * time.Minute

// StoreConfig says how streams and buckets are stored.
type StoreConfig struct {
	// Replicas is 1 on a single server and 3 on a production cluster.
	Replicas int
	// MaxAge bounds how long the log keeps events; zero keeps them forever,
	// which is what an audit trail wants.
	MaxAge time.Duration
}

// Validate checks the configuration.
func (c StoreConfig) Validate() error {
	if c.Replicas != 1 && c.Replicas != 3 && c.Replicas != 5 {
		return fmt.Errorf("store config: replicas must be 1, 3 or 5, got %d", c.Replicas)
	}
	if c.MaxAge < 0 {
		return fmt.Errorf("store config: negative max age")
	}
	return nil
}

func (c StoreConfig) stream(name, desc string, subjects ...string) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        name,
		Description: desc,
		Subjects:    subjects,
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    c.Replicas,
		MaxAge:      c.MaxAge,
		MaxMsgSize:  MaxMessageSize,
		Duplicates:  DuplicateWindow,
		Discard:     jetstream.DiscardOld,
		DenyDelete:  true,
		DenyPurge:   true,
		AllowRollup: false,
	}
}

// StreamsOf returns the stream configurations owned by an account.
func (c StoreConfig) StreamsOf(account string) []jetstream.StreamConfig {
	switch account {
	case AccountBroker:
		return []jetstream.StreamConfig{
			c.stream(StreamCCRequests, "Requests from the contact centre", "cc.request.>"),
			c.stream(StreamCDUpdates, "Status changes from Civil Defence", "cd.update.>"),
			c.stream(StreamDeadLetter, "Messages that could never be processed, with their reason", "handoff.dlq.>"),
		}
	case AccountCD:
		return []jetstream.StreamConfig{c.stream(StreamCDTickets, "Tickets for Civil Defence queues", "cd.ticket.>")}
	case AccountCC:
		return []jetstream.StreamConfig{c.stream(StreamCCUpdates, "Where each contact-centre request stands", "cc.update.>")}
	}
	return nil
}

// BucketsOf returns the key-value buckets owned by an account.
func (c StoreConfig) BucketsOf(account string) []jetstream.KeyValueConfig {
	kv := func(name, desc string, maxValue int32) jetstream.KeyValueConfig {
		return jetstream.KeyValueConfig{Bucket: name, Description: desc, History: 1,
			Storage: jetstream.FileStorage, Replicas: c.Replicas, MaxValueSize: maxValue}
	}
	// Acknowledged handoffs leave the SLA bucket with a purge whose marker
	// expires, so the bucket only ever holds the open ones.
	slaBucket := kv(BucketSLA, "Handoffs awaiting Civil Defence acknowledgement", 4096)
	slaBucket.LimitMarkerTTL = time.Hour
	// Idempotency keys are honoured for a day; keep them a little longer.
	idempotency := kv(BucketIdempotency, "First responses to Idempotency-Key requests", 64*1024)
	idempotency.TTL = 72 * time.Hour
	switch account {
	case AccountBroker:
		return []jetstream.KeyValueConfig{
			kv(BucketHandoffs, "One record per handoff, keyed by request id", MaxMessageSize),
			slaBucket,
		}
	case AccountCC:
		return []jetstream.KeyValueConfig{
			kv(BucketRequestView, "The contact centre's view of each request", MaxRecordSize),
			idempotency,
		}
	case AccountCD:
		return []jetstream.KeyValueConfig{kv(BucketTicketStore, "Civil Defence's ticket store", MaxRecordSize)}
	}
	return nil
}

// Provision creates or updates the streams and buckets of an account. It is
// idempotent: running it again with the same configuration changes nothing.
func Provision(ctx context.Context, js jetstream.JetStream, account string, c StoreConfig) error {
	if err := c.Validate(); err != nil {
		return err
	}
	for _, sc := range c.StreamsOf(account) {
		if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("provision stream %s: %w", sc.Name, err)
		}
	}
	for _, kc := range c.BucketsOf(account) {
		if _, err := js.CreateOrUpdateKeyValue(ctx, kc); err != nil {
			return fmt.Errorf("provision bucket %s: %w", kc.Bucket, err)
		}
	}
	return nil
}

// Buckets owned by the agencies' own services.
const (
	BucketRequestView = "CC_REQUEST_VIEW" // CC: the contact centre's copy of each request's state
	BucketIdempotency = "CC_IDEMPOTENCY"  // CC: first responses to Idempotency-Key requests
	BucketTicketStore = "CD_TICKET_STORE" // CD: Civil Defence's own ticket store
)

// StreamsOfAccount names the streams an account owns.
func StreamsOfAccount(account string) []string {
	var names []string
	for _, sc := range (StoreConfig{Replicas: 1}).StreamsOf(account) {
		names = append(names, sc.Name)
	}
	return names
}
