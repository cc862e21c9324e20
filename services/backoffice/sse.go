package backoffice

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// shutdownHooks ends live streams when the HTTP server serving them shuts
// down. http.Server.Shutdown waits for active requests, and a live stream
// never ends by itself; the handler cannot reach the server except through
// the request, so it registers one hook per server on first use.
type shutdownHooks struct {
	mu   sync.Mutex
	done map[*http.Server]chan struct{}
}

func (h *shutdownHooks) of(r *http.Request) <-chan struct{} {
	srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server)
	if !ok {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done == nil {
		h.done = map[*http.Server]chan struct{}{}
	}
	ch, ok := h.done[srv]
	if !ok {
		ch = make(chan struct{})
		h.done[srv] = ch
		srv.RegisterOnShutdown(func() { close(ch) })
	}
	return ch
}

const (
	heartbeat    = 20 * time.Second
	writeTimeout = 10 * time.Second
)

// serveEvents streams Server-Sent Events: one "ticket" event per change of
// a ticket on the officer's queues, as JSON (see Change). A comment every
// 20 s keeps proxies from closing an idle stream.
func (s *Service) serveEvents(w http.ResponseWriter, r *http.Request, who identity) {
	rc := http.NewResponseController(w)
	// Each write gets its own deadline: a client that stops reading must
	// not hold this handler, or a graceful shutdown, forever.
	deadline := func() { _ = rc.SetWriteDeadline(time.Now().Add(writeTimeout)) }
	deadline()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	changes, stop := s.view.subscribe()
	defer stop()
	fmt.Fprint(w, "retry: 2000\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	shutdown := s.shutdowns.of(r)
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		case <-shutdown:
			return
		case <-tick.C:
			deadline()
			fmt.Fprint(w, ": ping\n\n")
		case c := <-changes:
			if c.Kind != kindResync && !who.officer.CanSee(c.Queue) {
				continue
			}
			deadline()
			data, _ := json.Marshal(c)
			fmt.Fprintf(w, "event: ticket\ndata: %s\n\n", data)
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
