package events

import (
	"context"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// HeaderCarrier lets OpenTelemetry propagators read and write W3C trace
// context in NATS headers. NATS headers are case-sensitive, and the W3C
// names are lowercase, so keys are used exactly as the propagator gives them.
type HeaderCarrier nats.Header

// Get returns the value of key.
func (c HeaderCarrier) Get(key string) string { return nats.Header(c).Get(key) }

// Set stores value under key.
func (c HeaderCarrier) Set(key, value string) { nats.Header(c).Set(key, value) }

// Keys lists the keys present.
func (c HeaderCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// propagator is W3C trace context alone: baggage could carry anything,
// including personal data, across the agencies' boundary.
var propagator = propagation.TraceContext{}

// InjectTrace writes the span context of ctx into h as traceparent and
// tracestate.
func InjectTrace(ctx context.Context, h nats.Header) {
	propagator.Inject(ctx, HeaderCarrier(h))
}

// ExtractTrace returns ctx carrying the remote span context found in h.
func ExtractTrace(ctx context.Context, h nats.Header) context.Context {
	return propagator.Extract(ctx, HeaderCarrier(h))
}

const instrumentationName = "github.com/sharjah-handoff/handoff/events"

// messagingAttrs are the OTel messaging semantic-convention attributes of a
// span. The destination is named by its template so that ids stay out of
// span names and attribute values with unbounded cardinality.
func messagingAttrs(op, template, msgID string) []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String("messaging.system", "nats"),
		attribute.String("messaging.operation.type", op),
		attribute.String("messaging.destination.name", template),
		attribute.String("messaging.destination.template", template),
		attribute.String("messaging.message.id", msgID),
	}
}

func tracerOf(tp trace.TracerProvider) trace.Tracer {
	return tp.Tracer(instrumentationName)
}
