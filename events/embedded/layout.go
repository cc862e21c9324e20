package embedded

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sharjah-handoff/handoff/events"
)

// System is one client of NATS: a service or an outside system, connecting
// as its own user in its agency's account with the narrowest permissions
// that let it do its job.
type System struct {
	User    string
	Account string
	Purpose string
	// Publish and Subscribe are plain subjects this system may use.
	Publish   []string
	Subscribe []string
	// Consume lists streams it may create durable consumers on and read.
	Consume []string
	// Read lists streams it may read (message get, ordered consumers).
	Read []string
	// Buckets it may read and write; ReadBuckets it may only read.
	Buckets     []string
	ReadBuckets []string
	// Admin may do anything inside its account (provisioning).
	Admin bool
}

// InboxPrefix is the per-user inbox prefix: replies to one system can never
// be read by another.
func (s System) InboxPrefix() string { return events.DefaultInboxPrefix(s.User) }

// Systems is the layout of DESIGN.md: three accounts, one user per system.
func Systems() []System {
	return []System{
		{User: "broker-admin", Account: events.AccountBroker, Purpose: "provisions the broker's streams and buckets", Admin: true},
		{User: "broker", Account: events.AccountBroker, Purpose: "the handoff broker",
			Publish: []string{"cd.ticket.>", "cc.update.>", "handoff.dlq.broker.>"},
			Consume: []string{events.StreamCCRequests, events.StreamCDUpdates},
			Buckets: []string{events.BucketHandoffs, events.BucketSLA}},
		{User: "console", Account: events.AccountBroker, Purpose: "operators: trace flows, replay dead letters",
			Publish:     []string{"cc.request.>", "cd.update.>"},
			Read:        []string{events.StreamCCRequests, events.StreamCDUpdates, events.StreamDeadLetter},
			ReadBuckets: []string{events.BucketHandoffs, events.BucketSLA}},

		{User: "cc-admin", Account: events.AccountCC, Purpose: "provisions the contact centre's stream and buckets", Admin: true},
		{User: "intake", Account: events.AccountCC, Purpose: "the Open311 intake and request view",
			Publish: []string{"cc.request.>", "handoff.dlq.cc.>"},
			Consume: []string{events.StreamCCUpdates},
			Buckets: []string{events.BucketRequestView, events.BucketIdempotency}},
		{User: "agent", Account: events.AccountCC, Purpose: "contact-centre agents' tools and CRM",
			Publish:     []string{"cc.request.>"},
			Read:        []string{events.StreamCCUpdates},
			ReadBuckets: []string{events.BucketRequestView}},

		{User: "cd-admin", Account: events.AccountCD, Purpose: "provisions Civil Defence's stream and bucket", Admin: true},
		{User: "backoffice", Account: events.AccountCD, Purpose: "the Civil Defence back office",
			Publish: []string{"cd.update.>", "handoff.dlq.cd.>"},
			Consume: []string{events.StreamCDTickets},
			Buckets: []string{events.BucketTicketStore}},
		{User: "cd-system", Account: events.AccountCD, Purpose: "Civil Defence's own systems and officers' tools",
			Publish: []string{"cd.update.>", "handoff.dlq.cd.>"},
			Consume: []string{events.StreamCDTickets}},
	}
}

// SystemByUser finds a system of the layout.
func SystemByUser(user string) (System, bool) {
	for _, s := range Systems() {
		if s.User == user {
			return s, true
		}
	}
	return System{}, false
}

// permissions expands a system's grants into NATS subjects.
func (s System) permissions() (pub, sub []string) {
	if s.Admin {
		return []string{">"}, []string{">"}
	}
	pub = append(pub, s.Publish...)
	pub = append(pub, "$JS.API.INFO")
	sub = append(sub, s.Subscribe...)
	sub = append(sub, s.InboxPrefix()+".>")
	for _, st := range s.Consume {
		pub = append(pub, "$JS.API.STREAM.INFO."+st, "$JS.API.CONSUMER.*."+st+".>",
			"$JS.API.CONSUMER.MSG.NEXT."+st+".*", "$JS.ACK."+st+".>")
	}
	for _, st := range s.Read {
		pub = append(pub, readStream(st)...)
	}
	for _, b := range s.Buckets {
		pub = append(pub, readStream("KV_"+b)...)
		pub = append(pub, "$KV."+b+".>")
	}
	for _, b := range s.ReadBuckets {
		pub = append(pub, readStream("KV_"+b)...)
	}
	return pub, sub
}

