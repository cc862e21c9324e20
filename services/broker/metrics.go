package broker

import (
	"fmt"

	"go.opentelemetry.io/otel/metric"
)

// metrics are the broker's counters, exported with the OTel SDK.
type metrics struct {
	tickets    metric.Int64Counter
	rejected   metric.Int64Counter
	duplicates metric.Int64Counter
	statuses   metric.Int64Counter
	stale      metric.Int64Counter
	refused    metric.Int64Counter
	conflicts  metric.Int64Counter
	overdue    metric.Int64Counter
	awaiting   metric.Int64Gauge
}

func newMetrics(mp metric.MeterProvider) (metrics, error) {
	m := mp.Meter("github.com/sharjah-handoff/handoff/services/broker")
	var ms metrics
	var err error
	counter := func(dst *metric.Int64Counter, name, desc string) {
		if err == nil {
			*dst, err = m.Int64Counter(name, metric.WithDescription(desc))
		}
	}
	counter(&ms.tickets, "handoff.tickets.opened", "Tickets opened on Civil Defence queues")
	counter(&ms.rejected, "handoff.requests.rejected", "Requests rejected by the broker")
	counter(&ms.duplicates, "handoff.requests.duplicate", "Requests submitted again for an existing handoff")
	counter(&ms.statuses, "handoff.status.applied", "Civil Defence status changes applied")
	counter(&ms.stale, "handoff.status.stale", "Civil Defence status changes dropped as stale or repeated")
	counter(&ms.refused, "handoff.changes.refused", "Changes refused by the state machine or a finished handoff")
	counter(&ms.conflicts, "handoff.record.conflicts", "Compare-and-swap conflicts on handoff records")
	counter(&ms.overdue, "handoff.sla.overdue.reports", "Overdue reports for unacknowledged tickets")
	if err == nil {
		ms.awaiting, err = m.Int64Gauge("handoff.sla.overdue.current", metric.WithDescription("Tickets now past their acknowledgement SLA"))
	}
	if err != nil {
		return ms, fmt.Errorf("broker metrics: %w", err)
	}
	return ms, nil
}
