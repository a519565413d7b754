package gainsighttest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/goalrelay/goalrelay/shared/gainsight/gainsighttest"
)

// answer is a decoded reply.
type answer struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

// do sends body (a string is sent as is, anything else as JSON) with the
// server's access key.
func do(t *testing.T, s *gainsighttest.Server, method, path string, body any) answer {
	t.Helper()
	return doKey(t, s, s.AccessKey, method, path, body)
}

func doKey(t *testing.T, s *gainsighttest.Server, key, method, path string, body any) answer {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("accesskey", key)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{Status: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &a.Body); err != nil {
			t.Fatalf("%s %s: answer is not a JSON object: %v: %s", method, path, err, raw)
		}
	}
	return a
}

// get walks a decoded body: keys for objects, ints for lists.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any, path ...any) string {
	s, _ := get(v, path...).(string)
	return s
}

func list(v any, path ...any) []any {
	l, _ := get(v, path...).([]any)
	return l
}

// js parses a JSON literal for request bodies.
func js(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad test JSON: %v\n%s", err, s)
	}
	return v
}

// wantOK fails unless the answer is a 200 success envelope.
func wantOK(t *testing.T, a answer) {
	t.Helper()
	if a.Status != http.StatusOK || a.Body["result"] != true {
		t.Fatalf("want 200 result true, got %d: %s", a.Status, a.Raw)
	}
}

// wantException fails unless the answer is a 500 CSGoalException whose
// message starts with prefix.
func wantException(t *testing.T, a answer, prefix string) {
	t.Helper()
	if a.Status != http.StatusInternalServerError || a.Body["exception"] != gainsighttest.CSGoalException ||
		!strings.HasPrefix(str(a.Body, "message"), prefix) {
		t.Fatalf("want 500 CSGoalException %q..., got %d: %s", prefix, a.Status, a.Raw)
	}
}

// wantCode fails unless the answer is an error envelope with status and code.
func wantCode(t *testing.T, a answer, status int, code string) {
	t.Helper()
	if a.Status != status || a.Body["result"] != false || a.Body["errorCode"] != code {
		t.Fatalf("want %d errorCode %s, got %d: %s", status, code, a.Status, a.Raw)
	}
	if rid := str(a.Body, "requestId"); rid == "" || !strings.HasSuffix(str(a.Body, "message"), rid) {
		t.Fatalf("error envelope lacks requestId in message: %s", a.Raw)
	}
}
