// Package intake is the contact centre's front door to Civil Defence: an
// Open311 GeoReport v2 API for contact-centre systems, the agents' web page,
// and the request view both of them read.
//
// A request captured on either path is checked against the catalogue with
// the same rules the broker applies, published as
// handoff.request.submitted.v1 and acknowledged by JetStream before the
// caller gets an answer. The request view (KV CC_REQUEST_VIEW) is built by
// consuming the contact centre's own stream CC_UPDATES, so a status change
// reaches GET requests within milliseconds and survives restarts; a
// Server-Sent Events feed carries the same changes live and resumes from
// Last-Event-ID (the CC_UPDATES stream sequence) without losing one.
//
// The HTTP surface is [Service.Handler]: /open311/v2/... for machines and
// /agent/... for people. README.md in this directory documents the
// extensions to Open311 and what was left out.
package intake
