package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
	"github.com/sharjah-handoff/handoff/services/broker"
)

// attrFlags collects repeated --attr code=value flags.
type attrFlags []string

func (a *attrFlags) String() string     { return strings.Join(*a, ",") }
func (a *attrFlags) Set(v string) error { *a = append(*a, v); return nil }

type submitFlags struct {
	conn                           connFlags
	service, description, address  string
	lat, long                      string
	language, channel, agent, file string
	first, last, phone, email      string
	attrs                          attrFlags
	wait                           time.Duration
	noCheck                        bool
}

func runSubmit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f submitFlags
	fs := newFlagSet("submit", "--service CODE [--attr code=value ...] [flags]", `Submits a request as the contact centre would, over NATS with the events
library, and waits until the broker has queued it as a ticket or rejected
it. The request is checked against the catalogue first, with the same rules
as the broker. --file takes a JSON request (fields as in the contract's
handoff.request.submitted.v1); flags override its fields.`)
	f.conn.register(fs, "agent")
	fs.StringVar(&f.service, "service", "", "service code from the catalogue, e.g. fire_safety_inspection")
	fs.Var(&f.attrs, "attr", "attribute answer code=value (repeatable; lists as a,b)")
	fs.StringVar(&f.description, "description", "", "what the caller asks for (up to 4,000 characters)")
	fs.StringVar(&f.address, "address", "", "address of the place concerned")
	fs.StringVar(&f.lat, "lat", "", "latitude of the place")
	fs.StringVar(&f.long, "long", "", "longitude of the place")
	fs.StringVar(&f.language, "language", "ar", "caller's language: ar or en")
	fs.StringVar(&f.channel, "channel", "phone", "channel: phone, web, walk_in, email or api")
	fs.StringVar(&f.agent, "agent", "", "agent id")
	fs.StringVar(&f.first, "first-name", "", "caller's first name")
	fs.StringVar(&f.last, "last-name", "", "caller's last name")
	fs.StringVar(&f.phone, "phone", "", "caller's phone number")
	fs.StringVar(&f.email, "email", "", "caller's email")
	fs.StringVar(&f.file, "file", "", "JSON file with the request")
	fs.DurationVar(&f.wait, "wait", 10*time.Second, "how long to wait for the broker's answer (0: don't wait)")
	fs.BoolVar(&f.noCheck, "no-check", false, "skip the catalogue check (to see the broker reject a request)")
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cat, err := contracts.DefaultCatalogue()
	if err != nil {
		return err
	}
	req, err := f.request(cat)
	if err != nil {
		return err
	}
	js, closeFn, err := connectJS(f.conn, "handoff-submit")
	if err != nil {
		return err
	}
	defer closeFn()
	pub, err := events.NewPublisher(js, "/contact-centre/cli")
	if err != nil {
		return err
	}
	if _, err := pub.Publish(ctx, events.Outgoing{Type: contracts.TypeRequestSubmitted, Tokens: []string{req.RequestID},
		Subject: req.RequestID, CorrelationID: req.RequestID, Payload: req}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "submitted   %s\nreference   %s\n", req.RequestID, req.Reference)
	if f.wait <= 0 {
		return nil
	}
	return awaitAnswer(ctx, js, req.RequestID, f.wait, stdout)
}

func (f *submitFlags) request(cat *contracts.Catalogue) (*contracts.RequestSubmitted, error) {
	var req contracts.RequestSubmitted
	if f.file != "" {
		data, err := readFile(f.file)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(data, &req); err != nil {
			return nil, fmt.Errorf("%s: %w", f.file, err)
		}
	}
	if err := f.apply(&req, cat); err != nil {
		return nil, err
	}
	if req.ServiceCode == "" {
		return nil, usageErr("--service is required")
	}
	svc, ok := cat.Lookup(req.ServiceCode)
	if !ok && !f.noCheck {
		return nil, usageErr("no service %q in the catalogue", req.ServiceCode)
	}
	if svc.Emergency && !f.noCheck {
		return nil, fmt.Errorf("%s — %s", svc.Notice.EN, svc.Notice.AR)
	}
	if !f.noCheck {
		if ps := svc.CheckRequest(req.Attributes, req.Location); len(ps) > 0 {
			return nil, problemsError(ps)
		}
	}
	if err := contracts.ValidateValue(contracts.TypeRequestSubmitted, req); err != nil {
		var ve *contracts.ValidationError
		if errors.As(err, &ve) {
			return nil, problemsError(ve.Problems)
		}
		return nil, err
	}
	return &req, nil
}

