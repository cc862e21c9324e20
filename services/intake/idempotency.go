package intake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// errIdempotencyMismatch means an Idempotency-Key came back with another
// request than the one it was first used with.
var errIdempotencyMismatch = errors.New("idempotency key reused with a different request")

// idempotency remembers, in KV CC_IDEMPOTENCY, what each Idempotency-Key
// led to. The entry is written before the request is published and holds
// the request's id and reference, so a retry — after a timeout, a crash, or
// at the same moment as the first attempt — publishes the very same
// request again (JetStream and the broker keep one) and gives the same
// answer. It never makes a second request.
type idempotency struct {
	kv  jetstream.KeyValue
	ttl time.Duration
	now func() time.Time
}

// idemKey identifies one client's use of one Idempotency-Key, and the
// request it came with.
type idemKey struct {
	kvKey       string
	fingerprint string
}

// newIdemKey scopes key to a client, so that two clients choosing the same
// key never meet, and fingerprints the request. The KV key is a hash: the
// client's key may hold any printable character.
func newIdemKey(scope, key string, request ...[]byte) idemKey {
	k := sha256.Sum256([]byte(scope + "\x00" + key))
	h := sha256.New()
	for _, part := range request {
		fmt.Fprintf(h, "%d:", len(part))
		h.Write(part)
	}
	return idemKey{kvKey: "k." + hex.EncodeToString(k[:]), fingerprint: hex.EncodeToString(h.Sum(nil))}
}

// validIdempotencyKey accepts 1 to 255 printable ASCII characters.
func validIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// idemEntry is what a key led to.
type idemEntry struct {
	Fingerprint string    `json:"fingerprint"`
	RequestID   string    `json:"request_id"`
	Reference   string    `json:"reference"`
	SubmittedAt time.Time `json:"submitted_at"`
	CreatedAt   time.Time `json:"created_at"`
	Done        bool      `json:"done,omitempty"`
	// The first response, replayed byte for byte.
	Status      int    `json:"status,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Body        []byte `json:"body,omitempty"`
}

// begin returns the entry for k: a done one to replay, or a pending one to
// (re)publish — fresh's if the key is new or expired, an earlier attempt's
// otherwise.
func (i *idempotency) begin(ctx context.Context, k idemKey, fresh func() idemEntry) (idemEntry, error) {
	for range 8 {
		e, err := i.kv.Get(ctx, k.kvKey)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			ent := fresh()
			ent.Fingerprint, ent.CreatedAt = k.fingerprint, i.now().UTC()
			if _, err := i.kv.Create(ctx, k.kvKey, mustJSON(ent)); errors.Is(err, jetstream.ErrKeyExists) {
				continue // another attempt got there first; use its entry
			} else if err != nil {
				return idemEntry{}, fmt.Errorf("idempotency: %w", err)
			}
			return ent, nil
		}
		if err != nil {
			return idemEntry{}, fmt.Errorf("idempotency: %w", err)
		}
		var ent idemEntry
		if err := json.Unmarshal(e.Value(), &ent); err != nil {
			return idemEntry{}, fmt.Errorf("idempotency %s: %w", k.kvKey, err)
		}
		if i.now().Sub(ent.CreatedAt) > i.ttl {
			ent = fresh()
			ent.Fingerprint, ent.CreatedAt = k.fingerprint, i.now().UTC()
			if _, err := i.kv.Update(ctx, k.kvKey, mustJSON(ent), e.Revision()); errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
				continue
			} else if err != nil {
				return idemEntry{}, fmt.Errorf("idempotency: %w", err)
			}
			return ent, nil
		}
		if ent.Fingerprint != k.fingerprint {
			return idemEntry{}, errIdempotencyMismatch
		}
		return ent, nil
	}
	return idemEntry{}, errors.New("idempotency: too many concurrent attempts")
}

// complete stores the response to replay. Two attempts finishing together
// store the same request, so the last writer may win.
func (i *idempotency) complete(ctx context.Context, k idemKey, ent idemEntry) error {
	ent.Done = true
	if _, err := i.kv.Put(ctx, k.kvKey, mustJSON(ent)); err != nil {
		return fmt.Errorf("idempotency: %w", err)
	}
	return nil
}

// mustJSON marshals a value that cannot fail to marshal.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
