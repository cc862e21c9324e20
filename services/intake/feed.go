package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sharjah-handoff/handoff/contracts"
	"github.com/sharjah-handoff/handoff/events"
)

// feedEvent is the data of one Server-Sent Event: a change to a request,
// in Open311's words plus the extension fields. Note carries the public
// note in both languages so that a page can show the caller's.
type feedEvent struct {
	Event            string         `json:"event"`
	ID               string         `json:"service_request_id"`
	Reference        string         `json:"reference,omitempty"`
	Status           string         `json:"status,omitempty"`
	StatusCode       string         `json:"status_code,omitempty"`
	StatusLabel      string         `json:"status_label,omitempty"`
	StatusNotes      string         `json:"status_notes"`
	Note             contracts.Text `json:"note"`
	CDStatusCode     string         `json:"cd_status_code,omitempty"`
	ReasonCode       string         `json:"reason_code,omitempty"`
	TicketReference  string         `json:"ticket_reference,omitempty"`
	Sequence         int            `json:"sequence,omitempty"`
	UpdatedDatetime  string         `json:"updated_datetime"`
	ExpectedDatetime string         `json:"expected_datetime,omitempty"`
	Overdue          *overdueOut    `json:"overdue,omitempty"`
}

// serveAPIFeed is GET /open311/v2/feed for API clients.
func (s *Service) serveAPIFeed(w http.ResponseWriter, r *http.Request) {
	c := &call{w: w, r: r, f: formatJSON, lang: langEN}
	lang, err := requestLang(r, langEN, false)
	if err != nil {
		s.fail(c, faultLang(r.URL.Query().Get("lang")))
		return
	}
	c.lang = lang
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		s.fail(c, faultMethod(r.Method))
		return
	}
	if _, ok := s.requireClient(c); !ok {
		return
	}
	rid, f := s.feedFilter(r.Context(), r.URL.Query().Get("service_request_id"))
	if f != nil {
		s.fail(c, *f)
		return
	}
	if f := s.serveFeed(w, r, lang, rid); f != nil {
		s.fail(c, *f)
	}
}

// feedFilter resolves the optional request a feed is limited to. A well
// formed id need not be in the view yet: its first update may be what the
// client waits for.
func (s *Service) feedFilter(ctx context.Context, idOrRef string) (string, *fault) {
	if idOrRef == "" {
		return "", nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ReadTimeout)
	defer cancel()
	if id, err := uuid.Parse(idOrRef); err == nil && id.String() == idOrRef {
		return idOrRef, nil
	}
	rec, err := s.view.find(ctx, idOrRef)
	if errors.Is(err, errNoRequest) {
		f := faultNotFound("service_request_id", idOrRef)
		return "", &f
	}
	if err != nil {
		f := faultUnavailable()
		return "", &f
	}
	return rec.RequestID, nil
}

// lastEventID is where a feed resumes: the Last-Event-ID header a
// reconnecting EventSource sends, or the last_event_id parameter a page
// uses for its first connection (0: from the start). Without either, the
// feed starts with the next change.
func lastEventID(r *http.Request) (after uint64, resume bool, f *fault) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("last_event_id")
	}
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		ft := newFault(http.StatusBadRequest, "Last-Event-ID", fmt.Sprintf("%q is not an event id (a stream sequence)", v),
			fmt.Sprintf("%q ليس معرف حدث صالحا", v))
		return 0, false, &ft
	}
	return n, true, nil
}

// serveFeed streams CC_UPDATES as Server-Sent Events. Each event's id is
// its stream sequence; a client that reconnects with Last-Event-ID gets
// exactly the events after it, from an ordered consumer starting at the
// next sequence. A fault is returned only before the stream starts.
func (s *Service) serveFeed(w http.ResponseWriter, r *http.Request, lang, rid string) *fault {
	after, resume, f := lastEventID(r)
	if f != nil {
		return f
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{"cc.update.>"}, DeliverPolicy: jetstream.DeliverNewPolicy}
	if rid != "" {
		cfg.FilterSubjects = []string{"cc.update." + rid + ".>"}
	}
	if resume {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, after+1
	}
	ctx := r.Context()
	if n := s.openFeeds.Add(1); n > int64(s.cfg.MaxFeeds) {
		s.openFeeds.Add(-1)
		s.log.WarnContext(ctx, "feed refused: too many open feeds", "max", s.cfg.MaxFeeds)
		f := newFault(http.StatusServiceUnavailable, "", "too many live feeds are open; try again shortly",
			"عدد كبير جدا من الاتصالات المباشرة مفتوح؛ أعد المحاولة بعد قليل")
		return &f
	}
	defer s.openFeeds.Add(-1)
	select {
	case <-s.feedsDone:
		f := newFault(http.StatusServiceUnavailable, "", "shutting down; reconnect shortly", "جارٍ الإيقاف؛ أعد الاتصال بعد قليل")
		return &f
	default:
	}
	cons, err := s.js.OrderedConsumer(ctx, events.StreamCCUpdates, cfg)
	if err != nil {
		s.log.WarnContext(ctx, "feed: ordered consumer", "err", err)
		f := faultUnavailable()
		return &f
	}
	it, err := cons.Messages()
	if err != nil {
		f := faultUnavailable()
		return &f
	}
	defer it.Stop()
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	s.metrics.feeds.Add(ctx, 1)
	defer s.metrics.feeds.Add(context.WithoutCancel(ctx), -1)
	s.stream(ctx, w, it, lang)
	return nil
}