func (f *submitFlags) apply(req *contracts.RequestSubmitted, cat *contracts.Catalogue) error {
	if req.RequestID == "" {
		id := uuid.Must(uuid.NewV7())
		req.RequestID = id.String()
		req.Reference = contracts.RandomReference(contracts.RequestReferencePrefix, id)
	}
	if req.SubmittedAt.IsZero() {
		req.SubmittedAt = time.Now().UTC().Truncate(time.Second)
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&req.ServiceCode, f.service)
	set(&req.Description, f.description)
	set(&req.AgentID, f.agent)
	if req.Language == "" || f.language != "ar" {
		req.Language = f.language
	}
	if req.Channel == "" || f.channel != "phone" {
		req.Channel = f.channel
	}
	if err := f.applyLocation(req); err != nil {
		return err
	}
	if f.first+f.last+f.phone+f.email != "" {
		if req.Caller == nil {
			req.Caller = &contracts.Caller{}
		}
		set(&req.Caller.FirstName, f.first)
		set(&req.Caller.LastName, f.last)
		set(&req.Caller.Phone, f.phone)
		set(&req.Caller.Email, f.email)
	}
	svc, _ := cat.Lookup(req.ServiceCode)
	for _, a := range f.attrs {
		code, value, ok := strings.Cut(a, "=")
		if !ok || code == "" {
			return usageErr("--attr %q: want code=value", a)
		}
		if req.Attributes == nil {
			req.Attributes = contracts.Attributes{}
		}
		req.Attributes[code] = typedValue(svc, code, value)
	}
	return nil
}

func (f *submitFlags) applyLocation(req *contracts.RequestSubmitted) error {
	if f.address == "" && f.lat == "" && f.long == "" {
		return nil
	}
	if req.Location == nil {
		req.Location = &contracts.Location{}
	}
	if f.address != "" {
		req.Location.Address = f.address
	}
	for _, c := range []struct {
		s   string
		dst **float64
		n   string
	}{{f.lat, &req.Location.Lat, "--lat"}, {f.long, &req.Location.Long, "--long"}} {
		if c.s == "" {
			continue
		}
		v, err := strconv.ParseFloat(c.s, 64)
		if err != nil {
			return usageErr("%s %q is not a number", c.n, c.s)
		}
		*c.dst = &v
	}
	return nil
}

// typedValue converts a flag's text to the attribute's datatype, so that
// "--attr floors=3" sends the number 3.
func typedValue(svc contracts.Service, code, value string) any {
	for _, a := range svc.Attributes {
		if a.Code != code {
			continue
		}
		switch a.Datatype {
		case contracts.DatatypeNumber:
			if n, err := strconv.ParseFloat(value, 64); err == nil {
				return n
			}
		case contracts.DatatypeMultiValueList:
			return strings.Split(value, ",")
		}
	}
	return value
}

func problemsError(ps []contracts.Problem) error {
	var b strings.Builder
	b.WriteString("the request is not valid:")
	for _, p := range ps {
		ptr := p.Pointer
		if ptr == "" {
			ptr = "(request)"
		}
		fmt.Fprintf(&b, "\n  %s: %s [%s]\n    %s", ptr, p.Message.EN, p.Code, p.Message.AR)
	}
	return usageErr("%s", b.String())
}

// awaitAnswer reads the contact centre's updates for a request until the
// broker has queued or rejected it.
func awaitAnswer(ctx context.Context, js jetstream.JetStream, rid string, wait time.Duration, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	c, err := js.OrderedConsumer(ctx, events.StreamCCUpdates, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"cc.update." + rid + ".>"}})
	if err != nil {
		return fmt.Errorf("read updates: %w", err)
	}
	for {
		msg, err := c.Next(jetstream.FetchContext(ctx))
		if err != nil {
			return fmt.Errorf("no answer from the broker within %s (is it running?): %w", wait, err)
		}
		switch msg.Headers().Get(events.HeaderType) {
		case contracts.TypeRequestStatus:
			var st contracts.RequestStatus
			if err := json.Unmarshal(msg.Data(), &st); err != nil {
				return err
			}
			fmt.Fprintf(w, "status      %s\nticket      %s (%s) on queue %s\n", st.Status, st.TicketReference, st.TicketID, st.Queue)
			if st.AckDueAt != nil {
				fmt.Fprintf(w, "ack due     %s\n", st.AckDueAt.Local().Format(time.RFC1123))
			}
			return nil
		case contracts.TypeRequestRejected:
			var rej contracts.RequestRejected
			if err := json.Unmarshal(msg.Data(), &rej); err != nil {
				return err
			}
			fmt.Fprintf(w, "status      rejected (%s)\nnotice      %s\n            %s\n", rej.ReasonCode, rej.Notice.EN, rej.Notice.AR)
			for _, p := range rej.Problems {
				fmt.Fprintf(w, "problem     %s: %s\n", p.Pointer, p.Message.EN)
			}
			return nil
		}
	}
}

type updateFlags struct {
	conn                                    connFlags
	ticket, status, cdCode, reason, officer string
	noteAR, noteEN, expected                string
	version                                 int
}

