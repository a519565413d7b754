package standardwebhooks

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/webhook"
)

// The Standard Webhooks specification's example vector (official*) and an
// illustrative one computed with an independent HMAC implementation
// (illustrative*).
const (
	officialSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	officialID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	officialTS     = 1614265330
	officialBody   = `{"test": 2432232314}`
	officialSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

	illustrativeSecret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	illustrativeID     = "msg_2Zq1example"
	illustrativeTS     = 1767225600
	illustrativeBody   = `{"type":"goal.updated","timestamp":"2026-01-01T00:00:00Z","data":{"id":"g_1"}}`
	illustrativeSig    = "v1,/VT/9tfgzd9zLOYx/AJ1X60T72F0c0DTsCgrh+sQcYM="

	otherSecret = "whsec_c2Vjb25kLXNlY3JldC1mb3ItZ29hbHJlbGF5LXRlc3Rz"
)

func secretJSON(t testing.TB, s Secret) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func request(id string, ts int64, sig, body string) *webhook.Request {
	h := map[string]string{}
	if id != "" {
		h[HeaderID] = id
	}
	if ts != 0 {
		h[HeaderTimestamp] = strconv.FormatInt(ts, 10)
	}
	if sig != "" {
		h[HeaderSignature] = sig
	}
	return &webhook.Request{Method: "POST", Path: "/webhooks/generic", Header: h, Body: []byte(body)}
}

func TestVerify(t *testing.T) {
	official := secretJSON(t, Secret{Secret: officialSecret})
	at := time.Unix(officialTS, 0)
	badB64 := "v1,not*base64!"
	// The right MAC under an unknown scheme name must not count.
	v1aSameBytes := "v1a," + strings.TrimPrefix(officialSig, "v1,")
	wrongSig := "v1," + base64.StdEncoding.EncodeToString(make([]byte, 32))

	tests := []struct {
		name    string
		req     *webhook.Request
		secret  json.RawMessage
		now     time.Time
		wantErr error // nil: accepted
	}{
		{"official vector", request(officialID, officialTS, officialSig, officialBody), official, at, nil},
		{"illustrative vector", request(illustrativeID, illustrativeTS, illustrativeSig, illustrativeBody),
			secretJSON(t, Secret{Secret: illustrativeSecret}), time.Unix(illustrativeTS, 0), nil},
		{"secret without whsec_ prefix", request(officialID, officialTS, officialSig, officialBody),
			secretJSON(t, Secret{Secret: strings.TrimPrefix(officialSecret, SecretPrefix)}), at, nil},
		{"body re-serialised with a space", request(officialID, officialTS, officialSig, `{"test":  2432232314}`), official, at, webhook.ErrUnauthenticated},
		{"body without the space", request(officialID, officialTS, officialSig, `{"test":2432232314}`), official, at, webhook.ErrUnauthenticated},
		{"wrong id", request("msg_other", officialTS, officialSig, officialBody), official, at, webhook.ErrUnauthenticated},
		{"wrong secret", request(officialID, officialTS, officialSig, officialBody), secretJSON(t, Secret{Secret: otherSecret}), at, webhook.ErrUnauthenticated},
		{"wrong signature", request(officialID, officialTS, wrongSig, officialBody), official, at, webhook.ErrUnauthenticated},
		{"missing id", request("", officialTS, officialSig, officialBody), official, at, webhook.ErrUnauthenticated},
		{"missing timestamp", request(officialID, 0, officialSig, officialBody), official, at, webhook.ErrUnauthenticated},
		{"missing signature", request(officialID, officialTS, "", officialBody), official, at, webhook.ErrUnauthenticated},
		{"id with a dot", request("msg.1", officialTS, officialSig, officialBody), official, at, webhook.ErrUnauthenticated},
		{"bad base64", request(officialID, officialTS, badB64, officialBody), official, at, webhook.ErrUnauthenticated},
		{"no comma", request(officialID, officialTS, "v1", officialBody), official, at, webhook.ErrUnauthenticated},
		{"truncated signature", request(officialID, officialTS, officialSig[:20], officialBody), official, at, webhook.ErrUnauthenticated},
		{"several signatures, last valid", request(officialID, officialTS, badB64+" "+wrongSig+" "+officialSig, officialBody), official, at, nil},
		{"several signatures, first valid", request(officialID, officialTS, officialSig+" "+wrongSig, officialBody), official, at, nil},
		{"extra spaces between signatures", request(officialID, officialTS, "  "+wrongSig+"   "+officialSig+" ", officialBody), official, at, nil},
		{"unknown version prefix only", request(officialID, officialTS, v1aSameBytes, officialBody), official, at, webhook.ErrUnauthenticated},
		{"unknown version prefix ignored", request(officialID, officialTS, "v2,abc "+v1aSameBytes+" "+officialSig, officialBody), official, at, nil},
		{"rotation: second configured secret matches", request(officialID, officialTS, officialSig, officialBody),
			secretJSON(t, Secret{Secrets: []string{otherSecret, officialSecret}}), at, nil},
		{"rotation: secret plus secrets", request(officialID, officialTS, officialSig, officialBody),
			secretJSON(t, Secret{Secret: otherSecret, Secrets: []string{officialSecret}}), at, nil},
		{"exactly 5 minutes old", request(officialID, officialTS, officialSig, officialBody), official, at.Add(5 * time.Minute), nil},
		{"exactly 5 minutes ahead", request(officialID, officialTS, officialSig, officialBody), official, at.Add(-5 * time.Minute), nil},
		{"stale", request(officialID, officialTS, officialSig, officialBody), official, at.Add(5*time.Minute + time.Second), webhook.ErrTimestamp},
		{"future", request(officialID, officialTS, officialSig, officialBody), official, at.Add(-5*time.Minute - time.Second), webhook.ErrTimestamp},
		{"stale and badly signed is unauthenticated", request(officialID, officialTS, wrongSig, officialBody), official, at.Add(time.Hour), webhook.ErrUnauthenticated},
		{"timestamp in ms", request(officialID, officialTS*1000, officialSig, officialBody), official, at, webhook.ErrUnauthenticated},
		{"secret not JSON", request(officialID, officialTS, officialSig, officialBody), json.RawMessage(`"whsec_x"`), at, ErrSecret},
		{"secret empty", request(officialID, officialTS, officialSig, officialBody), json.RawMessage(`{}`), at, ErrSecret},
		{"secret not base64", request(officialID, officialTS, officialSig, officialBody), secretJSON(t, Secret{Secret: "whsec_***"}), at, ErrSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Adapter{}.Verify(tt.req, tt.secret, tt.now)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Verify: %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify: %v, want %v", err, tt.wantErr)
			}
			assertNoLeak(t, err, tt.req, officialSecret, otherSecret)
		})
	}
}

