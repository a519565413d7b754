package ingest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	goalevents "github.com/goalrelay/goalrelay/events"
	"github.com/goalrelay/goalrelay/shared/emf"
	"github.com/goalrelay/goalrelay/shared/webhook"
)

// DefaultMaxBody is the default body limit: 1 MiB, the SQS message limit.
const DefaultMaxBody = 1 << 20

// SecretSource returns one source's member of the webhook secret JSON. It
// returns an error wrapping ErrSourceDisabled when the source is absent.
type SecretSource interface {
	Source(ctx context.Context, name string) (json.RawMessage, error)
}

// Mapper turns a record change into canonical events.
type Mapper interface {
	Map(ch webhook.Change) ([]goalevents.Event, error)
}

// Publisher puts events on the queue; it returns only once every event is
// in the queue, or an error.
type Publisher interface {
	Publish(ctx context.Context, evs []goalevents.Event) error
}

// Service handles webhook requests. Build it once at init; it is safe for
// concurrent use.
type Service struct {
	// Sources are the sources served, found by their Name (sources.All()
	// in production).
	Sources   []*webhook.Source
	Secrets   SecretSource
	Mapper    Mapper
	Publisher Publisher
	// PublicBaseURL is the scheme and host (and any path prefix) the CRMs
	// call, e.g. https://hooks.example.com; signature schemes that sign the
	// URL need it. Empty means https://<API Gateway domain name>.
	PublicBaseURL string
	// MaxBody is the body limit in bytes; 0 means DefaultMaxBody.
	MaxBody int
	// MaxFutureSkew is how far ahead of now an event's CRM time may lie;
	// 0 means DefaultMaxFutureSkew.
	MaxFutureSkew time.Duration
	Now           func() time.Time
	Log           *slog.Logger
	// Metrics receives one EMF line per request (metrics.go); nil records nothing.
	Metrics *emf.Recorder

	policies policies
}

// result is what one request came to, for the answer and the log line.
type result struct {
	source  string
	changes int
	queued  int
	err     error
}

// Handle is the Lambda handler for API Gateway HTTP API payload 2.0 events.
func (s *Service) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	start := time.Now()
	res := s.process(ctx, &req)
	code := status(res.err)
	s.record(res, code)
	resp := s.respond(res, code)

	log := s.logger()
	attrs := []any{
		slog.String("source", oneLine(res.source, 64)),
		slog.Int("status", code),
		slog.Int("changes", res.changes),
		slog.Int("queued", res.queued),
		slog.Int64("duration_ms", time.Since(start).Milliseconds()),
	}
	switch {
	case code >= 500:
		log.ErrorContext(ctx, "webhook failed", append(attrs, slog.String("error", logError(res.err)))...)
	case res.err != nil:
		log.WarnContext(ctx, "webhook rejected", append(attrs, slog.String("reason", logReason(res.err, code)))...)
	default:
		log.InfoContext(ctx, "webhook accepted", attrs...)
	}
	return resp, nil
}

