package devstack

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
	"github.com/goalrelay/goalrelay/shared/devtools/rie"
)

type sqsAttr = types.QueueAttributeName

// RouteKey is the only route of the HTTP API.
const RouteKey = "POST /webhooks/{source}"

// Front limits, as API Gateway HTTP API applies them.
const (
	// MaxPayload is API Gateway's request payload limit.
	MaxPayload = 10 << 20
	// IntegrationTimeout is the route's TimeoutInMillis in template.yaml.
	IntegrationTimeout = 10 * time.Second
	// APIID stands in for the HTTP API's id.
	APIID = "local"
)

func (s *Stack) startFront() error {
	addr := s.opts.FrontAddr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil && s.opts.FrontFallback {
		s.logf("front: %v; using a free port instead", err)
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		return fmt.Errorf("devstack: front: %w", err)
	}
	s.frontLn = ln
	s.FrontURL = "http://" + ln.Addr().String()
	s.front = &http.Server{
		Handler:           NewFront(s.Ingest, FrontOptions{Log: s.out, Verbose: s.opts.Output != nil}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = s.front.Serve(ln) }()
	return nil
}

// Invoker runs a function with a payload (*rie.Function satisfies it).
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

var _ Invoker = (*rie.Function)(nil)

// FrontOptions configures NewFront.
type FrontOptions struct {
	// Log receives one line per request when Verbose.
	Log     io.Writer
	Verbose bool
}

// NewFront returns the HTTP handler that plays API Gateway HTTP API in front
// of fn: POST /webhooks/{source} becomes a payload 2.0 event, and the
// function's response becomes the HTTP response.
func NewFront(fn Invoker, o FrontOptions) http.Handler {
	mux := http.NewServeMux()
	f := &front{fn: fn, opts: o}
	mux.HandleFunc("POST /webhooks/{source}", f.webhook)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "Not Found", requestID())
	})
	return mux
}

type front struct {
	fn   Invoker
	opts FrontOptions
}

func (f *front) webhook(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := requestID()
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	if err != nil {
		apiError(w, http.StatusBadRequest, "Bad Request", id)
		return
	}
	if len(body) > MaxPayload {
		apiError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large", id)
		return
	}
	ev := Event(r, body, id, start)
	payload, err := json.Marshal(ev)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "Internal Server Error", id)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), IntegrationTimeout)
	defer cancel()
	raw, err := f.fn.Invoke(ctx, payload)
	status := 0
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		status = http.StatusServiceUnavailable
		apiError(w, status, "Service Unavailable", id)
	case err != nil:
		status = http.StatusInternalServerError
		apiError(w, status, "Internal Server Error", id)
	default:
		status = writeResponse(w, raw, id)
	}
	if f.opts.Verbose && f.opts.Log != nil {
		msg := ""
		if err != nil {
			msg = " error: " + err.Error()
		}
		fmt.Fprintf(f.opts.Log, "front: %s %s %d %dB %s%s\n", r.Method, r.URL.RequestURI(), status, len(body),
			time.Since(start).Round(time.Millisecond), msg)
	}
}

// Event builds the API Gateway HTTP API payload 2.0 event of a request to
// the webhook route, as API Gateway would send it to the integration.
func Event(r *http.Request, body []byte, reqID string, at time.Time) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	var cookies []string
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lk := strings.ToLower(k)
		if lk == "cookie" {
			for _, c := range r.Header[k] {
				for _, part := range strings.Split(c, ";") {
					if part = strings.TrimSpace(part); part != "" {
						cookies = append(cookies, part)
					}
				}
			}
			continue
		}
		headers[lk] = strings.Join(r.Header[k], ",")
	}
	host := r.Host
	headers["host"] = host
	headers["content-length"] = strconv.Itoa(len(body))
	client, _, _ := net.SplitHostPort(r.RemoteAddr)
	if client == "" {
		client = r.RemoteAddr
	}
	if xff := headers["x-forwarded-for"]; xff != "" {
		headers["x-forwarded-for"] = xff + ", " + client
	} else {
		headers["x-forwarded-for"] = client
	}
	port := "80"
	if _, p, err := net.SplitHostPort(host); err == nil {
		port = p
	}
	headers["x-forwarded-port"] = port
	headers["x-forwarded-proto"] = "http"
	headers["x-amzn-trace-id"] = "Root=1-" + strconv.FormatInt(at.Unix(), 16) + "-" + randomHex(12)

	var qsp map[string]string
	if r.URL.RawQuery != "" {
		qsp = map[string]string{}
		if q, err := url.ParseQuery(r.URL.RawQuery); err == nil {
			for k, v := range q {
				qsp[k] = strings.Join(v, ",")
			}
		}
	}
	rawPath := r.URL.EscapedPath()
	domainPrefix, _, _ := strings.Cut(hostname(host), ".")
	text, b64 := encodeBody(headers["content-type"], body)
	return events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              RouteKey,
		RawPath:               rawPath,
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: qsp,
		PathParameters:        map[string]string{"source": r.PathValue("source")},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     RouteKey,
			AccountID:    awstest.AccountID,
			Stage:        "$default",
			RequestID:    reqID,
			APIID:        APIID,
			DomainName:   host,
			DomainPrefix: domainPrefix,
			Time:         at.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    at.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      rawPath,
				Protocol:  r.Proto,
				SourceIP:  client,
				UserAgent: r.UserAgent(),
			},
		},
		Body:            text,
		IsBase64Encoded: b64,
	}
}

// encodeBody passes JSON and plain-text bodies that are valid UTF-8 as
// text and base64-encodes everything else (XML, forms, binary), as API
// Gateway HTTP API does with bodies it does not treat as text.
func encodeBody(contentType string, body []byte) (string, bool) {
	if len(body) == 0 {
		return "", false
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	textual := mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/plain"
	if textual && utf8.Valid(body) {
		return string(body), false
	}
	return base64.StdEncoding.EncodeToString(body), true
}

func hostname(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// writeResponse writes the function's payload 2.0 response. A response
// that is not a JSON object with statusCode is, as in API Gateway, taken
// as the body of a 200 with content-type application/json.
func writeResponse(w http.ResponseWriter, raw []byte, id string) int {
	var probe map[string]json.RawMessage
	var resp events.APIGatewayV2HTTPResponse
	if json.Unmarshal(raw, &probe) != nil || probe["statusCode"] == nil || json.Unmarshal(raw, &resp) != nil {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Apigw-Requestid", id)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(raw)
		return http.StatusOK
	}
	h := w.Header()
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	h.Set("Apigw-Requestid", id)
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			apiError(w, http.StatusInternalServerError, "Internal Server Error", id)
			return http.StatusInternalServerError
		}
		body = b
	}
	if h.Get("Content-Type") == "" && len(body) > 0 {
		h.Set("Content-Type", "application/json")
	}
	status := resp.StatusCode
	if status < 100 || status > 599 {
		apiError(w, http.StatusInternalServerError, "Internal Server Error", id)
		return http.StatusInternalServerError
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return status
}

// apiError answers as API Gateway does when it answers itself.
func apiError(w http.ResponseWriter, status int, msg, id string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Apigw-Requestid", id)
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "{\"message\":%q}", msg)
}

// requestID looks like an API Gateway HTTP API request id.
func requestID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