func runUpdate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f updateFlags
	fs := newFlagSet("update", "--ticket ID --version N --status STATUS [flags]", `Reports a Civil Defence status change for a ticket, as a Civil Defence
system would. Versions start at 1 and grow by one per change of a ticket;
'handoff show' prints the ticket's current version. Statuses: accepted,
in_progress, info_requested, resolved, closed, rejected.`)
	f.conn.register(fs, "cd-system")
	fs.StringVar(&f.ticket, "ticket", "", "ticket id")
	fs.IntVar(&f.version, "version", 0, "version of this change (current version + 1)")
	fs.StringVar(&f.status, "status", "", "new common status")
	fs.StringVar(&f.cdCode, "cd-code", "", "Civil Defence's internal status code (default: the status in upper case)")
	fs.StringVar(&f.reason, "reason", "", "reason code, required with --status rejected")
	fs.StringVar(&f.noteAR, "note-ar", "", "public note for the caller, in Arabic")
	fs.StringVar(&f.noteEN, "note-en", "", "public note for the caller, in English")
	fs.StringVar(&f.officer, "officer", "", "officer id")
	fs.StringVar(&f.expected, "expected-resolution", "", "expected resolution time, RFC 3339")
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ts, err := f.event()
	if err != nil {
		return err
	}
	js, closeFn, err := connectJS(f.conn, "handoff-update")
	if err != nil {
		return err
	}
	defer closeFn()
	pub, err := events.NewPublisher(js, "/civil-defence/cli")
	if err != nil {
		return err
	}
	p, err := pub.Publish(ctx, events.Outgoing{Type: contracts.TypeTicketStatus, Tokens: []string{ts.TicketID},
		Subject: ts.TicketID, CorrelationID: ts.TicketID, Payload: ts})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sent %s v%d for ticket %s (event %s)\n", ts.Status, ts.Version, ts.TicketID, p.ID)
	return nil
}

func (f *updateFlags) event() (*contracts.TicketStatus, error) {
	if f.ticket == "" || f.status == "" || f.version < 1 {
		return nil, usageErr("--ticket, --status and --version (1 or more) are required")
	}
	ts := &contracts.TicketStatus{TicketID: f.ticket, Version: f.version, Status: contracts.Status(f.status),
		CDStatusCode: f.cdCode, ReasonCode: f.reason, OfficerID: f.officer, ChangedAt: time.Now().UTC()}
	if ts.CDStatusCode == "" {
		ts.CDStatusCode = strings.ToUpper(f.status)
	}
	if f.noteAR != "" || f.noteEN != "" {
		if f.noteAR == "" || f.noteEN == "" {
			return nil, usageErr("a public note needs both --note-ar and --note-en")
		}
		ts.PublicNote = &contracts.Text{AR: f.noteAR, EN: f.noteEN}
	}
	if f.expected != "" {
		t, err := time.Parse(time.RFC3339, f.expected)
		if err != nil {
			return nil, usageErr("--expected-resolution: %v", err)
		}
		ts.ExpectedResolutionAt = &t
	}
	if err := contracts.ValidateValue(contracts.TypeTicketStatus, ts); err != nil {
		var ve *contracts.ValidationError
		if errors.As(err, &ve) {
			return nil, problemsError(ve.Problems)
		}
		return nil, err
	}
	return ts, nil
}

func runShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf connFlags
	var asJSON bool
	fs := newFlagSet("show", "[flags] <request id | ticket id | reference>", `Shows where a handoff stands and its history, read from the broker's
records. References may be typed as read out on the phone (cc7k3mq9p2).`)
	cf.register(fs, "console")
	fs.BoolVar(&asJSON, "json", false, "print the record as JSON")
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr("give one request id, ticket id or reference")
	}
	js, closeFn, err := connectJS(cf, "handoff-show")
	if err != nil {
		return err
	}
	defer closeFn()
	store, err := broker.NewStore(ctx, js, events.BucketHandoffs)
	if err != nil {
		return err
	}
	h, err := store.Find(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(h)
	}
	printHandoff(stdout, h)
	return nil
}

func printHandoff(w io.Writer, h *broker.Handoff) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	row("request", h.RequestID+"  "+h.RequestReference)
	row("service", h.ServiceCode)
	row("status", string(h.Status))
	if h.TicketID != "" {
		row("ticket", fmt.Sprintf("%s  %s  queue %s  priority %s  version %d", h.TicketID, h.TicketReference, h.Queue, h.Priority, h.TicketVersion))
	}
	if h.PublicNote != nil {
		row("note (en)", h.PublicNote.EN)
		row("note (ar)", h.PublicNote.AR)
	}
	if h.AckDueAt != nil {
		row("ack due", h.AckDueAt.Local().Format(time.RFC3339))
	}
	if h.ExpectedResolutionAt != nil {
		row("expected", h.ExpectedResolutionAt.Local().Format(time.RFC3339))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nhistory")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, e := range h.History {
		extra := ""
		if e.Version > 0 {
			extra = fmt.Sprintf("v%d", e.Version)
		}
		if e.ReasonCode != "" {
			extra += " " + e.ReasonCode
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", e.At.Local().Format("2006-01-02 15:04:05"), e.Event, e.Status, strings.TrimSpace(extra))
	}
	tw.Flush()
}

func connectJS(cf connFlags, name string) (jetstream.JetStream, func(), error) {
	creds, err := cf.credentials()
	if err != nil {
		return nil, nil, err
	}
	nc, err := events.Connect(name, creds, nil)
	if err != nil {
		return nil, nil, err
	}
	js, err := events.JetStream(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return js, func() { _ = nc.Drain() }, nil
}

func readFile(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(path)
}