// readStream grants what reading a stream takes: info, direct and message
// get, and ordered (ephemeral) consumers with their flow control.
func readStream(st string) []string {
	return []string{"$JS.API.STREAM.INFO." + st, "$JS.API.STREAM.MSG.GET." + st, "$JS.API.DIRECT.GET." + st,
		"$JS.API.DIRECT.GET." + st + ".>", "$JS.API.CONSUMER.CREATE." + st + ".>", "$JS.API.CONSUMER.DELETE." + st + ".>",
		"$JS.API.CONSUMER.INFO." + st + ".>", "$JS.API.CONSUMER.MSG.NEXT." + st + ".*", "$JS.FC." + st + ".>", "$JS.ACK." + st + ".>"}
}

// Password returns the password of a user as it must appear in the
// configuration: a quoted string, or an unquoted $VARIABLE that
// nats-server resolves from the environment.
type Password func(user string) string

// AccountsConfig renders the accounts block of a nats-server configuration:
// the three agency accounts with their users, the service exports and
// imports that join them, and a system account. There is no default
// account: every client must log in as a system of the layout.
func AccountsConfig(pw Password) string {
	var b strings.Builder
	b.WriteString("accounts {\n")
	for _, acc := range []string{events.AccountBroker, events.AccountCC, events.AccountCD} {
		fmt.Fprintf(&b, "  %s {\n    jetstream: enabled\n    users: [\n", acc)
		for _, s := range Systems() {
			if s.Account == acc {
				pub, sub := s.permissions()
				fmt.Fprintf(&b, "      {user: %q, password: %s, permissions: {publish: {allow: %s}, subscribe: {allow: %s}}}\n",
					s.User, pw(s.User), list(pub), list(sub))
			}
		}
		b.WriteString("    ]\n")
		b.WriteString(exportsImports(acc))
		b.WriteString("  }\n")
	}
	fmt.Fprintf(&b, "  SYS {\n    users: [{user: \"sys\", password: %s}]\n  }\n}\nsystem_account: SYS\n", pw("sys"))
	return b.String()
}

// exportsImports joins the accounts as in DESIGN.md: each agency's
// messages to the other go through the broker, and each stream lives in the
// account of the side it is addressed to.
func exportsImports(acc string) string {
	switch acc {
	case events.AccountBroker:
		return `    exports: [
      {service: "cc.request.>", accounts: [CC]}
      {service: "cd.update.>", accounts: [CD]}
      {service: "handoff.dlq.cc.>", accounts: [CC]}
      {service: "handoff.dlq.cd.>", accounts: [CD]}
    ]
    imports: [
      {service: {account: CD, subject: "cd.ticket.>"}}
      {service: {account: CC, subject: "cc.update.>"}}
    ]
`
	case events.AccountCC:
		return `    exports: [{service: "cc.update.>", accounts: [BROKER]}]
    imports: [
      {service: {account: BROKER, subject: "cc.request.>"}}
      {service: {account: BROKER, subject: "handoff.dlq.cc.>"}}
    ]
`
	case events.AccountCD:
		return `    exports: [{service: "cd.ticket.>", accounts: [BROKER]}]
    imports: [
      {service: {account: BROKER, subject: "cd.update.>"}}
      {service: {account: BROKER, subject: "handoff.dlq.cd.>"}}
    ]
`
	}
	return ""
}

func list(subjects []string) string {
	sort.Strings(subjects)
	q := make([]string, len(subjects))
	for i, s := range subjects {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
