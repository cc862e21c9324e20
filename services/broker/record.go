package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/sharjah-handoff/handoff/contracts"
)

// Handoff is the broker's record of one request's journey: where it
// stands, what happened, and which outgoing events are still to be sent.
type Handoff struct {
	RequestID        string           `json:"request_id"`
	RequestReference string           `json:"request_reference"`
	ServiceCode      string           `json:"service_code"`
	TicketID         string           `json:"ticket_id,omitempty"`
	TicketReference  string           `json:"ticket_reference,omitempty"`
	Queue            string           `json:"queue,omitempty"`
	Priority         string           `json:"priority,omitempty"`
	Status           contracts.Status `json:"status"`
	CDStatusCode     string           `json:"cd_status_code,omitempty"`
	ReasonCode       string           `json:"reason_code,omitempty"`
	PublicNote       *contracts.Text  `json:"public_note,omitempty"`
	// TicketVersion is the last Civil Defence version applied.
	TicketVersion int `json:"ticket_version"`
	// Sequence is the last status sequence sent to the contact centre.
	Sequence             int        `json:"sequence"`
	SubmittedAt          time.Time  `json:"submitted_at"`
	OpenedAt             time.Time  `json:"opened_at,omitzero"`
	AckDueAt             *time.Time `json:"ack_due_at,omitempty"`
	ResolveDueAt         *time.Time `json:"resolve_due_at,omitempty"`
	AcknowledgedAt       *time.Time `json:"acknowledged_at,omitempty"`
	ExpectedResolutionAt *time.Time `json:"expected_resolution_at,omitempty"`
	UpdatedAt            time.Time  `json:"updated_at"`
	History              []Entry    `json:"history"`
	// Seen holds the ce-ids of recent inbound events already applied, so a
	// redelivered or re-sent event is recognised.
	Seen []string `json:"seen,omitempty"`
	// Outbox holds events decided but not yet confirmed sent.
	Outbox []Pending `json:"outbox,omitempty"`
	// Indexed is set once the ticket and reference index keys exist.
	Indexed bool `json:"indexed,omitempty"`
	// leftQueue is set, in memory only, by the change that moves the
	// handoff out of queued: its flush removes the SLA watch. A watch left
	// behind by a crash is removed by the watchdog, which checks the record
	// before reporting.
	leftQueue bool
}

// Entry is one step of a handoff's history.
type Entry struct {
	At           time.Time        `json:"at"`
	Event        string           `json:"event"`
	EventID      string           `json:"event_id"`
	Status       contracts.Status `json:"status,omitempty"`
	Version      int              `json:"version,omitempty"`
	CDStatusCode string           `json:"cd_status_code,omitempty"`
	Note         *contracts.Text  `json:"note,omitempty"`
	ReasonCode   string           `json:"reason_code,omitempty"`
}

// Pending is an outgoing event recorded in the outbox.
type Pending struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Tokens      []string        `json:"tokens"`
	CausationID string          `json:"causation_id,omitempty"`
	Payload     json.RawMessage `json:"payload"`
}

const (
	maxSeen = 64
	// maxHistory bounds the record, which must stay under the bucket's
	// value limit however long a handoff lives. The streams keep every
	// event; the record keeps the first step and the latest ones.
	maxHistory = 100
)

// record adds a step to the history. Notes are kept for the current
// status only (PublicNote): one bilingual note can be 24 KB, and the
// contact centre's stream keeps every note anyway.
func (h *Handoff) record(e Entry) {
	if e.Event == contracts.TypeRequestStatus {
		e.Note = nil
	}
	h.History = append(h.History, e)
	if len(h.History) > maxHistory {
		h.History = append(h.History[:1], h.History[len(h.History)-maxHistory+1:]...)
	}
}

func (h *Handoff) seen(id string) bool {
	for _, s := range h.Seen {
		if s == id {
			return true
		}
	}
	return false
}

func (h *Handoff) markSeen(id string) {
	h.Seen = append(h.Seen, id)
	if len(h.Seen) > maxSeen {
		h.Seen = h.Seen[len(h.Seen)-maxSeen:]
	}
}

// KV keys: the record by request id, and indexes from the ticket id and
// both references.
func recordKey(rid string) string    { return "h." + rid }
func ticketKey(tid string) string    { return "t." + tid }
func referenceKey(ref string) string { return "r." + ref }

