package events_test

import (
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sharjah-handoff/handoff/events"
)

func validEnvelope() events.Envelope {
	return events.Envelope{
		ID: "0193a5e0-7c1e-7b3a-9d2f-5f1b2c3d4e5f", Source: "/handoff/broker", Type: "handoff.request.status.v1",
		Time: time.Date(2026, 11, 26, 9, 30, 0, 123000000, time.UTC), Subject: "0193a5e0-0000-7000-8000-000000000001",
		DataSchema: "https://schemas.example/x.json", CorrelationID: "0193a5e0-0000-7000-8000-000000000001",
		CausationID: "0193a5e0-0000-7000-8000-000000000002",
	}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	want := validEnvelope()
	h := nats.Header{}
	want.Header(h)
	if got := h.Get("ce-specversion"); got != "1.0" {
		t.Fatalf("ce-specversion = %q", got)
	}
	if got := h.Get("Content-Type"); got != "application/json" {
		t.Fatalf("Content-Type = %q", got)
	}
	got, err := events.DecodeEnvelope(h)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Time.Equal(want.Time) {
		t.Fatalf("time %v != %v", got.Time, want.Time)
	}
	got.Time = want.Time
	if got != want {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
	}
}

func TestEnvelopeRejectsBadAttributeByName(t *testing.T) {
	cases := []struct {
		name, attr string
		mutate     func(nats.Header)
	}{
		{"no specversion", "ce-specversion", func(h nats.Header) { h.Del("ce-specversion") }},
		{"wrong specversion", "ce-specversion", func(h nats.Header) { h.Set("ce-specversion", "0.3") }},
		{"no id", "ce-id", func(h nats.Header) { h.Del("ce-id") }},
		{"empty id", "ce-id", func(h nats.Header) { h.Set("ce-id", "") }},
		{"repeated id", "ce-id", func(h nats.Header) { h.Add("ce-id", "other") }},
		{"no source", "ce-source", func(h nats.Header) { h.Del("ce-source") }},
		{"source with space", "ce-source", func(h nats.Header) { h.Set("ce-source", "/a b") }},
		{"no type", "ce-type", func(h nats.Header) { h.Del("ce-type") }},
		{"no time", "ce-time", func(h nats.Header) { h.Del("ce-time") }},
		{"bad time", "ce-time", func(h nats.Header) { h.Set("ce-time", "yesterday") }},
		{"no correlation id", "ce-correlationid", func(h nats.Header) { h.Del("ce-correlationid") }},
		{"no content type", "Content-Type", func(h nats.Header) { h.Del("Content-Type") }},
		{"xml content type", "Content-Type", func(h nats.Header) { h.Set("Content-Type", "application/xml") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := nats.Header{}
			validEnvelope().Header(h)
			tc.mutate(h)
			_, err := events.DecodeEnvelope(h)
			var ae *events.AttributeError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *AttributeError", err)
			}
			if ae.Attribute != tc.attr {
				t.Fatalf("attribute = %q, want %q (%v)", ae.Attribute, tc.attr, err)
			}
			if !errors.Is(err, events.ErrEnvelope) {
				t.Fatalf("%v does not wrap ErrEnvelope", err)
			}
		})
	}
}

func TestEnvelopeNoHeaders(t *testing.T) {
	if _, err := events.DecodeEnvelope(nil); !errors.Is(err, events.ErrEnvelope) {
		t.Fatalf("err = %v", err)
	}
}

func FuzzDecodeEnvelope(f *testing.F) {
	h := nats.Header{}
	validEnvelope().Header(h)
	f.Add(h.Get("ce-specversion"), h.Get("ce-id"), h.Get("ce-source"), h.Get("ce-type"), h.Get("ce-time"), h.Get("ce-correlationid"), h.Get("Content-Type"))
	f.Add("1.0", "", "/x", "t", "2026-01-01T00:00:00Z", "c", "application/json")
	f.Add("1.0", "id", "/x y", "t", "not a time", "c", "text/plain")
	f.Add("", "\x00", "\xff", "", "", "", "")
	f.Fuzz(func(t *testing.T, spec, id, source, typ, tm, corr, ct string) {
		h := nats.Header{"ce-specversion": {spec}, "ce-id": {id}, "ce-source": {source}, "ce-type": {typ},
			"ce-time": {tm}, "ce-correlationid": {corr}, "Content-Type": {ct}}
		env, err := events.DecodeEnvelope(h)
		if err != nil {
			if !errors.Is(err, events.ErrEnvelope) {
				t.Fatalf("error %v does not wrap ErrEnvelope", err)
			}
			return
		}
		// Whatever decodes must encode and decode to the same envelope.
		h2 := nats.Header{}
		env.Header(h2)
		env2, err := events.DecodeEnvelope(h2)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !env2.Time.Equal(env.Time) || env2.ID != env.ID || env2.Type != env.Type || env2.Source != env.Source {
			t.Fatalf("re-decode changed envelope: %+v vs %+v", env2, env)
		}
	})
}
