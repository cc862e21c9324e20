package intake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/sharjah-handoff/handoff/contracts"
)

// APIPrefix is where the Open311 GeoReport v2 API is served.
const APIPrefix = "/open311/v2/"

// Open311 limits of GET requests.
const (
	maxSpan      = 90 * 24 * time.Hour
	maxRequests  = 1000
	maxIDsPerGet = 1000
)

// call is one Open311 API call being answered.
type call struct {
	w    http.ResponseWriter
	r    *http.Request
	f    format
	lang string
	ext  bool
}

// serveOpen311 routes /open311/v2/<resource>.<format>. The spec puts the
// format in the resource name, which ServeMux patterns cannot split.
func (s *Service) serveOpen311(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, APIPrefix)
	if rest == "feed" {
		s.serveAPIFeed(w, r)
		return
	}
	name, f, ok := splitFormat(rest, r.Header.Get("Accept"))
	c := &call{w: w, r: r, f: f, lang: langEN}
	if !ok {
		s.fail(c, faultFormat(path.Ext(rest)))
		return
	}
	lang, err := requestLang(r, langEN, false)
	c.lang = lang
	if err != nil {
		s.fail(c, faultLang(r.URL.Query().Get("lang")))
		return
	}
	switch v := r.URL.Query().Get("extensions"); v {
	case "", "false":
	case "true":
		c.ext = true
	default:
		s.fail(c, newFault(http.StatusBadRequest, "extensions", fmt.Sprintf("%q: use true or false", v), fmt.Sprintf("%q: استخدم true أو false", v)))
		return
	}
	if j := r.URL.Query().Get("jurisdiction_id"); j != "" && j != s.cfg.Jurisdiction {
		s.fail(c, faultJurisdiction(j))
		return
	}
	s.route(c, name)
}

func (s *Service) route(c *call, name string) {
	if c.r.Method != http.MethodPost {
		ctx, cancel := context.WithTimeout(c.r.Context(), s.cfg.ReadTimeout)
		defer cancel()
		c.r = c.r.WithContext(ctx)
	}
	dir, leaf := path.Split(name)
	switch {
	case name == "discovery":
		s.only(c, http.MethodGet, s.discovery)
	case name == "services":
		s.only(c, http.MethodGet, s.listServices)
	case dir == "services/" && leaf != "":
		s.only(c, http.MethodGet, func(c *call) { s.serviceDefinition(c, leaf) })
	case name == "requests" && c.r.Method == http.MethodPost:
		s.createRequest(c)
	case name == "requests":
		s.only(c, http.MethodGet, s.listRequests)
	case dir == "requests/" && leaf != "":
		s.only(c, http.MethodGet, func(c *call) { s.getRequest(c, leaf) })
	default:
		s.fail(c, faultNotFound("", "/open311/v2/"+name))
	}
}

func (s *Service) only(c *call, method string, h func(*call)) {
	if c.r.Method != method && !(method == http.MethodGet && c.r.Method == http.MethodHead) {
		allow := method
		if path.Base(c.r.URL.Path) == "requests."+string(c.f) {
			allow = "GET, POST"
		}
		c.w.Header().Set("Allow", allow)
		s.fail(c, faultMethod(c.r.Method))
		return
	}
	h(c)
}

// splitFormat takes the format from the resource's extension. Without one
// the Accept header decides, and XML, the spec's required format, is the
// default.
func splitFormat(resource, accept string) (string, format, bool) {
	ext := path.Ext(resource)
	name := strings.TrimSuffix(resource, ext)
	switch ext {
	case ".json":
		return name, formatJSON, true
	case ".xml":
		return name, formatXML, true
	case "":
		if strings.Contains(accept, "application/json") {
			return name, formatJSON, true
		}
		return name, formatXML, true
	}
	return name, formatXML, false
}

// respond writes a document.
func (s *Service) respond(c *call, status int, list, root any) {
	s.writeBody(c.w, status, c.f.contentType(), c.f.encode(list, root))
}

func (s *Service) writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// fail answers with Open311 errors: an array of {code, description}, the
// HTTP status being the most serious one's.
func (s *Service) fail(c *call, faults ...fault) {
	fs := faultList(faults).tidy()
	errs := make([]apiError, len(fs))
	for i, f := range fs {
		errs[i] = apiError{Code: f.Status, Description: f.description(c.lang)}
	}
	s.respond(c, fs.status(), errs, errorsXML{Errors: errs})
}

// authenticate finds the client of an API key. No key is no client (some
// resources are public); a wrong key is always refused.
func (s *Service) authenticate(key string) (*client, *fault) {
	if key == "" {
		return nil, nil
	}
	k, ok := s.keys[HashAPIKey(key)]
	if !ok {
		f := faultForbiddenKey(true)
		return nil, &f
	}
	return &client{name: k.Name, scope: "api:" + k.hash(), staff: k.Staff, channel: "api"}, nil
}

