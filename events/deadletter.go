package events

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sharjah-handoff/handoff/contracts"
)

// DeadLetter is what a consumer writes to HANDOFF_DLQ for a message it can
// never process: why, and everything needed to replay it once the cause is
// fixed.
type DeadLetter struct {
	Reason         string              `json:"reason"`
	Error          string              `json:"error"`
	Problems       []contracts.Problem `json:"problems,omitempty"`
	Stream         string              `json:"stream"`
	Consumer       string              `json:"consumer"`
	StreamSequence uint64              `json:"stream_sequence"`
	DeliveryCount  uint64              `json:"delivery_count"`
	Subject        string              `json:"subject"`
	Headers        map[string][]string `json:"headers"`
	// Payload is the original body, byte for byte (base64 in JSON, so that
	// even invalid UTF-8 survives).
	Payload        []byte    `json:"payload"`
	DeadLetteredAt time.Time `json:"dead_lettered_at"`
}

// Dead-letter reasons.
const (
	ReasonEnvelope        = "envelope_invalid"
	ReasonSchema          = "schema_invalid"
	ReasonUnknownType     = "unknown_event_type"
	ReasonMaxDeliver      = "max_deliver_exhausted"
	ReasonHandlerRejected = "rejected"
)

// deadLetterer writes dead letters for one consumer.
type deadLetterer struct {
	js      jetstream.JetStream
	subject string
}

func (d deadLetterer) write(ctx context.Context, dl DeadLetter) error {
	body, err := json.Marshal(dl)
	if err != nil {
		return fmt.Errorf("dead letter: %w", err)
	}
	msg := nats.NewMsg(d.subject)
	msg.Data = body
	// One dead letter per stored message, however often this is retried.
	msg.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("dlq-%s-%d", dl.Stream, dl.StreamSequence))
	msg.Header.Set("Content-Type", ContentType)
	msg.Header.Set("Handoff-Dlq-Reason", dl.Reason)
	if t := dl.Headers["traceparent"]; len(t) == 1 {
		msg.Header.Set("traceparent", t[0])
	}
	if _, err := d.js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("dead letter %s/%d: %w", dl.Stream, dl.StreamSequence, err)
	}
	return nil
}

// ReadDeadLetter decodes a dead-letter record.
func ReadDeadLetter(data []byte) (DeadLetter, error) {
	var dl DeadLetter
	if err := json.Unmarshal(data, &dl); err != nil {
		return dl, fmt.Errorf("read dead letter: %w", err)
	}
	return dl, nil
}

// controlHeader reports whether a header is a NATS control header that must
// never be copied from one message to another.
func controlHeader(k string) bool {
	return len(k) >= 5 && (k[:5] == "Nats-" || k[:5] == "nats-")
}

func copyHeaders(h nats.Header) map[string][]string {
	out := make(map[string][]string, len(h))
	for k, v := range h {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// Replay publishes a dead letter's original message again, to its original
// subject with its original CloudEvents and trace headers, once the cause
// is fixed. NATS control headers are not copied; the message id is new
// (derived from the dead letter, so replaying twice stores it once), while
// ce-id stays, so consumers still recognise the event.
func Replay(ctx context.Context, js jetstream.JetStream, dl DeadLetter, dlqSeq uint64) (*jetstream.PubAck, error) {
	msg := nats.NewMsg(dl.Subject)
	for k, v := range dl.Headers {
		if !controlHeader(k) {
			msg.Header[k] = append([]string(nil), v...)
		}
	}
	msg.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("replay-%s-%d-%d", dl.Stream, dl.StreamSequence, dlqSeq))
	msg.Data = dl.Payload
	ack, err := js.PublishMsg(ctx, msg)
	if err != nil {
		return nil, fmt.Errorf("replay %s/%d: %w", dl.Stream, dl.StreamSequence, err)
	}
	return ack, nil
}
