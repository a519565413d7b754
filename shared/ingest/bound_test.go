package ingest_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/goalrelay/goalrelay/shared/ingest"
	"github.com/goalrelay/goalrelay/shared/mapping"
	"github.com/goalrelay/goalrelay/shared/sources"
	"github.com/goalrelay/goalrelay/shared/webhook"
	"github.com/goalrelay/goalrelay/testevents"
)

// maxLogLine is the bound on every log line the ingest function writes.
const maxLogLine = 16 << 10

// maxReason is the bound on the reason of an answer, in bytes.
const maxReason = 200

// hugeBodies are bodies of about 900 KB that each source refuses, each
// carrying a long value (with a newline and a control character in it)
// that a parse or mapping error may quote.
func hugeBodies(t *testing.T, src *webhook.Source, secret json.RawMessage, now time.Time) map[string][]byte {
	t.Helper()
	long := strings.Repeat("A", 300) + `\n\u0001injected: \"x\"` + strings.Repeat("é", 450_000)
	out := map[string][]byte{
		"junk":          []byte(strings.Repeat("<{x", 300_000)),
		"unterminated":  []byte(`{"id": "` + long),
		"long-string":   []byte(`{"id": "` + long + `"}`),
		"array-strings": []byte(`[{"objectId": "` + long + `"}]`),
	}
	sample, err := src.Sample(webhook.SampleOptions{Now: now, Secret: secret})
	if err != nil {
		t.Fatalf("%s sample: %v", src.Name, err)
	}
	// The sample with one string value at a time replaced by the long
	// one: valid JSON (or XML) whose value cannot be what the source
	// expects, or is mapped into an event that cannot be valid.
	if json.Valid(sample) {
		var longValue string
		if err := json.Unmarshal([]byte(`"`+long+`"`), &longValue); err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			var v any
			if err := json.Unmarshal(sample, &v); err != nil {
				t.Fatal(err)
			}
			n := 0
			var replace func(any) any
			replace = func(v any) any {
				switch x := v.(type) {
				case map[string]any:
					for _, k := range slices.Sorted(maps.Keys(x)) {
						x[k] = replace(x[k])
					}
				case []any:
					for j, e := range x {
						x[j] = replace(e)
					}
				case string:
					n++
					if n-1 == i {
						return longValue
					}
				}
				return v
			}
			v = replace(v)
			if i >= n {
				break
			}
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			out[fmt.Sprintf("sample-value-%d", i)] = b
		}
	} else {
		// XML: lengthen the text of one element at a time.
		parts := bytes.Split(sample, []byte("</"))
		for i := 1; i < len(parts); i++ {
			b := bytes.Join(parts[:i], []byte("</"))
			b = append(b, strings.Repeat("Z", 800_000)+"\x01</"...)
			b = append(b, bytes.Join(parts[i:], []byte("</"))...)
			out[fmt.Sprintf("sample-value-%d", i)] = b
		}
	}
	return out
}

// TestHugeBodyBounded sends malformed bodies of about 900 KB, correctly
// signed, to every source, and checks that no log line exceeds 16 KiB and
// that the answer's reason quotes at most 200 bytes, on one line.
func TestHugeBodyBounded(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	secrets := testevents.NewSecrets()
	for _, src := range sources.All() {
		secret := secrets[src.Name]
		for name, body := range hugeBodies(t, src, secret, now) {
			t.Run(src.Name+"/"+name, func(t *testing.T) {
				url := "https://abc.execute-api.us-east-1.amazonaws.com/webhooks/" + src.Name
				headers, err := src.Sign(secret, webhook.Delivery{URL: url, Body: body, Time: now})
				if err != nil {
					t.Fatal(err)
				}
				req := request(src.Name, string(body), headers)
				var logs bytes.Buffer
				svc := &ingest.Service{
					Sources:   sources.All(),
					Secrets:   secrets,
					Mapper:    mapping.Default(),
					Publisher: &fakePublisher{},
					Now:       func() time.Time { return now },
					Log:       slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
				}
				resp, err := svc.Handle(t.Context(), req)
				if err != nil {
					t.Fatal(err)
				}
				for i, line := range strings.Split(strings.TrimSuffix(logs.String(), "\n"), "\n") {
					if len(line) > maxLogLine {
						t.Errorf("log line %d is %d bytes (max %d): %.300s...", i, len(line), maxLogLine, line)
					}
				}
				if resp.StatusCode < 400 {
					return // a long value the source and mapping accept
				}
				why := answerReason(t, src, resp.Body)
				if len(why) > maxReason {
					t.Errorf("reason is %d bytes (max %d): %.300s...", len(why), maxReason, why)
				}
				if !utf8.ValidString(why) {
					t.Errorf("reason is not valid UTF-8: %q", why)
				}
				if i := strings.IndexFunc(why, unicode.IsControl); i >= 0 {
					t.Errorf("reason carries a control character at %d: %q", i, why)
				}
				if len(resp.Body) > 2048 {
					t.Errorf("answer is %d bytes", len(resp.Body))
				}
			})
		}
	}
}

// answerReason is the reason an answer carries: the JSON answer's error,
// or the faultstring of a SOAP Fault.
func answerReason(t *testing.T, src *webhook.Source, body string) string {
	t.Helper()
	if src.Respond == nil {
		var a struct{ Error string }
		if err := json.Unmarshal([]byte(body), &a); err != nil {
			t.Fatalf("answer %q: %v", body, err)
		}
		return a.Error
	}
	var env struct {
		Fault struct {
			String string `xml:"faultstring"`
		} `xml:"Body>Fault"`
	}
	if err := xml.Unmarshal([]byte(body), &env); err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
	return env.Fault.String
}
