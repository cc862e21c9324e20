// Package backoffice is Civil Defence's reference back office: it takes
// tickets from every queue with the civildefence client, keeps Civil
// Defence's own record of each ticket in the CD_TICKET_STORE bucket, and
// lets officers work their queues through a JSON API and a server-rendered
// page (Arabic and English) under /backoffice/.
//
// Every officer action that changes a ticket's common status is one
// handoff.ticket.status.v1 event with the ticket's next version. The version
// is reserved in the store with a compare-and-swap before the event is
// published, so two officers acting on one ticket at once cannot both win:
// the second gets 409 Conflict and the current state. See README.md in this
// directory for the API, the choices made where the issue was silent, and
// the configuration file.
package backoffice
