package civildefence

import (
	"context"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/trace"

	"github.com/sharjah-handoff/handoff/events"
)

// TraceContext is the W3C trace context of a message, kept so that later
// events about the same ticket continue its trace. It is plain strings so
// that it can be stored with the ticket.
type TraceContext struct {
	Traceparent string `json:"traceparent,omitempty"`
	Tracestate  string `json:"tracestate,omitempty"`
}

func traceOf(h nats.Header) TraceContext {
	return TraceContext{Traceparent: h.Get("traceparent"), Tracestate: h.Get("tracestate")}
}

// SpanContext returns the remote span context, invalid if there is none.
func (tc TraceContext) SpanContext() trace.SpanContext {
	if tc.Traceparent == "" {
		return trace.SpanContext{}
	}
	return trace.SpanContextFromContext(tc.Context(context.Background()))
}

// Context returns ctx carrying tc as its remote parent.
func (tc TraceContext) Context(ctx context.Context) context.Context {
	h := nats.Header{}
	if tc.Traceparent != "" {
		h.Set("traceparent", tc.Traceparent)
	}
	if tc.Tracestate != "" {
		h.Set("tracestate", tc.Tracestate)
	}
	return events.ExtractTrace(ctx, h)
}

// TraceID is the trace id in hex, or "" when there is no trace.
func (tc TraceContext) TraceID() string {
	if sc := tc.SpanContext(); sc.IsValid() {
		return sc.TraceID().String()
	}
	return ""
}
