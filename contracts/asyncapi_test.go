package contracts_test

import (
	"io/fs"
	"path"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/sharjah-handoff/handoff/contracts"
)

// asyncAPI is the part of asyncapi.yaml the Go side depends on.
type asyncAPI struct {
	AsyncAPI string `yaml:"asyncapi"`
	Channels map[string]struct {
		Address  string         `yaml:"address"`
		Stream   string         `yaml:"x-stream"`
		Account  string         `yaml:"x-account"`
		Messages map[string]ref `yaml:"messages"`
	} `yaml:"channels"`
	Operations map[string]struct {
		Action   string `yaml:"action"`
		Channel  ref    `yaml:"channel"`
		Party    string `yaml:"x-party"`
		Consumer *struct {
			AckPolicy  string   `yaml:"ack_policy"`
			MaxDeliver int      `yaml:"max_deliver"`
			Backoff    []string `yaml:"backoff"`
		} `yaml:"x-consumer"`
	} `yaml:"operations"`
	Components struct {
		Messages map[string]struct {
			EventType string `yaml:"x-event-type"`
			Payload   ref    `yaml:"payload"`
			Headers   struct {
				AllOf []struct {
					Ref        string `yaml:"$ref"`
					Properties map[string]struct {
						Const string `yaml:"const"`
					} `yaml:"properties"`
				} `yaml:"allOf"`
			} `yaml:"headers"`
		} `yaml:"messages"`
	} `yaml:"components"`
	Streams map[string]struct {
		Account      string   `yaml:"account"`
		Subjects     []string `yaml:"subjects"`
		Storage      string   `yaml:"storage"`
		MaxMsgSize   int      `yaml:"max_msg_size"`
		DenyDelete   bool     `yaml:"deny_delete"`
		DenyPurge    bool     `yaml:"deny_purge"`
		Duplicates   string   `yaml:"duplicate_window"`
		AllowRollups bool     `yaml:"allow_rollup_hdrs"`
	} `yaml:"x-streams"`
}

type ref struct {
	Ref string `yaml:"$ref"`
}

