// Package events is how every Handoff service speaks the contract on NATS
// JetStream: the CloudEvents envelope in NATS headers, subjects built only
// from checked tokens, the streams and buckets each account owns, a
// publisher that validates and retries idempotently, a consumer runner that
// retries, dead-letters and drains, and OpenTelemetry trace propagation in
// message headers.
//
// The payloads themselves, and their schemas, live in package contracts.
package events
