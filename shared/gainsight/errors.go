package gainsight

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error codes of the spec's error table (HTTP 400, all validation errors)
// and of its metric samples.
const (
	CodeCTARecordEmpty      = "8001" // CTA set provided is empty
	CodeSPRecordEmpty       = "8002" // Success Plan set provided is empty
	CodeInvalidPageRequest  = "8007" // invalid page request
	CodeInvalidLookupConfig = "8008" // lookup error
	CodeInvalidField        = "8009" // invalid field in select clause
	CodeInvalidStatusName   = "8010" // invalid status name provided
	CodeUnexpected          = "VC_1002"
	CodeMetricInUse         = "VC_8026" // metric used by goals, templates or layouts; see APIError.Usage
)

// CSGoalException is the exception class of the Spring-style 500 bodies.
const CSGoalException = "com.gainsight.cs.goal.exception.CSGoalException"

var (
	// ErrResponseTooLarge is wrapped by the *APIError returned when a reply
	// body exceeds Options.MaxResponseBytes.
	ErrResponseTooLarge = errors.New("gainsight: reply body too large")
	// ErrMalformedResponse is wrapped by the *APIError returned when a
	// reply cannot be read as the API's JSON.
	ErrMalformedResponse = errors.New("gainsight: malformed reply")
)

// APIError is a reply that says the call failed: the JSON envelope with
// "result": false (under any HTTP status, 200 included), the Spring-style
// error body (HTTP 500 CSGoalException), or any other non-2xx reply.
type APIError struct {
	// Status is the HTTP status of the reply (200 for an envelope failure
	// sent with 200).
	Status int
	// Code is errorCode as sent ("8010", "GS_8001", "VC_8026"; a numeric
	// code is rendered in decimal); empty for Spring-style and bare HTTP
	// errors.
	Code string
	// Message is the reply's message, or errorDesc when message is empty,
	// or the HTTP status text.
	Message string
	// Description is errorDesc (e.g. INVALID_STATUS_NAME) when sent.
	Description string
	// RequestID is Gainsight's requestId, for support tickets and logs.
	RequestID string
	// Exception and Path come from a Spring-style body:
	// "com.gainsight.cs.goal.exception.CSGoalException" and the server-side
	// path (without /v1).
	Exception string
	Path      string
	// Info is errorInfo as sent (null when absent).
	Info json.RawMessage
	// Usage is errorInfo decoded for VC_8026 (metric in use).
	Usage *MetricUsage
	// RetryAfter is the reply's Retry-After, when a non-429 reply (say a
	// 503) carries one.
	RetryAfter time.Duration
	// Endpoint is the call that failed, e.g. "PUT /v1/csgoal/external/update".
	Endpoint string
	// Err is ErrResponseTooLarge or ErrMalformedResponse when the reply
	// itself could not be read; nil otherwise.
	Err error
}

// MetricUsage is the errorInfo of VC_8026: where a metric that cannot be
// deleted is used.
type MetricUsage struct {
	UsageInLayouts []string      `json:"usageInLayouts"`
	UsageInGoals   []UsageInGoal `json:"usageInGoals"`
	HasUsage       bool          `json:"hasUsage"`
}