// stream writes events until the client goes or the consumer stops.
func (s *Service) stream(ctx context.Context, w http.ResponseWriter, it jetstream.MessagesContext, lang string) {
	rc := http.NewResponseController(w)
	send := func(text string) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(2*s.cfg.FeedKeepAlive + 5*time.Second))
		if _, err := fmt.Fprint(w, text); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("retry: 2000\n: handoff request updates\n\n") {
		return
	}
	msgs := make(chan jetstream.Msg)
	go func() {
		defer close(msgs)
		for {
			m, err := it.Next()
			if err != nil {
				return
			}
			select {
			case msgs <- m:
			case <-ctx.Done():
				return
			}
		}
	}()
	keepAlive := time.NewTicker(s.cfg.FeedKeepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.feedsDone:
			return
		case <-keepAlive.C:
			if !send(": keep-alive\n\n") {
				return
			}
		case m, ok := <-msgs:
			if !ok {
				return
			}
			if text, ok := s.sseOf(m, lang); ok && !send(text) {
				return
			}
		}
	}
}

// sseOf renders one CC_UPDATES message as an SSE event. A message that is
// not a contract event is skipped.
func (s *Service) sseOf(m jetstream.Msg, lang string) (string, bool) {
	md, err := m.Metadata()
	if err != nil {
		return "", false
	}
	typ := m.Headers().Get(events.HeaderType)
	if contracts.Validate(typ, m.Data()) != nil {
		s.log.Warn("feed: skipping an event that breaks the contract", "seq", md.Sequence.Stream, "type", typ)
		return "", false
	}
	ev, ok := feedEventOf(typ, m.Data(), lang)
	if !ok {
		return "", false
	}
	data, _ := json.Marshal(ev)
	return fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n", md.Sequence.Stream, ev.Event, data), true
}

func feedEventOf(typ string, data []byte, lang string) (feedEvent, bool) {
	switch typ {
	case contracts.TypeRequestStatus:
		var st contracts.RequestStatus
		if json.Unmarshal(data, &st) != nil {
			return feedEvent{}, false
		}
		r := Record{Status: st.Status, PublicNote: st.PublicNote}
		return statusEvent("status", st.RequestID, st.RequestReference, st.Status, r.notes(), lang, feedEvent{
			CDStatusCode: st.CDStatusCode, ReasonCode: st.ReasonCode, TicketReference: st.TicketReference,
			Sequence: st.Sequence, UpdatedDatetime: w3cTime(st.ChangedAt), ExpectedDatetime: string(optionalTime(st.ExpectedResolutionAt))}), true
	case contracts.TypeRequestRejected:
		var rj contracts.RequestRejected
		if json.Unmarshal(data, &rj) != nil {
			return feedEvent{}, false
		}
		st := contracts.StatusRejected
		if rj.ReasonCode == contracts.ReasonHandoffFinished {
			st = "" // a refused amendment: the status itself did not change
		}
		return statusEvent("rejected", rj.RequestID, rj.RequestReference, st, rj.Notice, lang,
			feedEvent{ReasonCode: rj.ReasonCode, UpdatedDatetime: w3cTime(rj.RejectedAt)}), true
	case contracts.TypeRequestOverdue:
		var od contracts.RequestOverdue
		if json.Unmarshal(data, &od) != nil {
			return feedEvent{}, false
		}
		note := entryNotes(Entry{Kind: EntryOverdue})
		return statusEvent("overdue", od.RequestID, od.RequestReference, contracts.StatusQueued, note, lang,
			feedEvent{TicketReference: od.TicketReference, UpdatedDatetime: w3cTime(od.ReportedAt),
				Overdue: &overdueOut{AckDueDatetime: w3cTime(od.AckDueAt), OverdueSeconds: od.OverdueSeconds, ReportCount: od.ReportCount}}), true
	}
	return feedEvent{}, false
}

func statusEvent(kind, rid, ref string, st contracts.Status, note contracts.Text, lang string, ev feedEvent) feedEvent {
	ev.Event, ev.ID, ev.Reference, ev.Note, ev.StatusNotes = kind, rid, ref, note, note.In(lang)
	if st != "" {
		ev.Status, ev.StatusCode, ev.StatusLabel = openOrClosed(st), string(st), statusLabel(st).In(lang)
	}
	return ev
}
