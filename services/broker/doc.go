// Package broker is the handoff itself: it turns contact-centre requests
// into Civil Defence tickets on the catalogue's queue, carries Civil
// Defence's status changes back to the contact centre under the state
// machine, and watches acknowledgement SLAs.
//
// Every handoff is one record in KV HANDOFFS, created with first-writer-wins
// Create and changed with compare-and-swap. The record is also an outbox:
// the events a change must send are written into it in the same update, then
// published with deterministic ids, then marked done. A broker killed
// between any two steps finishes the work on redelivery, and JetStream's
// duplicate window and the deterministic ids make sure nothing is sent
// twice.
package broker
