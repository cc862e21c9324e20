package intake

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sharjah-handoff/handoff/contracts"
)

// errNoRequest means no request has the id or reference asked for.
var errNoRequest = errors.New("no such request")

// view is the request view in KV CC_REQUEST_VIEW.
//
// A record's key is req.<day>.<request id>, the day being the UTC date in
// the request id (a UUIDv7 carries its creation time), so that a date range
// is a handful of key filters rather than a scan of every request ever
// made. ref.<reference> maps a short reference to its request id; creating
// it first-writer-wins is what makes references unique.
type view struct {
	kv jetstream.KeyValue
}

// undated is the partition of request ids that are not UUIDv7 (sent by
// other contact-centre systems): found by id, never by date.
const undated = "undated"

func recordKey(rid string) (string, error) {
	id, err := uuid.Parse(rid)
	if err != nil || id.String() != rid {
		return "", fmt.Errorf("%w: %q is not a request id", errNoRequest, rid)
	}
	return "req." + partition(id) + "." + rid, nil
}

func partition(id uuid.UUID) string {
	if id.Version() != 7 {
		return undated
	}
	return dayOf(requestTime(id))
}

// requestTime is the creation time a UUIDv7 carries, to the millisecond.
func requestTime(id uuid.UUID) time.Time {
	var b [8]byte
	copy(b[2:], id[:6])
	return time.UnixMilli(int64(binary.BigEndian.Uint64(b[:]))).UTC()
}

func dayOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

var referencePattern = regexp.MustCompile(`^CC-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`)

// get returns the record of a request id.
func (v *view) get(ctx context.Context, rid string) (*Record, error) {
	key, err := recordKey(rid)
	if err != nil {
		return nil, err
	}
	e, err := v.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("%w: %s", errNoRequest, rid)
	}
	if err != nil {
		return nil, err
	}
	var r Record
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return nil, fmt.Errorf("view %s: %w", key, err)
	}
	return &r, nil
}

// find returns the record of a request id or short reference, as an agent
// might type it.
func (v *view) find(ctx context.Context, idOrRef string) (*Record, error) {
	if id, err := uuid.Parse(idOrRef); err == nil && len(idOrRef) == 36 {
		return v.get(ctx, id.String())
	}
	ref := contracts.NormalizeReference(idOrRef)
	if !referencePattern.MatchString(ref) {
		return nil, fmt.Errorf("%w: %q is neither a request id nor a reference", errNoRequest, idOrRef)
	}
	e, err := v.kv.Get(ctx, "ref."+ref)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("%w: %s", errNoRequest, ref)
	}
	if err != nil {
		return nil, err
	}
	return v.get(ctx, string(e.Value()))
}

// reserve claims a reference for a request id. It fails with
// jetstream.ErrKeyExists when another request holds it.
func (v *view) reserve(ctx context.Context, ref, rid string) error {
	_, err := v.kv.Create(ctx, "ref."+ref, []byte(rid))
	if errors.Is(err, jetstream.ErrKeyExists) {
		if e, gerr := v.kv.Get(ctx, "ref."+ref); gerr == nil && string(e.Value()) == rid {
			return nil
		}
	}
	return err
}

// update changes a request's record with compare-and-swap, creating it if
// need be: the intake and the update consumer write different halves of a
// record and may do so at the same moment. fn reports whether it changed
// anything.
func (v *view) update(ctx context.Context, rid string, fn func(*Record) bool) (*Record, error) {
	key, err := recordKey(rid)
	if err != nil {
		return nil, err
	}
	for range 16 {
		rec, rev, err := v.load(ctx, key, rid)
		if err != nil {
			return nil, err
		}
		if !fn(rec) {
			return rec, nil
		}
		data, err := json.Marshal(rec)
		if err != nil {
			return nil, err
		}
		if rev == 0 {
			_, err = v.kv.Create(ctx, key, data)
		} else {
			_, err = v.kv.Update(ctx, key, data, rev)
		}
		if err == nil {
			return rec, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return nil, fmt.Errorf("view %s: %w", key, err)
		}
	}
	return nil, fmt.Errorf("view %s: too many concurrent changes", key)
}

func (v *view) load(ctx context.Context, key, rid string) (*Record, uint64, error) {
	e, err := v.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		// Until the intake writes the request half (or for a request that
		// came another way) the id tells when the request was made.
		r := &Record{RequestID: rid}
		if id := uuid.MustParse(rid); id.Version() == 7 {
			r.RequestedAt = requestTime(id)
		}
		return r, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("view %s: %w", key, err)
	}
	var r Record
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return nil, 0, fmt.Errorf("view %s: %w", key, err)
	}
	return &r, e.Revision(), nil
}

// query selects requests as Open311's GET requests does.
type query struct {
	start, end time.Time
	services   []string
	// open and closed select by Open311 status; both false means all.
	open, closed bool
	limit        int
}

func (q query) matches(r *Record) bool {
	if r.RequestedAt.Before(q.start) || r.RequestedAt.After(q.end) {
		return false
	}
	if len(q.services) > 0 && !slices.Contains(q.services, r.ServiceCode) {
		return false
	}
	if q.open != q.closed {
		return r.Status.Open() == q.open
	}
	return true
}

// daysPerWatch is how many day partitions one KV watch reads.
const daysPerWatch = 7

// list returns the requests matching q, most recent first, at most
// q.limit. It reads day partitions from the newest back and stops as soon
// as older days cannot change the answer.
func (v *view) list(ctx context.Context, q query) ([]*Record, error) {
	days := daysBetween(q.start, q.end)
	var out []*Record
	for len(days) > 0 {
		n := min(daysPerWatch, len(days))
		batch := days[:n]
		days = days[n:]
		recs, err := v.readDays(ctx, batch)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if q.matches(r) {
				out = append(out, r)
			}
		}
		if len(out) >= q.limit {
			break
		}
	}
	slices.SortFunc(out, func(a, b *Record) int {
		return cmp.Or(b.RequestedAt.Compare(a.RequestedAt), cmp.Compare(b.RequestID, a.RequestID))
	})
	if len(out) > q.limit {
		out = out[:q.limit]
	}
	return out, nil
}

// daysBetween lists the UTC days from end back to start.
func daysBetween(start, end time.Time) []string {
	var days []string
	first := start.UTC().Truncate(24 * time.Hour)
	for d := end.UTC().Truncate(24 * time.Hour); !d.Before(first); d = d.Add(-24 * time.Hour) {
		days = append(days, dayOf(d))
	}
	return days
}

func (v *view) readDays(ctx context.Context, days []string) ([]*Record, error) {
	filters := make([]string, len(days))
	for i, d := range days {
		filters[i] = "req." + d + ".*"
	}
	w, err := v.kv.WatchFiltered(ctx, filters, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("view: %w", err)
	}
	defer w.Stop()
	var out []*Record
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return nil, errors.New("view: watch closed")
			}
			if e == nil {
				return out, nil
			}
			var r Record
			if err := json.Unmarshal(e.Value(), &r); err == nil {
				out = append(out, &r)
			}
		}
	}
}
