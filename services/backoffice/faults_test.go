package backoffice_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
	"github.com/sharjah-handoff/handoff/internal/natstest"
	"github.com/sharjah-handoff/handoff/services/backoffice"
)

func TestContractBreakingTicketIsDeadLetteredAndFilingGoesOn(t *testing.T) {
	o := newOffice(t, nil)
	_, bjs := natstest.Connect(t, o.s, "broker")
	bad := ticketFor("licensing", "no_objection_certificate")
	m := nats.NewMsg("cd.ticket.licensing." + bad.TicketID + ".opened")
	events.Envelope{ID: "garbage-1", Source: "/rogue", Type: contracts.TypeTicketOpened, Time: time.Now(),
		CorrelationID: bad.RequestID}.Header(m.Header)
	m.Data = []byte(`{"ticket_id": "` + bad.TicketID + `", "queue": "licensing"}`) // most fields missing
	if _, err := bjs.PublishMsg(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	good := o.open("licensing")

	var dls []events.DeadLetter
	eventually(t, func() error {
		dls = dls[:0]
		for _, msg := range natstest.StreamMessages(t, o.s, events.StreamDeadLetter, "handoff.dlq.cd.>") {
			dl, err := events.ReadDeadLetter(msg.Data)
			if err != nil {
				return err
			}
			dls = append(dls, dl)
		}
		if len(dls) != 1 {
			return fmt.Errorf("%d dead letters", len(dls))
		}
		return nil
	})
	if dls[0].Reason != events.ReasonSchema || len(dls[0].Problems) == 0 || dls[0].Consumer != "backoffice-licensing" {
		t.Fatalf("dead letter: %+v", dls[0])
	}
	if _, _, err := o.svc.Store().Get(context.Background(), bad.TicketID); !errors.Is(err, backoffice.ErrNotFound) {
		t.Fatalf("the broken ticket was filed: %v", err)
	}
	if o.record(good.TicketID).Status != contracts.StatusQueued {
		t.Fatal("the good ticket after it was not filed")
	}
}

func TestNATSRestartConsumersResumeAndActionsFailCleanly(t *testing.T) {
	dir, addr := t.TempDir(), natstest.FreeAddr(t)
	s := natstest.StartAt(t, dir, addr)
	o := officeOn(t, s, nil)
	first := o.open("licensing")

	s.Shutdown()
	eventually(t, func() error {
		r := o.act(first.TicketID, "accept", "lic-1", nil)
		if r.status != http.StatusServiceUnavailable || r.errorCode() != "nats_unavailable" {
			return fmt.Errorf("accept while NATS is down: %d %s", r.status, r.raw)
		}
		return nil
	})

	s = natstest.StartAt(t, dir, addr)
	o.s = s
	second := ticketFor("licensing", "no_objection_certificate")
	eventually(t, func() error { // the broker's connection may still be reconnecting
		_, err := o.broker.Publish(context.Background(), events.Outgoing{Type: contracts.TypeTicketOpened,
			Tokens: []string{"licensing", second.TicketID}, ID: "second-" + second.TicketID, Subject: second.TicketID,
			CorrelationID: second.RequestID, Payload: second})
		return err
	})
	o.waitRecord(second.TicketID, func(*backoffice.Record) bool { return true })
	if rec := o.record(first.TicketID); rec.Version != 0 || rec.Pending != nil || rec.Status != contracts.StatusQueued {
		t.Fatalf("the failed action changed the ticket: %+v", rec)
	}
	eventually(t, func() error {
		r := o.act(first.TicketID, "accept", "lic-1", nil)
		if r.status != http.StatusOK || r.body["version"] != 1.0 {
			return fmt.Errorf("accept after the restart: %d %s", r.status, r.raw)
		}
		return nil
	})
	// The view follows the store again: the new ticket shows in the queue.
	natstest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
		q := o.call(http.MethodGet, "/queues", "lic-1", nil).body["queues"].([]any)[0].(map[string]any)
		if q["depth"] != 2.0 || q["by_status"].(map[string]any)["accepted"] != 1.0 {
			return fmt.Errorf("licensing after restart: %v", q)
		}
		return nil
	})
}
