package awstest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
)

// Recorder stands before an AWS endpoint (moto_server's) and keeps a copy
// of every request body it forwards, by operation, so that a test can see
// what a client sent where the emulator does not keep it (moto 5.2.1 drops
// the MessageSystemAttributes of SendMessageBatch entries, for one).
type Recorder struct {
	// URL is the address to give clients instead of the endpoint's.
	URL  string
	mu   sync.Mutex
	reqs map[string][][]byte
}

// maxRecorded bounds one recorded body (SQS's limit is 1 MiB a batch).
const maxRecorded = 2 << 20

// NewRecorder starts a Recorder in front of endpoint; t.Cleanup stops it.
func NewRecorder(t testing.TB, endpoint string) *Recorder {
	t.Helper()
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatalf("awstest: recorder: %v", err)
	}
	rec := &Recorder{reqs: map[string][][]byte{}}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxRecorded))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		rec.mu.Lock()
		op := r.Header.Get("X-Amz-Target") // the JSON protocols name the operation here
		rec.reqs[op] = append(rec.reqs[op], body)
		rec.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	rec.URL = srv.URL
	return rec
}

// Bodies returns the bodies of the requests for operation (the
// X-Amz-Target header, e.g. "AmazonSQS.SendMessageBatch"), in order.
func (r *Recorder) Bodies(operation string) [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.reqs[operation]...)
}
