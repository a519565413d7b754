package dynamics

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/goalrelay/goalrelay/shared/webhook"
)

const (
	testKey   = "k3y-0f-exactly-32-characters-xx"
	rotateKey = "an0ther-rotated-value-of-another-length"
)

func TestVerify(t *testing.T) {
	std := json.RawMessage(`{"header":"x-goalrelay-key","value":"` + testKey + `"}`)
	withCode := json.RawMessage(`{"header":"x-goalrelay-key","value":"` + testKey + `","queryParam":"code"}`)
	req := func(header map[string]string, query string) *webhook.Request {
		return &webhook.Request{Method: "POST", Path: "/webhooks/dynamics", RawQuery: query, Header: header, Body: []byte(`{}`)}
	}
	sameLength := strings.Repeat("x", len(testKey))
	tests := []struct {
		name    string
		r       *webhook.Request
		secret  json.RawMessage
		wantErr error
	}{
		{"right header", req(map[string]string{"x-goalrelay-key": testKey}, ""), std, nil},
		{"header name case-insensitive in the secret", req(map[string]string{"x-goalrelay-key": testKey}, ""),
			json.RawMessage(`{"header":"X-GoalRelay-Key","value":"` + testKey + `"}`), nil},
		{"header name case-insensitive in the request", req(map[string]string{"X-Goalrelay-KEY": testKey}, ""), std, nil},
		{"default header", req(map[string]string{"x-goalrelay-key": testKey}, ""), json.RawMessage(`{"value":"` + testKey + `"}`), nil},
		{"custom header", req(map[string]string{"x-functions-key": testKey}, ""), json.RawMessage(`{"header":"x-functions-key","value":"` + testKey + `"}`), nil},
		{"missing header", req(map[string]string{"content-type": "application/json"}, ""), std, webhook.ErrUnauthenticated},
		{"empty header", req(map[string]string{"x-goalrelay-key": ""}, ""), std, webhook.ErrUnauthenticated},
		{"wrong value, same length", req(map[string]string{"x-goalrelay-key": sameLength}, ""), std, webhook.ErrUnauthenticated},
		{"wrong value, shorter", req(map[string]string{"x-goalrelay-key": testKey[:10]}, ""), std, webhook.ErrUnauthenticated},
		{"wrong value, longer", req(map[string]string{"x-goalrelay-key": testKey + "x"}, ""), std, webhook.ErrUnauthenticated},
		{"value with surrounding space", req(map[string]string{"x-goalrelay-key": " " + testKey}, ""), std, webhook.ErrUnauthenticated},
		{"value in another header", req(map[string]string{"x-other": testKey}, ""), std, webhook.ErrUnauthenticated},
		{"rotation: new value", req(map[string]string{"x-goalrelay-key": rotateKey}, ""),
			json.RawMessage(`{"header":"x-goalrelay-key","values":["` + testKey + `","` + rotateKey + `"]}`), nil},
		{"rotation: value plus values", req(map[string]string{"x-goalrelay-key": rotateKey}, ""),
			json.RawMessage(`{"header":"x-goalrelay-key","value":"` + testKey + `","values":["` + rotateKey + `"]}`), nil},
		{"code query not enabled", req(map[string]string{}, "code="+testKey), std, webhook.ErrUnauthenticated},
		{"code query enabled", req(map[string]string{}, "code="+testKey), withCode, nil},
		{"code query enabled, wrong", req(map[string]string{}, "code="+sameLength), withCode, webhook.ErrUnauthenticated},
		{"code query enabled, header preferred", req(map[string]string{"x-goalrelay-key": sameLength}, "code="+testKey), withCode, webhook.ErrUnauthenticated},
		{"secret not JSON", req(map[string]string{"x-goalrelay-key": testKey}, ""), json.RawMessage(`"` + testKey + `"`), ErrSecret},
		{"secret without value", req(map[string]string{"x-goalrelay-key": ""}, ""), json.RawMessage(`{"header":"x-goalrelay-key"}`), ErrSecret},
		{"secret with an empty value", req(map[string]string{"x-goalrelay-key": ""}, ""), json.RawMessage(`{"values":["a",""]}`), ErrSecret},
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
			if tt.wantErr == ErrSecret && errors.Is(err, webhook.ErrUnauthenticated) {
				t.Errorf("a configuration error must not look like the sender's fault")
			}
			for _, s := range []string{testKey, rotateKey, sameLength, testKey[:10]} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q leaks a secret or presented value", err)
				}
			}
		})
	}
}

func TestAuthHeader(t *testing.T) {
	secret := json.RawMessage(`{"header":"X-GoalRelay-Key","values":["` + testKey + `","` + rotateKey + `"]}`)
	name, value, err := AuthHeader(secret)
	if err != nil {
		t.Fatal(err)
	}
	if name != "x-goalrelay-key" || value != testKey {
		t.Errorf("AuthHeader = %q, %q", name, value)
	}
	r := &webhook.Request{Header: map[string]string{name: value}}
	if err := (Adapter{}).Verify(r, secret, time.Time{}); err != nil {
		t.Errorf("Verify with AuthHeader: %v", err)
	}
	if _, _, err := AuthHeader(json.RawMessage(`{}`)); !errors.Is(err, ErrSecret) {
		t.Errorf("AuthHeader({}) = %v, want ErrSecret", err)
	}
}
