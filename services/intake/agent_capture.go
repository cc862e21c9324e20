package intake

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/sharjah-handoff/handoff/contracts"
)

// captureData is the capture form: one field per question, with what the
// agent typed and what is wrong with it.
type captureData struct {
	Service      contracts.Service
	Emergency    bool
	Notice       contracts.Text
	Errors       []string
	Attributes   []fieldView
	Details      []fieldView
	Location     []fieldView
	Caller       []fieldView
	LocationNote []string
	SubmissionID string
	CallerLang   string
	Channel      string
	Channels     []string
}

// fieldView is one form field. Kind is an input type, or textarea, select,
// checkboxes, or info (a read-only attribute).
type fieldView struct {
	Name, ID, Label, Help, Kind, Value, Dir string
	Required                                bool
	MaxLength                               int
	Options                                 []option
	Errors                                  []string
}

type option struct {
	Key, Label string
	Selected   bool
}

var channels = []string{"phone", "walk_in", "email", "web"}

// agentService finds a service an agent may capture: any active one,
// staff-only included.
func (s *Service) agentService(code string) (contracts.Service, bool) {
	svc, ok := s.cfg.Catalogue.Lookup(code)
	return svc, ok && svc.Active
}

func (s *Service) captureForm(a *agentCall) {
	svc, ok := s.agentService(a.r.PathValue("code"))
	if !ok {
		s.homeWithMessage(a, http.StatusNotFound, "not_offered")
		return
	}
	d := s.captureView(a, svc, url.Values{"language": {a.lang}, "channel": {"phone"}}, nil)
	d.SubmissionID = randomToken()
	s.render(a.w, http.StatusOK, pageCapture, newPage(a.r, a.lang, a, "home", d))
}

// capture checks and submits the form with the API's rules. The hidden
// submission id is the Idempotency-Key: a double click or a resent form
// makes one request.
func (s *Service) capture(a *agentCall) {
	ctx, span := s.tracer.Start(a.r.Context(), "capture request", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.route", "/agent/capture/{code}"), attribute.String("handoff.channel", "agent")))
	defer span.End()
	outcome := s.captureSubmit(a.withContext(ctx))
	span.SetAttributes(attribute.String("handoff.outcome", outcome))
	s.metrics.submissions.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", outcome), attribute.String("channel", "agent")))
}

func (a *agentCall) withContext(ctx context.Context) *agentCall {
	b := *a
	b.r = a.r.WithContext(ctx)
	return &b
}

func (s *Service) captureSubmit(a *agentCall) string {
	svc, ok := s.agentService(a.r.PathValue("code"))
	if !ok {
		s.homeWithMessage(a, http.StatusNotFound, "not_offered")
		return "invalid"
	}
	body, _ := io.ReadAll(a.r.Body)
	sub, rest, faults := parseForm(body, "csrf", "submission_id", "language", "channel")
	if sub == nil {
		sub = &submission{Attributes: map[string]any{}}
	}
	sub.ServiceCode = svc.Code
	faults = append(faults, agentChoices(sub, rest)...)
	localDatetimes(svc, sub.Attributes)
	d, emergency, more := s.check(sub, a.client(), a.lang)
	faults = append(faults, more...)
	vals, _ := url.ParseQuery(string(body))
	if emergency != nil || len(faults) > 0 {
		s.renderCapture(a, svc, vals, faults, http.StatusUnprocessableEntity)
		return "invalid"
	}
	var idem *idemKey
	if sid := rest.Get("submission_id"); validIdempotencyKey(sid) {
		k := newIdemKey("agent:"+a.agent.ID, sid, body)
		idem = &k
	}
	rc, err := s.submit(a.r.Context(), d, idem)
	switch {
	case errors.Is(err, errIdempotencyMismatch):
		s.renderCapture(a, svc, vals, faultList{{Status: http.StatusUnprocessableEntity, Message: uiText["already_sent"]}}, http.StatusUnprocessableEntity)
		return "invalid"
	case err != nil:
		s.log.WarnContext(a.r.Context(), "agent capture not stored", "err", err)
		s.renderCapture(a, svc, vals, faultList{{Status: http.StatusServiceUnavailable, Message: uiText["unavailable"]}}, http.StatusServiceUnavailable)
		return "unavailable"
	}
	outcome := "replayed"
	if rc.replay == nil {
		outcome = "submitted"
		s.log.InfoContext(a.r.Context(), "request captured", "request_id", rc.RequestID, "service_code", svc.Code, "agent_id", a.agent.ID)
		if idem != nil {
			if err := s.idem.complete(a.r.Context(), *idem, rc.entry); err != nil {
				s.log.WarnContext(a.r.Context(), "idempotency entry not completed", "request_id", rc.RequestID, "err", err)
			}
		}
	}
	http.Redirect(a.w, a.r, agentPath+"requests/"+rc.Reference+"?new=1", http.StatusSeeOther)
	return outcome
}

// agentChoices reads the form's caller language and channel.
func agentChoices(sub *submission, rest url.Values) faultList {
	var faults faultList
	switch l := rest.Get("language"); l {
	case langAR, langEN:
		sub.Language = l
	default:
		faults = append(faults, newFault(http.StatusBadRequest, "language", "choose Arabic or English", "اختر العربية أو الإنجليزية"))
	}
	if ch := rest.Get("channel"); slices.Contains(channels, ch) {
		sub.Channel = ch
	} else {
		faults = append(faults, newFault(http.StatusBadRequest, "channel", "choose a channel", "اختر قناة التواصل"))
	}
	return faults
}

// localDatetimes turns a browser's datetime-local value (Sharjah time,
// without an offset) into the RFC 3339 date-time the catalogue asks for.
func localDatetimes(svc contracts.Service, attrs map[string]any) {
	for _, a := range svc.Attributes {
		v, ok := attrs[a.Code].(string)
		if !ok || a.Datatype != contracts.DatatypeDatetime {
			continue
		}
		for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
			if t, err := time.ParseInLocation(layout, v, gulf); err == nil {
				attrs[a.Code] = t.Format(time.RFC3339)
				break
			}
		}
	}
}