func (s *Service) process(ctx context.Context, req *events.APIGatewayV2HTTPRequest) result {
	var res result
	res.source = sourceOf(req)
	src := s.lookup(res.source)
	if src == nil {
		res.err = fmt.Errorf("%w %q", ErrUnknownSource, res.source)
		return res
	}
	if m := req.RequestContext.HTTP.Method; m != "" && m != http.MethodPost {
		res.err = fmt.Errorf("%w: %s", ErrMethod, m)
		return res
	}
	secret, err := s.Secrets.Source(ctx, res.source)
	if err != nil {
		if isDisabled(err) {
			res.err = fmt.Errorf("%w: %q", ErrSourceDisabled, res.source)
		} else {
			res.err = fmt.Errorf("%w: %v", ErrSecrets, err)
		}
		return res
	}
	pol, err := s.policies.get(res.source, secret)
	if err != nil {
		res.err = fmt.Errorf("%w: %q: %w", ErrSecrets, res.source, err)
		return res
	}
	if !pol.AllowsAddr(req.RequestContext.HTTP.SourceIP) {
		res.err = fmt.Errorf("%w: the %s secret's allowedSourceIps does not list it", webhook.ErrForbidden, res.source)
		return res
	}
	r, err := s.request(req)
	if err != nil {
		res.err = err
		return res
	}
	now := s.now()
	changes, err := src.Open(r, secret, now)
	if err != nil {
		res.err = err
		return res
	}
	res.changes = len(changes)
	if len(changes) > src.MaxBatch {
		res.err = fmt.Errorf("%w: %d changes in one delivery, %s sends at most %d", webhook.ErrMalformed, len(changes), src.Name, src.MaxBatch)
		return res
	}
	var evs []goalevents.Event
	for _, ch := range changes {
		out, err := s.Mapper.Map(ch)
		if err != nil {
			res.err = fmt.Errorf("change %s: %w", ch.ID, err)
			return res
		}
		evs = append(evs, out...)
	}
	for i := range evs {
		if err := evs[i].Validate(); err != nil {
			res.err = fmt.Errorf("%w: %v", webhook.ErrUnmappable, err)
			return res
		}
	}
	if res.err = checkOwned(evs); res.err != nil {
		return res
	}
	if err := s.checkEvents(src, pol, evs, now); err != nil {
		res.err = err
		return res
	}
	if len(evs) == 0 {
		return res
	}
	if err := s.Publisher.Publish(ctx, evs); err != nil {
		if status(err) == http.StatusRequestEntityTooLarge {
			res.err = err
		} else {
			res.err = fmt.Errorf("%w: %v", ErrQueue, err)
		}
		return res
	}
	res.queued = len(evs)
	if log := s.logger(); log.Enabled(ctx, slog.LevelDebug) {
		for i := range evs {
			log.DebugContext(ctx, "event queued", slog.String("event_id", evs[i].ID),
				slog.String("event_type", string(evs[i].Type)), slog.String("source", evs[i].Source))
		}
	}
	return res
}

// sourceOf takes {source} from the route, or from the last path segment
// when the event carries no path parameters (a hand-written test event).
func sourceOf(req *events.APIGatewayV2HTTPRequest) string {
	if s := req.PathParameters["source"]; s != "" {
		return s
	}
	p := strings.TrimSuffix(req.RawPath, "/")
	return p[strings.LastIndex(p, "/")+1:]
}

func (s *Service) request(req *events.APIGatewayV2HTTPRequest) (*webhook.Request, error) {
	limit := s.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	var body []byte
	if req.IsBase64Encoded {
		if base64.StdEncoding.DecodedLen(len(req.Body)) > limit+3 {
			return nil, fmt.Errorf("%w: more than %d bytes", webhook.ErrTooLarge, limit)
		}
		b, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return nil, fmt.Errorf("%w: body is not valid base64", webhook.ErrMalformed)
		}
		body = b
	} else {
		body = []byte(req.Body)
	}
	if len(body) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", webhook.ErrTooLarge, limit)
	}
	header := make(map[string]string, len(req.Headers))
	for k, v := range req.Headers {
		header[strings.ToLower(k)] = v
	}
	method := req.RequestContext.HTTP.Method
	if method == "" {
		method = http.MethodPost
	}
	path := req.RawPath
	if path == "" {
		path = req.RequestContext.HTTP.Path
	}
	base := strings.TrimSuffix(s.PublicBaseURL, "/")
	if base == "" && req.RequestContext.DomainName != "" {
		base = "https://" + req.RequestContext.DomainName
	}
	public := base + path
	if req.RawQueryString != "" {
		public += "?" + req.RawQueryString
	}
	return &webhook.Request{
		Method:    method,
		Path:      path,
		RawQuery:  req.RawQueryString,
		Header:    header,
		Body:      body,
		PublicURL: public,
	}, nil
}

func (s *Service) respond(res result, code int) events.APIGatewayV2HTTPResponse {
	why := ""
	if res.err != nil {
		why = answerReason(res.err, code)
	}
	if src := s.lookup(res.source); src != nil && src.Respond != nil {
		r := src.Respond(code, res.queued, why)
		return events.APIGatewayV2HTTPResponse{
			StatusCode: r.Status,
			Headers:    map[string]string{"content-type": r.ContentType},
			Body:       string(r.Body),
		}
	}
	var body []byte
	if res.err != nil {
		body, _ = json.Marshal(struct {
			Error string `json:"error"`
		}{why})
	} else {
		body, _ = json.Marshal(struct {
			Queued int `json:"queued"`
		}{res.queued})
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: code,
		Headers:    map[string]string{"content-type": "application/json"},
		Body:       string(body),
	}
}

// lookup returns the source named name, or nil.
func (s *Service) lookup(name string) *webhook.Source {
	for _, src := range s.Sources {
		if src.Name == name {
			return src
		}
	}
	return nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}