func loadAsyncAPI(t *testing.T) asyncAPI {
	t.Helper()
	var doc asyncAPI
	if err := yaml.Unmarshal(readFile(t, contracts.AsyncAPIFile), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.AsyncAPI != "3.0.0" {
		t.Fatalf("asyncapi version %q", doc.AsyncAPI)
	}
	return doc
}

// route is where each event type travels, as DESIGN.md's table says.
var routes = map[string]struct{ address, stream, account, from, to string }{
	contracts.TypeRequestSubmitted: {"cc.request.{requestId}.submitted", "CC_REQUESTS", "BROKER", "contact-centre", "broker"},
	contracts.TypeRequestAmended:   {"cc.request.{requestId}.amended", "CC_REQUESTS", "BROKER", "contact-centre", "broker"},
	contracts.TypeRequestCancelled: {"cc.request.{requestId}.cancelled", "CC_REQUESTS", "BROKER", "contact-centre", "broker"},
	contracts.TypeTicketOpened:     {"cd.ticket.{queue}.{ticketId}.opened", "CD_TICKETS", "CD", "broker", "civil-defence"},
	contracts.TypeTicketAmended:    {"cd.ticket.{queue}.{ticketId}.amended", "CD_TICKETS", "CD", "broker", "civil-defence"},
	contracts.TypeTicketCancelled:  {"cd.ticket.{queue}.{ticketId}.cancelled", "CD_TICKETS", "CD", "broker", "civil-defence"},
	contracts.TypeTicketRefused:    {"cd.ticket.{queue}.{ticketId}.refused", "CD_TICKETS", "CD", "broker", "civil-defence"},
	contracts.TypeTicketStatus:     {"cd.update.{ticketId}.status", "CD_UPDATES", "BROKER", "civil-defence", "broker"},
	contracts.TypeRequestStatus:    {"cc.update.{requestId}.status", "CC_UPDATES", "CC", "broker", "contact-centre"},
	contracts.TypeRequestRejected:  {"cc.update.{requestId}.rejected", "CC_UPDATES", "CC", "broker", "contact-centre"},
	contracts.TypeRequestOverdue:   {"cc.update.{requestId}.overdue", "CC_UPDATES", "CC", "broker", "contact-centre"},
}

// Every event type has exactly one message whose payload is its schema file,
// and every message with an event type is one the Go side knows.
func TestAsyncAPIMessagesMatchEventTypes(t *testing.T) {
	doc := loadAsyncAPI(t)
	found := map[string]string{}
	for name, m := range doc.Components.Messages {
		if m.EventType == "" {
			continue // the dead letter record is not an event type
		}
		if !contracts.KnownEventType(m.EventType) {
			t.Errorf("message %s: unknown event type %q", name, m.EventType)
			continue
		}
		if other, dup := found[m.EventType]; dup {
			t.Errorf("%s has two messages: %s and %s", m.EventType, other, name)
		}
		found[m.EventType] = name
		want := "./" + contracts.SchemaPath(m.EventType)
		if m.Payload.Ref != want {
			t.Errorf("message %s: payload $ref %q, want %q", name, m.Payload.Ref, want)
		}
		if _, err := fs.Stat(contracts.Files(), path.Clean(m.Payload.Ref)); err != nil {
			t.Errorf("message %s: payload schema: %v", name, err)
		}
		checkHeaders(t, name, m.EventType, m.Headers.AllOf)
	}
	for _, typ := range contracts.EventTypes {
		if found[typ] == "" {
			t.Errorf("no AsyncAPI message for %s", typ)
		}
	}
}

func checkHeaders(t *testing.T, name, eventType string, allOf []struct {
	Ref        string `yaml:"$ref"`
	Properties map[string]struct {
		Const string `yaml:"const"`
	} `yaml:"properties"`
}) {
	t.Helper()
	if len(allOf) != 2 || allOf[0].Ref != "#/components/schemas/CloudEventsHeaders" {
		t.Errorf("message %s: headers must be the CloudEvents headers plus the fixed type", name)
		return
	}
	props := allOf[1].Properties
	if props["ce-type"].Const != eventType || props["ce-dataschema"].Const != contracts.SchemaURI(eventType) {
		t.Errorf("message %s: ce-type %q, ce-dataschema %q", name, props["ce-type"].Const, props["ce-dataschema"].Const)
	}
}

// Each event's channel has DESIGN.md's subject, stream and account, one party
// sends it and the other receives it with a durable, explicitly acked consumer.
func TestAsyncAPIChannelsAndOperations(t *testing.T) {
	doc := loadAsyncAPI(t)
	for name, m := range doc.Components.Messages {
		r, ok := routes[m.EventType]
		if !ok {
			continue
		}
		channelID := channelOf(doc, name)
		ch := doc.Channels[channelID]
		if ch.Address != r.address || ch.Stream != r.stream || ch.Account != r.account {
			t.Errorf("%s: channel %q address %q stream %q account %q, want %q %q %q",
				m.EventType, channelID, ch.Address, ch.Stream, ch.Account, r.address, r.stream, r.account)
		}
		parties := map[string]string{}
		for opName, op := range doc.Operations {
			if op.Channel.Ref != "#/channels/"+channelID {
				continue
			}
			parties[op.Action] = op.Party
			if op.Action == "receive" && (op.Consumer == nil || op.Consumer.AckPolicy != "explicit" ||
				op.Consumer.MaxDeliver != 10 || strings.Join(op.Consumer.Backoff, ",") != "1s,5s,30s,2m") {
				t.Errorf("operation %s: consumer settings %+v", opName, op.Consumer)
			}
		}
		if parties["send"] != r.from || parties["receive"] != r.to {
			t.Errorf("%s: sent by %q, received by %q; want %s -> %s", m.EventType, parties["send"], parties["receive"], r.from, r.to)
		}
	}
}

func channelOf(doc asyncAPI, message string) string {
	for id, ch := range doc.Channels {
		for _, r := range ch.Messages {
			if r.Ref == "#/components/messages/"+message {
				return id
			}
		}
	}
	return ""
}

func TestAsyncAPIStreams(t *testing.T) {
	doc := loadAsyncAPI(t)
	for _, name := range []string{"CC_REQUESTS", "CD_TICKETS", "CD_UPDATES", "CC_UPDATES", "HANDOFF_DLQ"} {
		s, ok := doc.Streams[name]
		switch {
		case !ok:
			t.Errorf("no x-streams entry for %s", name)
		case s.Storage != "file" || !s.DenyDelete || !s.DenyPurge || s.AllowRollups:
			t.Errorf("%s: storage %q deny_delete %v deny_purge %v rollups %v", name, s.Storage, s.DenyDelete, s.DenyPurge, s.AllowRollups)
		case s.MaxMsgSize != 256*1024:
			t.Errorf("%s: max_msg_size %d", name, s.MaxMsgSize)
		}
	}
	for _, name := range []string{"CC_REQUESTS", "CD_UPDATES"} {
		if d := doc.Streams[name].Duplicates; d != "2m" {
			t.Errorf("%s: duplicate window %q, want 2m", name, d)
		}
	}
	if dlq := doc.Streams["HANDOFF_DLQ"]; dlq.Account != "BROKER" || len(dlq.Subjects) != 1 || dlq.Subjects[0] != "handoff.dlq.>" {
		t.Errorf("HANDOFF_DLQ: %+v", dlq)
	}
}