// apiKey is the key a GET call presents: the api_key parameter, or an
// X-Api-Key header, which keeps the key out of URLs and access logs.
func apiKey(r *http.Request) string {
	if k := r.Header.Get("X-Api-Key"); k != "" {
		return k
	}
	return r.URL.Query().Get("api_key")
}

// requireClient authenticates a call to a resource that is not public.
func (s *Service) requireClient(c *call) (*client, bool) {
	key := apiKey(c.r)
	cl, f := s.authenticate(key)
	if f == nil && cl == nil {
		fl := faultForbiddenKey(false)
		f = &fl
	}
	if f != nil {
		s.fail(c, *f)
		return nil, false
	}
	return cl, true
}

func (s *Service) discovery(c *call) {
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	changeset := s.cfg.Catalogue.Version + "T00:00:00Z"
	d := discoveryOut{Changeset: changeset, Contact: "Sharjah government contact centre, 8008000",
		KeyService: "API keys are issued by the contact centre's integration team.",
		Endpoints: []endpointOut{{Specification: "http://wiki.open311.org/GeoReport_v2",
			URL: scheme + "://" + c.r.Host + strings.TrimSuffix(APIPrefix, "/"), Changeset: changeset, Type: "production",
			Formats: []string{"text/xml", "application/json"}}}}
	s.respond(c, http.StatusOK, d, d)
}

// listServices lists the catalogue: active services, and staff-only ones
// for a staff key. The emergency entry is listed so that agents see it.
func (s *Service) listServices(c *call) {
	cl, f := s.authenticate(apiKey(c.r))
	if f != nil {
		s.fail(c, *f)
		return
	}
	out := []serviceOut{}
	for _, svc := range s.cfg.Catalogue.Services {
		if s.visible(svc, cl) {
			out = append(out, serviceOf(svc, c.lang))
		}
	}
	s.respond(c, http.StatusOK, out, servicesXML{Services: out})
}

func (s *Service) visible(svc contracts.Service, cl *client) bool {
	return svc.Active && (!svc.StaffOnly || cl != nil && cl.staff)
}

func (s *Service) serviceDefinition(c *call, code string) {
	cl, f := s.authenticate(apiKey(c.r))
	if f != nil {
		s.fail(c, *f)
		return
	}
	svc, ok := s.cfg.Catalogue.Lookup(code)
	if !ok || !s.visible(svc, cl) {
		s.fail(c, faultNotFound("service_code", code))
		return
	}
	d := definitionOf(svc, c.lang)
	s.respond(c, http.StatusOK, d, d)
}