func (s *Service) renderCapture(a *agentCall, svc contracts.Service, vals url.Values, faults faultList, status int) {
	d := s.captureView(a, svc, vals, faults)
	d.SubmissionID = vals.Get("submission_id")
	s.render(a.w, status, pageCapture, newPage(a.r, a.lang, a, "home", d))
}

// captureView lays out the form of a service.
func (s *Service) captureView(a *agentCall, svc contracts.Service, vals url.Values, faults faultList) captureData {
	l := labels{a.lang}
	d := captureData{Service: svc, Emergency: svc.Emergency, CallerLang: vals.Get("language"), Channel: vals.Get("channel"), Channels: channels}
	if svc.Notice != nil {
		d.Notice = *svc.Notice
	}
	shown := map[string]bool{}
	field := func(name, kind, dir string, max int) fieldView {
		shown[name] = true
		f := fieldView{Name: name, ID: "f-" + name, Label: l.T(name), Kind: kind, Value: vals.Get(name), Dir: dir, MaxLength: max}
		for _, m := range faults.byParam(name) {
			f.Errors = append(f.Errors, m.In(a.lang))
		}
		return f
	}
	attrs := slices.Clone(svc.Attributes)
	slices.SortStableFunc(attrs, func(x, y contracts.Attribute) int { return x.Order - y.Order })
	for _, at := range attrs {
		d.Attributes = append(d.Attributes, attributeField(at, l, vals, field))
	}
	d.Details = []fieldView{field("description", "textarea", "", contracts.MaxTextLength), field("media_url", "url", "ltr", 2048)}
	d.Location = []fieldView{field("address_string", "text", "", 1000), field("address_id", "text", "ltr", 64),
		field("lat", "text", "ltr", 32), field("long", "text", "ltr", 32)}
	d.Caller = []fieldView{field("first_name", "text", "", 100), field("last_name", "text", "", 100),
		field("phone", "tel", "ltr", 20), field("email", "email", "ltr", 254), field("account_id", "text", "ltr", 64)}
	for _, m := range faults.byParam("location") {
		d.LocationNote = append(d.LocationNote, m.In(a.lang))
	}
	shown["location"] = true
	for _, f := range faults {
		if !shown[f.Param] {
			d.Errors = append(d.Errors, f.description(a.lang))
		}
	}
	return d
}

func attributeField(at contracts.Attribute, l labels, vals url.Values, field func(name, kind, dir string, max int) fieldView) fieldView {
	name := "attribute[" + at.Code + "]"
	kind := map[string]string{contracts.DatatypeText: "textarea", contracts.DatatypeNumber: "number",
		contracts.DatatypeDatetime: "datetime-local", contracts.DatatypeSingleValueList: "select",
		contracts.DatatypeMultiValueList: "checkboxes"}[at.Datatype]
	if kind == "" {
		kind = "text"
	}
	if !at.Variable {
		kind = "info"
	}
	f := field(name, kind, "", at.MaxLength)
	f.Label, f.Required = l.X(at.Description), at.Required
	if at.DatatypeDescription != nil && at.Datatype != contracts.DatatypeDatetime {
		f.Help = l.X(*at.DatatypeDescription)
	}
	if at.Datatype == contracts.DatatypeDatetime {
		f.Value = datetimeLocal(f.Value)
	}
	chosen := vals[name+"[]"]
	if at.Datatype == contracts.DatatypeSingleValueList {
		chosen = []string{f.Value}
	}
	for _, v := range at.Values {
		f.Options = append(f.Options, option{Key: v.Key, Label: l.X(v.Name), Selected: slices.Contains(chosen, v.Key)})
	}
	return f
}

// datetimeLocal shows an RFC 3339 value back in a datetime-local input.
func datetimeLocal(v string) string {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.In(gulf).Format("2006-01-02T15:04")
	}
	return v
}
