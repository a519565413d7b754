package pipedrive

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/webhook"
)

// An illustrative Basic-auth header as Pipedrive sends it with a webhook's
// HTTP auth user and password: base64 of "relay:s3cr3t-password".
const (
	refAuth   = "Basic cmVsYXk6czNjcjN0LXBhc3N3b3Jk"
	refSecret = `{"username":"relay","password":"s3cr3t-password"}`
)

func TestVerify(t *testing.T) {
	secret := json.RawMessage(refSecret)
	req := func(auth string) *webhook.Request {
		h := map[string]string{"content-type": "application/json"}
		if auth != "" {
			h["authorization"] = auth
		}
		return &webhook.Request{Method: "POST", Path: "/webhooks/pipedrive", Header: h, Body: []byte(`{}`)}
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name    string
		r       *webhook.Request
		secret  json.RawMessage
		wantErr error
	}{
		{"reference sample", req(refAuth), secret, nil},
		{"BasicAuth helper", req(BasicAuth("relay", "s3cr3t-password")), secret, nil},
		{"scheme case-insensitive", req("basic " + b64("relay:s3cr3t-password")), secret, nil},
		{"password with a colon", req(BasicAuth("relay", "a:b:c")), json.RawMessage(`{"username":"relay","password":"a:b:c"}`), nil},
		{"missing header", req(""), secret, webhook.ErrUnauthenticated},
		{"bearer scheme", req("Bearer " + b64("relay:s3cr3t-password")), secret, webhook.ErrUnauthenticated},
		{"scheme only", req("Basic "), secret, webhook.ErrUnauthenticated},
		{"bad base64", req("Basic %%%"), secret, webhook.ErrUnauthenticated},
		{"no colon", req("Basic " + b64("relays3cr3t-password")), secret, webhook.ErrUnauthenticated},
		{"wrong password, same length", req(BasicAuth("relay", "s3cr3t-passwore")), secret, webhook.ErrUnauthenticated},
		{"wrong password, different length", req(BasicAuth("relay", "s3cr3t")), secret, webhook.ErrUnauthenticated},
		{"wrong username", req(BasicAuth("relax", "s3cr3t-password")), secret, webhook.ErrUnauthenticated},
		{"empty credentials", req("Basic " + b64(":")), secret, webhook.ErrUnauthenticated},
		{"swapped", req(BasicAuth("s3cr3t-password", "relay")), secret, webhook.ErrUnauthenticated},
		{"secret not JSON", req(refAuth), json.RawMessage(`relay`), ErrSecret},
		{"secret without password", req(BasicAuth("relay", "")), json.RawMessage(`{"username":"relay"}`), ErrSecret},
		{"secret without username", req(BasicAuth("", "p")), json.RawMessage(`{"password":"p"}`), ErrSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Adapter{}.Verify(tt.r, tt.secret, time.Time{})
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Verify: %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify: %v, want %v", err, tt.wantErr)
			}
			for _, s := range []string{"s3cr3t", "cmVsYXk6", tt.r.Header["authorization"]} {
				if s != "" && len(s) > 6 && strings.Contains(err.Error(), s) {
					t.Errorf("error %q leaks credentials", err)
				}
			}
		})
	}
}

func TestAuthHeader(t *testing.T) {
	got, err := AuthHeader(json.RawMessage(refSecret))
	if err != nil || got != refAuth {
		t.Errorf("AuthHeader = %q, %v; want %q", got, err, refAuth)
	}
	if _, err := AuthHeader(json.RawMessage(`{}`)); !errors.Is(err, ErrSecret) {
		t.Errorf("AuthHeader({}) = %v, want ErrSecret", err)
	}
}