// createRequest is POST requests: read, authenticate, check, publish and
// wait for JetStream's acknowledgement, answer. The span it starts is the
// capture: the parent of the publish and so of the request's whole life.
func (s *Service) createRequest(c *call) {
	ctx := propagation.TraceContext{}.Extract(c.r.Context(), propagation.HeaderCarrier(c.r.Header))
	ctx, span := s.tracer.Start(ctx, "capture request", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.route", APIPrefix+"requests"), attribute.String("handoff.channel", "api")))
	defer span.End()
	c.r = c.r.WithContext(ctx)
	outcome := s.create(c)
	span.SetAttributes(attribute.String("handoff.outcome", outcome))
	s.metrics.submissions.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", outcome), attribute.String("channel", "api")))
}

// create answers a POST and returns its outcome for metrics and the span.
func (s *Service) create(c *call) string {
	post, outcome := s.readPost(c)
	if post == nil {
		return outcome
	}
	d, emergency, faults := s.check(post.sub, *post.client, c.lang)
	switch {
	case len(faults) > 0:
		s.fail(c, faults...)
		return "invalid"
	case emergency != nil:
		out := []createdOut{{Notice: optional(both(*emergency.Notice, c.lang)), AccountID: optional(post.sub.AccountID)}}
		s.respond(c, http.StatusOK, out, createdXML{Requests: out})
		return "emergency"
	}
	trace.SpanFromContext(c.r.Context()).SetAttributes(attribute.String("handoff.service_code", d.svc.Code))
	rc, err := s.submit(c.r.Context(), d, post.idem)
	if err != nil {
		return s.failSubmit(c, err)
	}
	if rc.replay != nil {
		c.w.Header().Set("Idempotent-Replayed", "true")
		s.writeBody(c.w, rc.replay.Status, rc.replay.ContentType, rc.replay.Body)
		return "replayed"
	}
	s.answerCreated(c, d, rc, post)
	return "submitted"
}

// post is a POST that was read and whose client is known.
type post struct {
	sub    *submission
	client *client
	idem   *idemKey
}

// readPost reads and decodes a POST body, authenticates its client and
// reads its Idempotency-Key. A body that cannot be read at all is refused
// before the key in it is looked at; a wrong key is refused before
// anything else is said.
func (s *Service) readPost(c *call) (*post, string) {
	body, f := s.readBody(c.w, c.r)
	if f != nil {
		s.fail(c, *f)
		return nil, "invalid"
	}
	sub, faults := decodeSubmission(c.r.Header.Get("Content-Type"), body)
	if sub == nil {
		s.fail(c, faults...)
		return nil, "invalid"
	}
	key := sub.APIKey
	if key == "" {
		key = apiKey(c.r)
	}
	cl, af := s.authenticate(key)
	if af == nil && cl == nil {
		fl := faultForbiddenKey(false)
		af = &fl
	}
	if af != nil {
		s.fail(c, *af)
		return nil, "forbidden"
	}
	trace.SpanFromContext(c.r.Context()).SetAttributes(attribute.String("handoff.client", cl.name))
	p := &post{sub: sub, client: cl}
	if vs := c.r.Header.Values("Idempotency-Key"); len(vs) > 0 {
		if len(vs) > 1 || !validIdempotencyKey(vs[0]) {
			faults = append(faults, faultIdempotencyKey())
		}
		k := newIdemKey(cl.scope, vs[0], []byte(c.f), []byte(mediaType(c.r.Header.Get("Content-Type"))), body)
		p.idem = &k
	}
	if len(faults) > 0 {
		s.fail(c, faults...)
		return nil, "invalid"
	}
	return p, ""
}

// answerCreated writes the spec's answer and keeps it for the
// Idempotency-Key, if any.
func (s *Service) answerCreated(c *call, d *draft, rc *receipt, p *post) {
	out := []createdOut{{ID: rc.RequestID, Notice: optional(serviceNotice(d.svc).In(c.lang)), AccountID: optional(d.accountID)}}
	if c.ext {
		out[0].Reference = rc.Reference
	}
	body := c.f.encode(out, createdXML{Requests: out})
	c.w.Header().Set("Location", APIPrefix+"requests/"+rc.RequestID+"."+string(c.f))
	s.writeBody(c.w, http.StatusCreated, c.f.contentType(), body)
	s.log.InfoContext(c.r.Context(), "request submitted", "request_id", rc.RequestID, "service_code", d.svc.Code, "client", p.client.name)
	if p.idem == nil {
		return
	}
	ent := rc.entry
	ent.Status, ent.ContentType, ent.Body = http.StatusCreated, c.f.contentType(), body
	if err := s.idem.complete(c.r.Context(), *p.idem, ent); err != nil {
		s.log.WarnContext(c.r.Context(), "idempotent response not stored; a retry will republish the same request",
			"request_id", rc.RequestID, "err", err)
	}
}

// failSubmit answers a submission that could not be stored, and returns
// the outcome.
func (s *Service) failSubmit(c *call, err error) string {
	var ve *contracts.ValidationError
	switch {
	case errors.Is(err, errIdempotencyMismatch):
		s.fail(c, faultIdempotencyMismatch())
		return "invalid"
	case errors.As(err, &ve):
		s.fail(c, problemFaults(ve.Problems)...)
		return "invalid"
	case errors.Is(err, errUnavailable):
		s.log.WarnContext(c.r.Context(), "request not stored: NATS unavailable", "err", err)
		s.fail(c, faultUnavailable())
	default:
		s.log.ErrorContext(c.r.Context(), "request not stored", "err", err)
		f := faultUnavailable()
		f.Status = http.StatusInternalServerError
		s.fail(c, f)
	}
	return "unavailable"
}

// readBody reads a POST body up to the limit.
func (s *Service) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *fault) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		f := faultBodyTooLarge(s.cfg.MaxBodyBytes)
		return nil, &f
	}
	if err != nil {
		f := faultMalformed("the body could not be read")
		return nil, &f
	}
	return body, nil
}

func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return mt
}

// decodeSubmission reads a form-encoded or JSON body; anything else is 415.
func decodeSubmission(contentType string, body []byte) (*submission, faultList) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err == nil && params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8") {
		return nil, faultList{faultContentType(contentType)}
	}
	switch {
	case err != nil:
		return nil, faultList{faultContentType(contentType)}
	case mt == "application/x-www-form-urlencoded":
		sub, _, faults := parseForm(body)
		return sub, faults
	case mt == "application/json":
		return parseJSON(body)
	}
	return nil, faultList{faultContentType(mt)}
}
