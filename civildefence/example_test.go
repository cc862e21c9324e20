package civildefence_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os/signal"
	"sync"
	"syscall"

	"github.com/sharjah-handoff/handoff/civildefence"
	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
)

// A Civil Defence system takes tickets from its queues and acknowledges
// each one as it is filed. It keeps each ticket's state (here in memory;
// a real system in its own database) so that every report carries the
// next version and continues the ticket's trace.
func Example() {
	nc, err := events.Connect("inspections-system", events.Credentials{
		URL: "nats://nats.cd.example:4222", User: "cd-system", Password: "…"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Drain()
	js, err := events.JetStream(nc)
	if err != nil {
		log.Fatal(err)
	}
	client, err := civildefence.New(js, civildefence.Config{Name: "inspections-system", Source: "/civil-defence/inspections"})
	if err != nil {
		log.Fatal(err)
	}

	var mu sync.Mutex
	tickets := map[string]*civildefence.Ticket{}
	handler := civildefence.Handlers{
		OnOpened: func(ctx context.Context, m civildefence.Meta, t contracts.TicketOpened) error {
			mu.Lock()
			defer mu.Unlock()
			if _, seen := tickets[t.TicketID]; seen {
				return nil // redelivered: already filed
			}
			tk := civildefence.NewTicket(m, t)
			u, err := tk.Next(contracts.StatusAccepted)
			if err != nil {
				return events.Permanent("illegal_transition", err)
			}
			u.CDStatusCode, u.OfficerID = "INSP_FILED", "inspections-desk"
			if _, err := client.Report(ctx, u); err != nil {
				return err // retried later; an unconfirmed report is sent again with the same event id
			}
			tk.Apply(u)
			tickets[t.TicketID] = &tk
			return nil
		},
		OnCancelled: func(_ context.Context, _ civildefence.Meta, c contracts.TicketCancelled) error {
			mu.Lock()
			defer mu.Unlock()
			if tk, ok := tickets[c.TicketID]; ok {
				tk.Cancel()
			}
			return nil
		},
		OnRefused: func(_ context.Context, _ civildefence.Meta, r contracts.TicketRefused) error {
			mu.Lock()
			defer mu.Unlock()
			if tk, ok := tickets[r.TicketID]; ok {
				tk.Refuse(r) // the refused version is free again
			}
			return nil
		},
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := client.Consume(ctx, handler, "inspections"); err != nil {
		log.Fatal(err)
	}
}

// Ticket.Next gives the update with the next version, and refuses a change
// the shared state machine forbids before anything is sent.
func ExampleTicket_Next() {
	tk := civildefence.Ticket{ID: "0198c1a2-7f00-7c3e-9d1a-2b3c4d5e6f70", RequestID: "0198c1a2-7e00-7c3e-9d1a-2b3c4d5e6f70",
		Queue: "complaints", Status: contracts.StatusQueued}

	u, _ := tk.Next(contracts.StatusAccepted)
	u.CDStatusCode = "HAZ_ASSIGNED"
	tk.Apply(u) // after client.Report(ctx, u) succeeded
	fmt.Println(u.Version, u.Status)

	u, _ = tk.Next(contracts.StatusInfoRequested)
	u.CDStatusCode = "HAZ_NEED_PHOTO"
	u.PublicNote = &contracts.Text{AR: "هل يمكنك إرسال صورة لمخرج الطوارئ المغلق؟", EN: "Can you send a photo of the blocked exit?"}
	tk.Apply(u)
	fmt.Println(u.Version, u.Status)

	_, err := tk.Next(contracts.StatusClosed)
	fmt.Println(errors.Is(err, civildefence.ErrTransition))
	fmt.Println(civildefence.NextStatuses(tk.Status))
	// Output:
	// 1 accepted
	// 2 info_requested
	// true
	// [in_progress]
}
