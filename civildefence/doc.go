// Package civildefence is the Go client for Civil Defence systems: it takes
// tickets from one or more back-office queues and reports their progress
// back to the contact centre.
//
// A Client runs one durable pull consumer per queue on the CD_TICKETS stream
// (subjects cd.ticket.<queue>.<ticket_id>.opened|amended|cancelled|refused),
// checks every message against the contract, and hands it to a Handler as a
// typed event. The handler's error decides what happens to the message: nil
// acknowledges it; an error marked with events.Permanent dead-letters it with
// its reason; any other error retries it after a back-off. A message that
// breaks the contract never reaches the handler: it is dead-lettered by the
// runner and the consumer goes on.
//
// Status changes travel the other way as handoff.ticket.status.v1 on
// cd.update.<ticket_id>.status. Versions start at 1 and grow by one per
// change of one ticket; a Ticket remembers where a ticket stands and gives
// the next Update, checked against the state machine both agencies share.
// Each report continues the trace of the ticket.opened message, so one
// request's life is one trace across both agencies.
//
// The back office (services/backoffice) is built on this package; a Civil
// Defence system that integrates directly uses the same code. README.md in
// this directory tells a system written in another language how to do the
// same from the contracts alone.
package civildefence