// UsageInGoal names a goal (or template) that uses a metric.
type UsageInGoal struct {
	Gsid string `json:"gsid"`
	Name string `json:"name"`
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("gainsight: ")
	if e.Endpoint != "" {
		b.WriteString(e.Endpoint)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "HTTP %d", e.Status)
	if e.Code != "" {
		b.WriteString(" code ")
		b.WriteString(e.Code)
	}
	if e.Description != "" {
		b.WriteString(" ")
		b.WriteString(e.Description)
	}
	if e.Exception != "" {
		b.WriteString(" ")
		b.WriteString(e.Exception[strings.LastIndexByte(e.Exception, '.')+1:])
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request ")
		b.WriteString(e.RequestID)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns Err.
func (e *APIError) Unwrap() error { return e.Err }

// NumericCode is the number in Code without any prefix ("GS_8001" and
// "8001" give 8001, "VC_8026" gives 8026), or 0.
func (e *APIError) NumericCode() int {
	s := e.Code
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	n, err := strconv.Atoi(s[i:])
	if err != nil {
		return 0
	}
	return n
}

// Validation reports whether Gainsight refused the request's content: codes
// 8001–8010 (with or without a prefix), or a Spring-style error whose
// message starts with "Invalid" ("Invalid StatusName provided in request",
// "Invalid fields in select clause - Gsd"). The spec's error table gives
// such failures HTTP 400 while its samples show them as HTTP 500
// CSGoalException; both are validation errors and never retryable.
func (e *APIError) Validation() bool {
	if n := e.NumericCode(); n >= 8001 && n <= 8010 {
		return true
	}
	return e.Code == "" && strings.HasPrefix(e.Message, "Invalid") &&
		(e.Exception != "" || e.Path != "")
}

// Unauthorized reports an HTTP 401 or 403: a wrong, reset or missing access
// key. The caller may refresh the key once and try again.
func (e *APIError) Unauthorized() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

// Retryable reports whether sending the same request again can succeed:
// 429 and 5xx replies can, unless they are validation errors; everything
// else cannot. That includes an envelope failure under 2xx or 4xx (such as
// VC_1002 or VC_8026 under HTTP 200): it is the server's considered answer
// to this body, and the same body gets it again. A reply that is too large
// or not JSON follows its HTTP status the same way.
func (e *APIError) Retryable() bool {
	if e.Validation() {
		return false
	}
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// RateLimitError is an HTTP 429: the tenant's quota (per minute or per
// day, fixed windows) is spent. It is always retryable.
type RateLimitError struct {
	// RetryAfter is the wait the reply asked for (Retry-After in seconds or
	// as an HTTP date); zero when it gave none.
	RetryAfter time.Duration
	RequestID  string
	Message    string
	Endpoint   string
}

func (e *RateLimitError) Error() string {
	s := "gainsight: "
	if e.Endpoint != "" {
		s += e.Endpoint + ": "
	}
	s += "HTTP 429 rate limited"
	if e.RetryAfter > 0 {
		s += ", retry after " + e.RetryAfter.String()
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RequestID != "" {
		s += " (request " + e.RequestID + ")"
	}
	return s
}

// Retryable is always true.
func (e *RateLimitError) Retryable() bool { return true }

// TransportError is a request that got no complete reply: connection
// refused or reset, DNS, TLS, a time-out or a cancelled context. It wraps
// the cause, so errors.Is(err, context.DeadlineExceeded) and
// errors.Is(err, context.Canceled) see through it. The outcome of a create
// that fails this way is unknown.
type TransportError struct {
	Endpoint string
	Err      error
}

func (e *TransportError) Error() string {
	return "gainsight: " + e.Endpoint + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *TransportError) Unwrap() error { return e.Err }

// Retryable is always true: nothing says the request was refused. (When
// the cause is the caller's own context, the caller knows it stopped.)
func (e *TransportError) Retryable() bool { return true }

// IsRetryable reports whether err, or an error it wraps, says a retry can
// help. Errors that say nothing (a bad request built by the caller, a
// missing access key) are not retryable.
func IsRetryable(err error) bool {
	var r interface{ Retryable() bool }
	return errors.As(err, &r) && r.Retryable()
}

// IsUnauthorized reports whether err is an *APIError for HTTP 401 or 403.
func IsUnauthorized(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Unauthorized()
}

// RetryAfter returns the wait a *RateLimitError or *APIError asked for, or
// zero.
func RetryAfter(err error) time.Duration {
	var rl *RateLimitError
	if errors.As(err, &rl) {
		return rl.RetryAfter
	}
	var e *APIError
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// reply is every member either failure shape or the envelope may carry.
type reply struct {
	// envelope
	Result     *bool           `json:"result"`
	ErrorCode  json.RawMessage `json:"errorCode"`
	ErrorDesc  string          `json:"errorDesc"`
	RequestID  string          `json:"requestId"`
	Data       json.RawMessage `json:"data"`
	Message    string          `json:"message"`
	ErrorInfo  json.RawMessage `json:"errorInfo"`
	RecordList json.RawMessage `json:"recordList"` // bare template fetch body
	// Spring-style
	Status    json.RawMessage `json:"status"`
	Error     string          `json:"error"`
	Exception string          `json:"exception"`
	Path      string          `json:"path"`
}

// checkResponse turns a reply into a typed error, or returns its decoded
// envelope. bare allows a 2xx body that is the data itself
// ({"recordList": [...]} for template fetch). key is the access key the
// request carried: every error is redacted of it and bounded (see redact).
func (c *Client) checkResponse(resp *http.Response, body []byte, endpoint, key string, bare bool) (*reply, error) {
	rep, err := c.classify(resp, body, endpoint, key, bare)
	if err != nil {
		return nil, redact(err, key)
	}
	return rep, nil
}

// classify is checkResponse before the redaction.
func (c *Client) classify(resp *http.Response, body []byte, endpoint, key string, bare bool) (*reply, error) {
	status := resp.StatusCode
	var rep reply
	jsonErr := json.Unmarshal(body, &rep)
	var typeErr *json.UnmarshalTypeError
	if errors.As(jsonErr, &typeErr) {
		// Valid JSON with a member of an unexpected type (say a numeric
		// message): keep what decoded rather than call it "not JSON".
		jsonErr = nil
	}
	requestID := rep.RequestID
	if requestID == "" {
		requestID = headerRequestID(resp.Header)
	}
	if status == http.StatusTooManyRequests {
		msg := rep.Message
		if msg == "" && jsonErr == nil {
			msg = rep.ErrorDesc
		}
		return nil, &RateLimitError{
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.now()),
			RequestID:  requestID,
			Message:    msg,
			Endpoint:   endpoint,
		}
	}
	e := &APIError{
		Status:     status,
		RequestID:  requestID,
		Endpoint:   endpoint,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.now()),
	}
	if jsonErr != nil {
		if status >= 200 && status < 300 {
			e.Message = "reply is not JSON: " + snippet(body, key)
			e.Err = ErrMalformedResponse
			return nil, e
		}
		e.Message = http.StatusText(status)
		if s := snippet(body, key); s != "" {
			e.Message += ": " + s
		}
		if status >= 300 && status < 400 {
			e.Message = "unexpected redirect to " + resp.Header.Get("Location")
		}
		return nil, e
	}
	switch {
	case rep.Result != nil && !*rep.Result:
		e.Code = codeString(rep.ErrorCode)
		e.Description = rep.ErrorDesc
		e.Message = rep.Message
		if e.Message == "" {
			e.Message = rep.ErrorDesc
		}
		if len(rep.ErrorInfo) > 0 && string(rep.ErrorInfo) != "null" {
			e.Info = rep.ErrorInfo
			if e.NumericCode() == 8026 {
				var u MetricUsage
				if json.Unmarshal(rep.ErrorInfo, &u) == nil {
					e.Usage = &u
				}
			}
		}
		return nil, e
	case rep.Exception != "" || (rep.Result == nil && rep.Error != "" && len(rep.Status) > 0):
		if status < 400 { // a Spring error body under a success status
			if n, err := strconv.Atoi(string(rep.Status)); err == nil && n >= 400 {
				e.Status = n
			} else {
				e.Status = http.StatusInternalServerError
			}
		}
		e.Exception = rep.Exception
		e.Path = rep.Path
		e.Message = rep.Message
		if e.Message == "" {
			e.Message = rep.Error
		}
		return nil, e
	case status < 200 || status >= 300:
		e.Code = codeString(rep.ErrorCode)
		e.Description = rep.ErrorDesc
		e.Message = rep.Message
		if e.Message == "" {
			e.Message = rep.ErrorDesc
		}
		if e.Message == "" {
			e.Message = rep.Error
		}
		if e.Message == "" {
			e.Message = http.StatusText(status)
		}
		if status >= 300 && status < 400 {
			e.Message = "unexpected redirect to " + resp.Header.Get("Location")
		}
		return nil, e
	case rep.Result == nil && !(bare && rep.RecordList != nil):
		e.Message = "reply has no result member: " + snippet(body, key)
		e.Err = ErrMalformedResponse
		return nil, e
	}
	rep.RequestID = requestID
	return &rep, nil
}

// codeString renders errorCode, which may be a string, a number or null.
func codeString(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return string(raw)
}

// maxRetryAfter caps a Retry-After: Gainsight's longest quota window is a
// day, so a longer wait is a garbled header, not advice.
const maxRetryAfter = 24 * time.Hour

// parseRetryAfter reads Retry-After as delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0
		}
		if n > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, maxRetryAfter)
		}
	}
	return 0
}
