package events_test

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
)

// A contact-centre system publishes a request. The payload is checked
// against the contract before it leaves; the event id doubles as
// Nats-Msg-Id, so publishing the same Outgoing again is stored once.
func ExamplePublisher_Publish() {
	var js jetstream.JetStream // connected as the contact centre's user
	if js == nil {
		return
	}
	pub, err := events.NewPublisher(js, "/contact-centre/crm")
	if err != nil {
		panic(err)
	}
	rid := "01936f7e-8a2b-7cde-8f01-23456789abcd"
	_, err = pub.Publish(context.Background(), events.Outgoing{
		Type: contracts.TypeRequestSubmitted, Tokens: []string{rid}, Subject: rid, CorrelationID: rid,
		Payload: contracts.RequestSubmitted{RequestID: rid, Reference: "CC-7K3M-Q9P2", ServiceCode: "service_inquiry",
			SubmittedAt: time.Now().UTC(), Channel: "phone", Language: "ar",
			Attributes: contracts.Attributes{"inquiry_topic": "fees"}},
	})
	fmt.Println(err)
}

// A consumer runs a handler over a durable pull consumer; returning
// events.Permanent dead-letters the message with its reason.
func ExampleNewConsumer() {
	var js jetstream.JetStream // connected as the broker's user
	if js == nil {
		return
	}
	c, err := events.NewConsumer(js, events.ConsumerConfig{
		Stream: events.StreamCCRequests, Durable: "example", Origin: "broker",
		Types: []string{contracts.TypeRequestSubmitted},
	}, func(ctx context.Context, d *events.Delivery) error {
		fmt.Println("request", d.Subject, "delivery", d.NumDelivered)
		return nil
	})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = c.Run(ctx) // returns after draining when ctx ends
}

func ExampleSubject() {
	s, err := events.Subject(contracts.TypeTicketOpened, "licensing", "01936f7e-8a2b-7cde-8f01-23456789abcd")
	fmt.Println(s, err)
	_, err = events.Subject(contracts.TypeTicketOpened, "licensing.*", "x")
	fmt.Println(err != nil)
	// Output:
	// cd.ticket.licensing.01936f7e-8a2b-7cde-8f01-23456789abcd.opened <nil>
	// true
}