// ErrNotFound is returned when no handoff matches.
var ErrNotFound = errors.New("handoff not found")

// Store reads and writes handoff records.
type Store struct {
	kv      jetstream.KeyValue
	tickets ticketCache
}

// NewStore opens the HANDOFFS bucket.
func NewStore(ctx context.Context, js jetstream.JetStream, bucket string) (*Store, error) {
	kv, err := js.KeyValue(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("handoff store %s: %w", bucket, err)
	}
	return &Store{kv: kv}, nil
}

// Get returns the handoff of a request and its revision.
func (s *Store) Get(ctx context.Context, rid string) (*Handoff, uint64, error) {
	e, err := s.kv.Get(ctx, recordKey(rid))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, fmt.Errorf("request %s: %w", rid, ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("get handoff %s: %w", rid, err)
	}
	var h Handoff
	if err := json.Unmarshal(e.Value(), &h); err != nil {
		return nil, 0, fmt.Errorf("decode handoff %s: %w", rid, err)
	}
	return &h, e.Revision(), nil
}

// Find resolves a request id, a ticket id or either reference to the
// handoff.
func (s *Store) Find(ctx context.Context, key string) (*Handoff, error) {
	if ref := contracts.NormalizeReference(key); len(ref) == 12 && ref[2] == '-' {
		key = ref
	}
	for _, k := range []string{ticketKey(key), referenceKey(key)} {
		if e, err := s.kv.Get(ctx, k); err == nil {
			key = string(e.Value())
			break
		}
	}
	h, _, err := s.Get(ctx, key)
	return h, err
}

// RequestOfTicket returns the request id behind a ticket id.
func (s *Store) RequestOfTicket(ctx context.Context, tid string) (string, error) {
	if rid, ok := s.tickets.get(tid); ok {
		return rid, nil
	}
	e, err := s.kv.Get(ctx, ticketKey(tid))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", fmt.Errorf("ticket %s: %w", tid, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("ticket %s: %w", tid, err)
	}
	s.tickets.put(tid, string(e.Value()))
	return string(e.Value()), nil
}

// ticketCache remembers which request a ticket belongs to — a fact that
// never changes — so that each status change saves a read. It is bounded:
// when full it starts over, and misses fall back to the bucket.
type ticketCache struct {
	mu sync.Mutex
	m  map[string]string
}

const ticketCacheSize = 100_000

func (c *ticketCache) get(tid string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rid, ok := c.m[tid]
	return rid, ok
}

func (c *ticketCache) put(tid, rid string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= ticketCacheSize {
		c.m = make(map[string]string)
	}
	c.m[tid] = rid
}

// Create stores a new handoff; it fails with jetstream.ErrKeyExists if the
// request already has one (first writer wins).
func (s *Store) Create(ctx context.Context, h *Handoff) (uint64, error) {
	data, err := json.Marshal(h)
	if err != nil {
		return 0, err
	}
	return s.kv.Create(ctx, recordKey(h.RequestID), data)
}

// Update replaces the handoff if it is still at revision rev.
func (s *Store) Update(ctx context.Context, h *Handoff, rev uint64) (uint64, error) {
	data, err := json.Marshal(h)
	if err != nil {
		return 0, err
	}
	return s.kv.Update(ctx, recordKey(h.RequestID), data, rev)
}

// index makes the ticket and reference keys point at the request. A key
// that already exists is left alone: the first handoff to claim it keeps it.
func (s *Store) index(ctx context.Context, h *Handoff) error {
	keys := []string{referenceKey(h.RequestReference)}
	if h.TicketID != "" {
		keys = append(keys, ticketKey(h.TicketID), referenceKey(h.TicketReference))
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, k := range keys {
		g.Go(func() error {
			if _, err := s.kv.Create(gctx, k, []byte(h.RequestID)); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
				return fmt.Errorf("index %s: %w", k, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// List returns every handoff record, for operators' tools.
func (s *Store) List(ctx context.Context) ([]*Handoff, error) {
	lister, err := s.kv.ListKeysFiltered(ctx, "h.>")
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return nil, nil
		}
		return nil, err
	}
	var out []*Handoff
	for k := range lister.Keys() {
		h, _, err := s.Get(ctx, k[2:])
		if err == nil {
			out = append(out, h)
		}
	}
	return out, nil
}
