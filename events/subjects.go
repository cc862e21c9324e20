package events

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/sharjah-handoff/handoff/contracts"
)

// ErrBadToken is returned when a value cannot be used as a subject token.
var ErrBadToken = errors.New("invalid subject token")

var tokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// CheckToken reports whether s may stand as one token of a subject. Only
// letters, digits, '_' and '-' are allowed, 1 to 64 of them, so an id can
// never add a level ('.'), match others ('*', '>') or reach a system subject
// ('$').
func CheckToken(s string) error {
	if !tokenPattern.MatchString(s) {
		return fmt.Errorf("%w: %q must match %s", ErrBadToken, truncate(s, 70), tokenPattern)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Route says where an event type travels: its subject template, the stream
// that stores it and the account that owns that stream.
type Route struct {
	EventType string
	// Template is the subject with placeholders, e.g.
	// "cc.request.{request_id}.submitted". Spans name destinations by it.
	Template string
	Stream   string
	Account  string
}

// Accounts of the NATS deployment.
const (
	AccountCC     = "CC"
	AccountCD     = "CD"
	AccountBroker = "BROKER"
)

var routes = map[string]Route{
	contracts.TypeRequestSubmitted: {Template: "cc.request.{request_id}.submitted", Stream: StreamCCRequests, Account: AccountBroker},
	contracts.TypeRequestAmended:   {Template: "cc.request.{request_id}.amended", Stream: StreamCCRequests, Account: AccountBroker},
	contracts.TypeRequestCancelled: {Template: "cc.request.{request_id}.cancelled", Stream: StreamCCRequests, Account: AccountBroker},
	contracts.TypeTicketOpened:     {Template: "cd.ticket.{queue}.{ticket_id}.opened", Stream: StreamCDTickets, Account: AccountCD},
	contracts.TypeTicketAmended:    {Template: "cd.ticket.{queue}.{ticket_id}.amended", Stream: StreamCDTickets, Account: AccountCD},
	contracts.TypeTicketCancelled:  {Template: "cd.ticket.{queue}.{ticket_id}.cancelled", Stream: StreamCDTickets, Account: AccountCD},
	contracts.TypeTicketRefused:    {Template: "cd.ticket.{queue}.{ticket_id}.refused", Stream: StreamCDTickets, Account: AccountCD},
	contracts.TypeTicketStatus:     {Template: "cd.update.{ticket_id}.status", Stream: StreamCDUpdates, Account: AccountBroker},
	contracts.TypeRequestStatus:    {Template: "cc.update.{request_id}.status", Stream: StreamCCUpdates, Account: AccountCC},
	contracts.TypeRequestRejected:  {Template: "cc.update.{request_id}.rejected", Stream: StreamCCUpdates, Account: AccountCC},
	contracts.TypeRequestOverdue:   {Template: "cc.update.{request_id}.overdue", Stream: StreamCCUpdates, Account: AccountCC},
}

// RouteOf returns the route of an event type.
func RouteOf(eventType string) (Route, bool) {
	r, ok := routes[eventType]
	r.EventType = eventType
	return r, ok
}

// Subject builds the subject of an event type from its tokens, in the order
// of the template's placeholders. Every token is checked first.
func Subject(eventType string, tokens ...string) (string, error) {
	r, ok := routes[eventType]
	if !ok {
		return "", fmt.Errorf("subject for %q: %w", eventType, contracts.ErrUnknownEventType)
	}
	parts := strings.Split(r.Template, ".")
	n := 0
	for i, p := range parts {
		if !strings.HasPrefix(p, "{") {
			continue
		}
		if n >= len(tokens) {
			return "", fmt.Errorf("subject for %s: missing %s", eventType, p)
		}
		if err := CheckToken(tokens[n]); err != nil {
			return "", fmt.Errorf("subject for %s: %s: %w", eventType, strings.Trim(p, "{}"), err)
		}
		parts[i] = tokens[n]
		n++
	}
	if n != len(tokens) {
		return "", fmt.Errorf("subject for %s: %d tokens given, %d expected", eventType, len(tokens), n)
	}
	return strings.Join(parts, "."), nil
}

// RequestSubject is the subject of a contact-centre request event
// (submitted, amended or cancelled).
func RequestSubject(eventType, requestID string) (string, error) {
	return Subject(eventType, requestID)
}

// TicketSubject is the subject of an event on a Civil Defence queue.
func TicketSubject(eventType, queue, ticketID string) (string, error) {
	return Subject(eventType, queue, ticketID)
}

// QueueFilter is the subject filter of every ticket event of one queue.
func QueueFilter(queue string) (string, error) {
	if err := CheckToken(queue); err != nil {
		return "", fmt.Errorf("queue filter: %w", err)
	}
	return "cd.ticket." + queue + ".>", nil
}

// DeadLetterSubject is where a consumer of origin ("broker", "cc" or "cd")
// writes what it could not process from stream by durable consumer.
func DeadLetterSubject(origin, stream, consumer string) (string, error) {
	for _, t := range []string{origin, stream, consumer} {
		if err := CheckToken(t); err != nil {
			return "", fmt.Errorf("dead-letter subject: %w", err)
		}
	}
	return "handoff.dlq." + origin + "." + stream + "." + consumer, nil
}
