package broker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric/noop"
)

// BenchmarkWatchdogTick measures one watchdog pass over 100,000 open
// handoffs that are not yet due: the steady-state cost per tick, and the
// memory the in-memory copy of the SLA bucket takes.
//
//	go test -run '^$' -bench WatchdogTick -benchmem ./services/broker/
func BenchmarkWatchdogTick(b *testing.B) {
	const open = 100_000
	m, _ := newMetrics(noop.NewMeterProvider())
	br := &Broker{cfg: Config{Now: time.Now, ReportEvery: time.Minute}, log: slog.New(slog.NewTextHandler(io.Discard, nil)), metrics: m}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	entries := make(map[string]slaEntry, open)
	due := time.Now().Add(time.Hour)
	for i := 0; i < open; i++ {
		id := fmt.Sprintf("01936f7e-8a2b-7cde-8f01-%012d", i)
		entries[id] = slaEntry{RequestID: id, RequestReference: "CC-7K3M-Q9P2", TicketID: id, TicketReference: "CD-8K2P-QX41",
			Queue: "inspections", AckDueAt: due}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		br.report(ctx, entries)
	}
	b.StopTimer()
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB-for-100k")
}
