package gainsight

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzCheckResponse feeds arbitrary replies to the classifier: it must not
// panic, must return exactly one of a reply or an error, and every error
// must be one of the package's typed errors.
func FuzzCheckResponse(f *testing.F) {
	seeds := []struct {
		status int
		body   string
	}{
		{200, `{"result":true,"requestId":"r","data":{"goal":{"Gsid":"1CG0"}}}`},
		{200, `{"result":false,"errorCode":"VC_8026","errorInfo":{"usageInLayouts":["x"],"usageInGoals":[{"gsid":"g","name":"n"}],"hasUsage":true}}`},
		{400, `{"result":false,"errorCode":8010,"errorDesc":"INVALID_STATUS_NAME","message":"Invalid status name provided r"}`},
		{500, `{"timestamp":1,"status":500,"error":"Internal Server Error","exception":"com.gainsight.cs.goal.exception.CSGoalException","message":"Invalid StatusName provided in request","path":"/csgoal/external/create"}`},
		{200, `{"recordList":[{"Gsid":"1CG0"}]}`},
		{429, `slow down`},
		{502, `<html>bad gateway</html>`},
		{200, `[1,2,3]`},
		{200, `null`},
		{307, ``},
	}
	f.Add(429, []byte(``), "99999999999999999", false)
	f.Add(503, []byte(``), "Sun, 06 Nov 2994 08:49:37 GMT", false)
	for _, s := range seeds {
		f.Add(s.status, []byte(s.body), "30", true)
	}
	const key = "fz7Hq2LmX9pZ4vR8tN3wY6bK"
	f.Add(502, []byte(strings.Repeat("p", 190)+key), "", false)
	f.Add(400, []byte(`{"result":false,"errorCode":"`+key+`","requestId":"`+key[3:]+`","message":"`+key[:9]+`"}`), "", false)
	c := &Client{now: func() time.Time { return time.Unix(1_800_000_000, 0) }}
	f.Fuzz(func(t *testing.T, status int, body []byte, retryAfter string, bare bool) {
		if status < 100 || status > 999 {
			return
		}
		resp := &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {retryAfter}}}
		rep, err := c.checkResponse(resp, bytes.Clone(body), "POST /x", key, bare)
		if (rep == nil) == (err == nil) {
			t.Fatalf("reply %v and error %v", rep, err)
		}
		if err != nil {
			var api *APIError
			var rl *RateLimitError
			if !errors.As(err, &api) && !errors.As(err, &rl) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			if p := leak(err.Error(), key); p != "" {
				t.Fatalf("error holds %q of the access key: %v", p, err)
			}
			_ = IsRetryable(err)
			if d := RetryAfter(err); d < 0 || d > maxRetryAfter {
				t.Fatalf("RetryAfter %v", d)
			}
		} else if status < 200 || status > 299 {
			t.Fatalf("status %d accepted", status)
		}
	})
}

// keyAlphabet is what access keys are made of in the fuzz targets (keys
// are long random strings of letters, digits, '-' and '_').
const keyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// fuzzKey maps b onto keyAlphabet.
func fuzzKey(b []byte) string {
	k := make([]byte, len(b))
	for i, c := range b {
		k[i] = keyAlphabet[int(c)%len(keyAlphabet)]
	}
	return string(k)
}

// leak returns a piece of key of min(minKeyPiece, len(key)) bytes found in
// s once every "[redacted]" is read as a separator, or "".
func leak(s, key string) string {
	if key == "" {
		return ""
	}
	s = strings.ReplaceAll(s, redacted, "\x00")
	w := min(minKeyPiece, len(key))
	for i := 0; i+w <= len(key); i++ {
		if strings.Contains(s, key[i:i+w]) {
			return key[i : i+w]
		}
	}
	return ""
}

// FuzzRedact builds a text holding a piece of a key (the whole key, or a
// piece cut anywhere) between arbitrary bytes, and checks that the
// redacted text, bounded or not, and the snippet of it never hold a piece
// of the key of minKeyPiece bytes (the whole key when it is shorter), and
// that a bounded text stays within its bound.
func FuzzRedact(f *testing.F) {
	key := []byte("gsAK7Hq2LmX9pZ4vR8tN3wY6bK1cF5dJ0sEuWq3Tz")
	f.Add([]byte(strings.Repeat("p", 190)), []byte(" tail"), key, uint8(0), uint8(255), uint16(200))
	f.Add([]byte(`{"message":"bad accesskey=`), []byte(`"}`), key, uint8(3), uint8(20), uint16(1024))
	f.Add([]byte{}, []byte(strings.Repeat(" w", 100)), key, uint8(30), uint8(255), uint16(0))
	f.Add([]byte("\xff\xfe"), []byte("é"), []byte("short"), uint8(0), uint8(5), uint16(3))
	f.Fuzz(func(t *testing.T, pre, post, keyBytes []byte, from, to uint8, n uint16) {
		k := fuzzKey(keyBytes)
		if k == "" {
			return
		}
		a, b := int(from)%(len(k)+1), int(to)%(len(k)+1)
		if a > b {
			a, b = b, a
		}
		piece := k[a:b]
		if len(piece) < min(minKeyPiece, len(k)) {
			piece = k
		}
		text := string(pre) + piece + string(post) + " " + k
		r := newRedactor(k)
		bound := int(n) % 2048
		outs := map[string]string{
			"text":    r.text(text),
			"bounded": r.bounded(text, bound),
			"snippet": snippet([]byte(text), k),
		}
		for name, out := range outs {
			if p := leak(out, k); p != "" {
				t.Fatalf("%s %q holds %q of key %q (text %q)", name, out, p, k, text)
			}
		}
		// Each redaction replaces at least min(8, len(k)) bytes by 10.
		if max := bound + (bound/min(minKeyPiece, len(k))+1)*(len(redacted)-1) + len(cutMark); len(outs["bounded"]) > max {
			t.Fatalf("bounded to %d: %d bytes", bound, len(outs["bounded"]))
		}
		if utf8.ValidString(text) && !utf8.ValidString(outs["bounded"]) {
			t.Fatalf("bounded text is not valid UTF-8: %q", outs["bounded"])
		}
	})
}