func TestVerifyTimestampHeaders(t *testing.T) {
	official := secretJSON(t, Secret{Secret: officialSecret})
	for _, ts := range []string{"+1614265330", "-1614265330", "1614265330.0", "1e9", " 1614265330", "99999999999999999999", "abc"} {
		t.Run(ts, func(t *testing.T) {
			r := request(officialID, 0, officialSig, officialBody)
			r.Header[HeaderTimestamp] = ts
			err := Adapter{}.Verify(r, official, time.Unix(officialTS, 0))
			if !errors.Is(err, webhook.ErrUnauthenticated) {
				t.Fatalf("Verify: %v, want ErrUnauthenticated", err)
			}
		})
	}
}

func TestVerifyCustomTolerance(t *testing.T) {
	official := secretJSON(t, Secret{Secret: officialSecret})
	r := request(officialID, officialTS, officialSig, officialBody)
	a := Adapter{Tolerance: time.Minute}
	if err := a.Verify(r, official, time.Unix(officialTS+60, 0)); err != nil {
		t.Fatalf("at the edge: %v", err)
	}
	if err := a.Verify(r, official, time.Unix(officialTS+61, 0)); !errors.Is(err, webhook.ErrTimestamp) {
		t.Fatalf("past the edge: %v, want ErrTimestamp", err)
	}
}

func assertNoLeak(t *testing.T, err error, r *webhook.Request, secrets ...string) {
	t.Helper()
	msg := err.Error()
	for _, s := range secrets {
		if strings.Contains(msg, s) || strings.Contains(msg, strings.TrimPrefix(s, SecretPrefix)) {
			t.Errorf("error %q contains a secret", msg)
		}
	}
	if sig := r.Header[HeaderSignature]; len(sig) > 8 && strings.Contains(msg, sig) {
		t.Errorf("error %q contains the signature", msg)
	}
	if len(r.Body) > 8 && strings.Contains(msg, string(r.Body)) {
		t.Errorf("error %q contains the body", msg)
	}
}

func TestSign(t *testing.T) {
	tests := []struct {
		name, secret, id string
		ts               int64
		body, want       string
	}{
		{"official", officialSecret, officialID, officialTS, officialBody, officialSig},
		{"illustrative", illustrativeSecret, illustrativeID, illustrativeTS, illustrativeBody, illustrativeSig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Sign(tt.secret, tt.id, time.Unix(tt.ts, 0), []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Sign = %s, want %s", got, tt.want)
			}
		})
	}
	if _, err := Sign("whsec_***", "m", time.Unix(1, 0), nil); !errors.Is(err, ErrSecret) {
		t.Errorf("bad secret: %v, want ErrSecret", err)
	}
	if _, err := Sign(officialSecret, "m.1", time.Unix(1, 0), nil); err == nil {
		t.Error("id with a dot: no error")
	}
}

func TestSignedHeadersRoundTrip(t *testing.T) {
	sec, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	body := []byte(`{"hello":"world"}`)
	h, err := SignedHeaders(sec, "msg_1", now, body)
	if err != nil {
		t.Fatal(err)
	}
	r := &webhook.Request{Header: h, Body: body}
	if err := (Adapter{}).Verify(r, secretJSON(t, Secret{Secret: sec}), now.Add(time.Minute)); err != nil {
		t.Fatalf("Verify of SignedHeaders: %v", err)
	}
}

func TestParseSignatures(t *testing.T) {
	valid := strings.TrimPrefix(officialSig, "v1,")
	tests := []struct {
		name   string
		header string
		want   int
	}{
		{"one", officialSig, 1},
		{"two", officialSig + " " + officialSig, 2},
		{"unknown versions", "v0," + valid + " v1a," + valid + " V1," + valid, 0},
		{"empty", "", 0},
		{"only spaces", "   ", 0},
		{"bad base64 skipped", "v1,@@@ " + officialSig, 1},
		{"wrong length skipped", "v1,AAAA " + officialSig, 1},
		{"url-safe alphabet rejected", "v1," + strings.NewReplacer("+", "-", "/", "_").Replace(valid), 0},
		{"too many entries", strings.Repeat("v0,x ", maxSignatures) + officialSig, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := len(parseSignatures(tt.header)); got != tt.want {
				t.Errorf("parseSignatures: %d signatures, want %d", got, tt.want)
			}
		})
	}
}
