package intake_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
	"github.com/sharjah-handoff/handoff/events/embedded"
	"github.com/sharjah-handoff/handoff/services/intake"
)

// Example runs an intake on an embedded NATS server and submits a request
// over Open311, as a contact-centre CRM would.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "intake-example")
	defer os.RemoveAll(dir)
	srv, err := embedded.Start(ctx, embedded.Config{Dir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Shutdown()
	if err := embedded.ProvisionAll(ctx, srv, events.StoreConfig{Replicas: 1}); err != nil {
		fmt.Println(err)
		return
	}
	nc, _ := srv.Connect("intake") // the intake's own NATS user, in the CC account
	defer nc.Close()
	js, _ := events.JetStream(nc)
	cat, _ := contracts.DefaultCatalogue()
	svc, err := intake.New(ctx, js, intake.Config{Catalogue: cat,
		APIKeys: []intake.APIKey{{Name: "crm", Key: "example-key-0123456789"}},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Println(err)
		return
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = svc.Run(runCtx) }() // the request view
	web := httptest.NewServer(svc.Handler())
	defer web.Close()

	res, err := http.PostForm(web.URL+"/open311/v2/requests.json", url.Values{
		"api_key": {"example-key-0123456789"}, "service_code": {"feedback"},
		"attribute[feedback_type]": {"compliment"}, "description": {"The agent was very helpful."}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Body.Close()
	var created []struct {
		ID     string `json:"service_request_id"`
		Notice string `json:"service_notice"`
	}
	_ = json.NewDecoder(res.Body).Decode(&created)
	fmt.Println(res.StatusCode, len(created[0].ID), created[0].Notice)
	// Output: 201 36 Civil Defence acknowledges requests for Suggestion or complaint within 2 days and aims to complete them within 10 days.
}
