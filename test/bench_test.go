package test

import (
	"context"
	"encoding/json"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
	"github.com/sharjah-handoff/handoff/internal/natstest"
	"github.com/sharjah-handoff/handoff/services/broker"
)

// BenchmarkHandoffLoop measures the full loop on one machine — request →
// ticket on the Civil Defence queue → "accepted" back at the contact
// centre — and, in the same run, raw JetStream async publishing of 1 KiB
// messages, so that the figures are ratios on the same hardware.
//
//	go test -run '^$' -bench HandoffLoop -benchtime 5000x ./test/
//
// HandoffLoop submits as fast as 256 concurrent publishers can (throughput);
// HandoffLoopAt1000 paces submissions at 1,000 handoffs/s (latency at the
// DESIGN's target rate).
func BenchmarkHandoffLoop(b *testing.B) { benchmarkLoop(b, 0) }

func BenchmarkHandoffLoopAt1000(b *testing.B) { benchmarkLoop(b, 1000) }

func benchmarkLoop(b *testing.B, rate float64) {
	s := natstest.Start(b)
	_, bjs := natstest.Connect(b, s, "broker")
	_, ccjs := natstest.Connect(b, s, "agent")
	_, cdjs := natstest.Connect(b, s, "cd-system")
	cat, _ := contracts.DefaultCatalogue()
	br, err := broker.New(context.Background(), bjs, broker.Config{Catalogue: cat, Concurrency: 64})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = br.Run(ctx) }()

	raw := rawPublishRate(b, s)
	cc, _ := events.NewPublisher(ccjs, "/contact-centre/bench")
	cd, _ := events.NewPublisher(cdjs, "/civil-defence/bench")
	lat := newLoop(b.N)
	go lat.acceptTickets(ctx, b, cdjs, cd)
	go lat.watchAccepted(ctx, b, ccjs)

	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	var pace <-chan time.Time
	if rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer t.Stop()
		pace = t.C
	}
	for i := 0; i < b.N; i++ {
		if pace != nil {
			<-pace
		}
		req := benchRequest()
		lat.submitted(req.RequestID)
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := cc.Publish(ctx, events.Outgoing{Type: contracts.TypeRequestSubmitted, Tokens: []string{req.RequestID},
				Subject: req.RequestID, CorrelationID: req.RequestID, Payload: req}); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	select {
	case <-lat.done:
	case <-time.After(2 * time.Minute):
		b.Fatalf("only %d of %d loops completed", lat.completed(), b.N)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	loops := float64(b.N) / elapsed.Seconds()
	// One loop is five stored messages: request, ticket, queued, status, accepted.
	b.ReportMetric(loops, "loops/s")
	b.ReportMetric(raw, "raw-js-msgs/s")
	b.ReportMetric(loops*5/raw, "js-busy-ratio")
	b.ReportMetric(lat.percentile(lat.toTicket, 50), "ticket-p50-ms")
	b.ReportMetric(lat.percentile(lat.toTicket, 99), "ticket-p99-ms")
	b.ReportMetric(lat.percentile(lat.toCC, 50), "status-to-cc-p50-ms")
	b.ReportMetric(lat.percentile(lat.toCC, 99), "status-to-cc-p99-ms")
}

func benchRequest() contracts.RequestSubmitted {
	id := uuid.Must(uuid.NewV7())
	return contracts.RequestSubmitted{RequestID: id.String(), Reference: contracts.RandomReference("CC", id),
		ServiceCode: "fire_hazard_complaint", SubmittedAt: time.Now().UTC(), Channel: "phone", Language: "en",
		Description: "Fire exit blocked by stored goods at the back of the shop",
		Attributes:  contracts.Attributes{"hazard_type": "blocked_exit", "premises_type": "shop"},
		Location:    &contracts.Location{Address: "Al Majaz 2, Sharjah"}}
}

// rawPublishRate is JetStream's own async publish rate for 1 KiB messages
// (R1, file storage) on this server: the baseline the loop is compared with.
func rawPublishRate(b *testing.B, s interface {
	Credentials(string) events.Credentials
}) float64 {
	nc, err := events.Connect("bench-raw", s.Credentials("broker-admin"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "BENCH_RAW", Subjects: []string{"bench.raw"},
		Storage: jetstream.FileStorage}); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = js.DeleteStream(ctx, "BENCH_RAW") }()
	const n = 50000
	payload := make([]byte, 1024)
	start := time.Now()
	for i := 0; i < n; i++ {
		if _, err := js.PublishAsync("bench.raw", payload); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatal("raw publishes not acknowledged")
	}
	return n / time.Since(start).Seconds()
}

// loop tracks each handoff's timestamps.
type loop struct {
	mu         sync.Mutex
	sentAt     map[string]time.Time
	acceptedAt map[string]time.Time
	toTicket   []float64
	toCC       []float64
	n          int
	done       chan struct{}
}

func newLoop(n int) *loop {
	return &loop{sentAt: map[string]time.Time{}, acceptedAt: map[string]time.Time{}, n: n, done: make(chan struct{})}
}

func (l *loop) submitted(rid string) {
	l.mu.Lock()
	l.sentAt[rid] = time.Now()
	l.mu.Unlock()
}

func (l *loop) completed() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.toCC)
}

// acceptTickets plays Civil Defence: every ticket that arrives is accepted.
func (l *loop) acceptTickets(ctx context.Context, b *testing.B, js jetstream.JetStream, cd *events.Publisher) {
	c, err := js.OrderedConsumer(ctx, events.StreamCDTickets, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"cd.ticket.*.*.opened"}})
	if err != nil {
		b.Error(err)
		return
	}
	_, _ = c.Consume(func(m jetstream.Msg) {
		var t contracts.TicketOpened
		if json.Unmarshal(m.Data(), &t) != nil {
			return
		}
		now := time.Now()
		l.mu.Lock()
		l.toTicket = append(l.toTicket, float64(now.Sub(l.sentAt[t.RequestID]).Microseconds())/1000)
		l.acceptedAt[t.RequestID] = now
		l.mu.Unlock()
		go func() {
			_, err := cd.Publish(ctx, events.Outgoing{Type: contracts.TypeTicketStatus, Tokens: []string{t.TicketID},
				Subject: t.TicketID, CorrelationID: t.RequestID, Payload: contracts.TicketStatus{TicketID: t.TicketID,
					Version: 1, Status: contracts.StatusAccepted, CDStatusCode: "ACK", ChangedAt: time.Now().UTC()}})
			if err != nil && ctx.Err() == nil {
				b.Error(err)
			}
		}()
	})
}

// watchAccepted plays the contact centre, timing each "accepted".
func (l *loop) watchAccepted(ctx context.Context, b *testing.B, js jetstream.JetStream) {
	c, err := js.OrderedConsumer(ctx, events.StreamCCUpdates, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"cc.update.*.status"}})
	if err != nil {
		b.Error(err)
		return
	}
	_, _ = c.Consume(func(m jetstream.Msg) {
		var st contracts.RequestStatus
		if json.Unmarshal(m.Data(), &st) != nil || st.Status != contracts.StatusAccepted {
			return
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		l.toCC = append(l.toCC, float64(time.Since(l.acceptedAt[st.RequestID]).Microseconds())/1000)
		if len(l.toCC) == l.n {
			close(l.done)
		}
	})
}

func (l *loop) percentile(xs []float64, p float64) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[int(float64(len(s)-1)*p/100)]
}
