package gainsighttest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
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

// wantSpring fails unless the answer is the Spring-style body of an
// unmapped path (404) or an unsupported method (405, with Allow).
func wantSpring(t *testing.T, a answer, status int, path string) {
	t.Helper()
	if a.Status != status || a.Body["status"] != float64(status) || str(a.Body, "error") != http.StatusText(status) ||
		str(a.Body, "path") != path || a.Body["result"] != nil {
		t.Fatalf("want a Spring-style %d for %s, got %d: %s", status, path, a.Status, a.Raw)
	}
	if status == http.StatusMethodNotAllowed && a.Header.Get("Allow") == "" {
		t.Fatalf("405 without Allow: %s", a.Raw)
	}
}

// wantSampleShape fails unless the answer has the shape of the spec's
// sample reply ../testdata/replies/<name>: the same members in every object
// (a member that only some entries of a sample list carry is optional),
// values of the same JSON kind, and, where the sample shows an empty
// object, an empty list or null, exactly that: the spec never shows what
// they hold otherwise.
func wantSampleShape(t *testing.T, a answer, name string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "replies", name))
	if err != nil {
		t.Fatal(err)
	}
	var sample any
	if err := json.Unmarshal(raw, &sample); err != nil {
		t.Fatal(err)
	}
	var got any = map[string]any(a.Body)
	if msg := shapeDiff("", sample, got); msg != "" {
		t.Fatalf("answer differs from the shape of the spec's %s: %s\n%s", name, msg, a.Raw)
	}
}

func shapeDiff(at string, want, got any) string {
	switch w := want.(type) {
	case nil:
		if got != nil {
			return at + ": want null"
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return at + ": want an object"
		}
		if len(w) == 0 && len(g) != 0 {
			return at + ": want {}"
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				return at + "." + k + ": not in the sample"
			}
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return at + "." + k + ": missing"
			}
			if msg := shapeDiff(at+"."+k, wv, gv); msg != "" {
				return msg
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			return at + ": want a list"
		}
		if len(w) == 0 {
			if len(g) != 0 {
				return at + ": want []"
			}
			return ""
		}
		// Entries are compared with the union of the sample entries'
		// members; members all sample entries carry are required.
		union, common := map[string]any{}, map[string]bool{}
		for i, e := range w {
			m, ok := e.(map[string]any)
			if !ok {
				return shapeDiff(at+"[0]", w[0], firstOr(g))
			}
			for k, v := range m {
				union[k] = v
				if i == 0 {
					common[k] = true
				}
			}
			for k := range common {
				if _, ok := m[k]; !ok {
					delete(common, k)
				}
			}
		}
		for i, e := range g {
			m, ok := e.(map[string]any)
			if !ok {
				return fmt.Sprintf("%s[%d]: want an object", at, i)
			}
			for k := range m {
				if _, ok := union[k]; !ok {
					return fmt.Sprintf("%s[%d].%s: not in the sample", at, i, k)
				}
				if msg := shapeDiff(fmt.Sprintf("%s[%d].%s", at, i, k), union[k], m[k]); msg != "" {
					return msg
				}
			}
			for k := range common {
				if _, ok := m[k]; !ok {
					return fmt.Sprintf("%s[%d].%s: missing", at, i, k)
				}
			}
		}
	case string:
		if _, ok := got.(string); !ok && !(at == ".requestId") {
			return at + ": want a string"
		}
	case float64:
		if _, ok := got.(float64); !ok {
			return at + ": want a number"
		}
	case bool:
		if _, ok := got.(bool); !ok {
			return at + ": want a boolean"
		}
	}
	return ""
}

func firstOr(l []any) any {
	if len(l) == 0 {
		return nil
	}
	return l[0]
}
