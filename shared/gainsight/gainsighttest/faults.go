package gainsighttest

import (
	"net/http"
)

// Fault is an injected failure. Exactly one of Status, Hang or Drop is
// expected; with none of them set the fault is a 503.
type Fault struct {
	// Status is the HTTP status to answer with (e.g. 503, 500, 429).
	Status int
	// Body is the raw answer body. Empty: a JSON envelope saying the fault
	// was injected (for 500: a non-validation CSGoalException-free envelope).
	Body string
	// Header is added to the answer (e.g. Retry-After for an injected 429).
	Header http.Header
	// Hang holds the call without answering until the client gives up (its
	// context ends, i.e. a time-out) or the server closes.
	Hang bool
	// Drop closes the connection without any answer (hijack and close).
	Drop bool
	// AfterApply lets the call take effect on the tenant first and then
	// replaces its answer with the fault: the outcome is unknown to the client
	// (a create that succeeded but whose answer was lost).
	AfterApply bool
}

func (f Fault) isZero() bool {
	return f.Status == 0 && f.Body == "" && f.Header == nil && !f.Hang && !f.Drop && !f.AfterApply
}

// Common faults.
var (
	FaultUnavailable = Fault{Status: http.StatusServiceUnavailable}
	FaultInternal    = Fault{Status: http.StatusInternalServerError}
	FaultBadGateway  = Fault{Status: http.StatusBadGateway}
	FaultHang        = Fault{Hang: true}
	FaultDrop        = Fault{Drop: true}
)

// FailNext makes the next n routed calls (after the quota check, which
// still counts them) fail with f, in arrival order.
func (s *Server) FailNext(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.queued = append(s.queued, f)
	}
}

// SetFaultRate makes a share p (0..1) of routed calls fail with f (zero
// Fault: 503), drawn from the server's seeded generator.
func (s *Server) SetFaultRate(p float64, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.isZero() {
		f = FaultUnavailable
	}
	s.faultP, s.faultF = p, f
}

// ClearFaults drops queued faults and sets the fault rate and latency to zero.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queued, s.faultP, s.latency = nil, 0, 0
}

// applyFault answers with f and returns its kind for the log.
func (s *Server) applyFault(w *logWriter, r *http.Request, reqID string, f Fault) string {
	switch {
	case f.Drop:
		if hj, ok := w.ResponseWriter.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return "drop"
			}
		}
		panic(http.ErrAbortHandler)
	case f.Hang:
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		return "hang"
	}
	status := f.Status
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	for k, vs := range f.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if f.Body != "" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(f.Body))
		return "status"
	}
	s.send(w, reqID, envelopeError(status, "GS_FAULT", http.StatusText(status),
		"injected fault: "+http.StatusText(status), reqID))
	return "status"
}
