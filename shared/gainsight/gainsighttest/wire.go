package gainsighttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// envelope is Gainsight's JSON answer.
type envelope struct {
	Result             bool    `json:"result"`
	ErrorCode          *string `json:"errorCode"`
	ErrorDesc          *string `json:"errorDesc"`
	LocalizedErrorDesc *string `json:"localizedErrorDesc"`
	RequestID          string  `json:"requestId"`
	Data               any     `json:"data"`
	Message            *string `json:"message"`
	LocalizedMessage   *string `json:"localizedMessage"`
	ErrorInfo          any     `json:"errorInfo,omitempty"`
}

// exceptionBody is the Spring-style body of the spec's HTTP 500 samples.
type exceptionBody struct {
	Timestamp int64  `json:"timestamp"`
	Status    int    `json:"status"`
	Error     string `json:"error"`
	Exception string `json:"exception"`
	Message   string `json:"message"`
	Path      string `json:"path"`
}

// springError is the body a Spring application or gateway answers for an
// unmapped path (404) or an unsupported method (405).
type springError struct {
	Timestamp int64  `json:"timestamp"`
	Status    int    `json:"status"`
	Error     string `json:"error"`
	Exception string `json:"exception,omitempty"`
	Message   string `json:"message"`
	Path      string `json:"path"`
}

// CSGoalException is the exception class named in 500 answers.
const CSGoalException = "com.gainsight.cs.goal.exception.CSGoalException"

// reply is what a handler answers: a status and a JSON body (or a bare
// body when raw is set).
type reply struct {
	status int
	body   any
}

// apiError is a failure decided by a handler, rendered as an envelope or
// as a CSGoalException body.
type apiError struct {
	status    int
	exception bool   // CSGoalException shape (HTTP 500)
	code      string // envelope errorCode
	desc      string // envelope errorDesc
	msg       string
	info      any
}

func (e *apiError) Error() string { return e.msg }

// exceptionf is an HTTP 500 CSGoalException, the spec's validation answer.
func exceptionf(format string, a ...any) *apiError {
	return &apiError{status: http.StatusInternalServerError, exception: true, msg: fmt.Sprintf(format, a...)}
}

// codeError is an HTTP 4xx envelope error with a code from the spec's table.
func codeError(status int, code, desc, msg string) *apiError {
	return &apiError{status: status, code: code, desc: desc, msg: msg}
}

// Spec error codes (HTTP 400).
func errCTAEmpty() *apiError {
	return codeError(http.StatusBadRequest, "8001", "CTA_RECORD_EMPTY", "CTA set provided is empty")
}
func errSPEmpty() *apiError {
	return codeError(http.StatusBadRequest, "8002", "SP_RECORD_EMPTY", "Success Plan set provided is empty")
}
func errPage(msg string) *apiError {
	return codeError(http.StatusBadRequest, "8007", "INVALID_PAGE_REQUEST", "Invalid page request: "+msg)
}
func errLookup(format string, a ...any) *apiError {
	return codeError(http.StatusBadRequest, "8008", "INVALID_LOOKUP_CONFIG", "Lookup Error: "+fmt.Sprintf(format, a...))
}
func errBadRequest(format string, a ...any) *apiError {
	return codeError(http.StatusBadRequest, "GS_4000", "BAD_REQUEST", fmt.Sprintf(format, a...))
}

// render turns an apiError into a reply for the given call.
func (e *apiError) render(c *call) reply {
	if e.exception && c.tableErrors {
		switch {
		case strings.HasPrefix(e.msg, "Invalid fields in"):
			return envelopeError(http.StatusBadRequest, "8009", "INVALID_FIELD", e.msg, c.requestID)
		case strings.HasPrefix(e.msg, "Invalid StatusName"):
			return envelopeError(http.StatusBadRequest, "8010", "INVALID_STATUS_NAME", e.msg, c.requestID)
		}
	}
	if e.exception {
		return reply{status: http.StatusInternalServerError, body: exceptionBody{
			Timestamp: c.now.UnixMilli(),
			Status:    http.StatusInternalServerError,
			Error:     "Internal Server Error",
			Exception: CSGoalException,
			Message:   e.msg,
			Path:      c.path,
		}}
	}
	r := envelopeError(e.status, e.code, e.desc, e.msg, c.requestID)
	if env, ok := r.body.(envelope); ok && e.info != nil {
		env.ErrorInfo = e.info
		r.body = env
	}
	return r
}

// envelopeError is a failure envelope; message is "<message> <requestId>"
// as in the spec's sample failure.
func envelopeError(status int, code, desc, msg, reqID string) reply {
	m := msg + " " + reqID
	env := envelope{Result: false, ErrorCode: &code, RequestID: reqID, Message: &m}
	if desc != "" {
		env.ErrorDesc = &desc
	}
	return reply{status: status, body: env}
}

// ok is a success envelope around data.
func ok(c *call, data any) reply {
	return reply{status: http.StatusOK, body: envelope{Result: true, RequestID: c.requestID, Data: data}}
}

// send writes a reply as JSON.
func (s *Server) send(w http.ResponseWriter, reqID string, r reply) {
	b, err := json.Marshal(r.body)
	if err != nil {
		r = envelopeError(http.StatusInternalServerError, "GS_5000", "INTERNAL_ERROR", "cannot encode answer: "+err.Error(), reqID)
		b, _ = json.Marshal(r.body)
	}
	w.Header().Set("Content-Type", "application/json")
	// Date as the reply leaves, on the server's clock (after Latency).
	w.Header().Set("Date", s.httpDate(s.o.Now()))
	w.WriteHeader(r.status)
	_, _ = w.Write(b)
}

// decodeStrict decodes a JSON request body into v: numbers kept as
// json.Number, unknown members of typed structs refused.
func decodeStrict(body []byte, v any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		return errBadRequest("request body is empty; a JSON object is expected")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errBadRequest("malformed JSON request body: %v", err)
	}
	if dec.More() {
		return errBadRequest("malformed JSON request body: data after the top-level value")
	}
	return nil
}

func decodeForLog(body []byte) any {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return string(body)
	}
	return v
}

const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

func (s *Server) newIDLocked(prefix string) string {
	b := make([]byte, 0, len(prefix)+32)
	b = append(b, prefix...)
	for range 32 {
		b = append(b, alnum[s.rng.IntN(len(alnum))])
	}
	return string(b)
}

// requestIDLocked is a version-4 UUID from the seeded generator.
func (s *Server) requestIDLocked() string {
	var u [16]byte
	for i := range u {
		u[i] = byte(s.rng.Uint32())
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

func sortStrings(s []string) { sort.Strings(s) }

// httpDate is t as an HTTP Date header: UTC, whole seconds (truncated),
// as every HTTP server sends it; Options.DateResolution below a second
// keeps milliseconds.
func (s *Server) httpDate(t time.Time) string {
	if r := s.o.DateResolution; r > 0 && r < time.Second {
		return t.Truncate(r).UTC().Format("Mon, 02 Jan 2006 15:04:05.000 GMT")
	}
	return t.UTC().Format(http.TimeFormat)
}
