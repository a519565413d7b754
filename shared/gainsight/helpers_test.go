package gainsight_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/goalrelay/goalrelay/shared/gainsight"
)

// testKey is the access key the tests send; no golden file or error string
// may contain it.
const testKey = "test-access-key-5f3c9b1e"

// captured is the last request a canned server received.
type captured struct {
	mu     sync.Mutex
	method string
	path   string
	header http.Header
	body   []byte
	n      int
}

func (c *captured) get() (method, path string, header http.Header, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.method, c.path, c.header, c.body
}

// reply is a canned answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// cannedServer answers every request with r and records the last request.
func cannedServer(t testing.TB, r reply) (*httptest.Server, *captured) {
	t.Helper()
	var cap captured
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		cap.mu.Lock()
		cap.method, cap.path, cap.header, cap.body = req.Method, req.URL.Path, req.Header.Clone(), b
		cap.n++
		cap.mu.Unlock()
		for k, v := range r.header {
			w.Header()[k] = v
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		status := r.status
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		w.Write(r.body)
	}))
	t.Cleanup(srv.Close)
	return srv, &cap
}

func newClient(t testing.TB, url string, optFns ...func(*gainsight.Options)) *gainsight.Client {
	t.Helper()
	c, err := gainsight.New(gainsight.Options{BaseURL: url, AccessKey: gainsight.StaticAccessKey(testKey)}, optFns...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func readTestdata(t testing.TB, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"testdata"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
