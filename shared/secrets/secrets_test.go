package secrets_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/goalrelay/goalrelay/shared/secrets"
)

// fakeSM plays Secrets Manager for one secret with AWSCURRENT staging.
type fakeSM struct {
	secrets.Client // other methods: not used; a call panics

	mu        sync.Mutex
	version   int
	values    map[string]string // version id → value
	describes int
	gets      int
	fail      error
}

func newFake(value string) *fakeSM {
	f := &fakeSM{values: map[string]string{}}
	f.put(value)
	return f
}

func (f *fakeSM) put(value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.version++
	f.values[fmt.Sprintf("v%d", f.version)] = value
}

func (f *fakeSM) DescribeSecret(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.describes++
	if f.fail != nil {
		return nil, f.fail
	}
	stages := map[string][]string{}
	for id := range f.values {
		stages[id] = nil
	}
	stages[fmt.Sprintf("v%d", f.version)] = []string{"AWSCURRENT"}
	return &secretsmanager.DescribeSecretOutput{Name: in.SecretId, VersionIdsToStages: stages}, nil
}

func (f *fakeSM) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	if f.fail != nil {
		return nil, f.fail
	}
	v, ok := f.values[aws.ToString(in.VersionId)]
	if !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("no such version")}
	}
	return &secretsmanager.GetSecretValueOutput{Name: in.SecretId, VersionId: in.VersionId, SecretString: aws.String(v)}, nil
}

const webhookJSON = `{"hubspot":{"clientSecret":"hs-secret-1"},"salesforce":{"organizationId":"00D5e000000AbCdEAK"},"dynamics":null}`

func TestWebhookSecretsSource(t *testing.T) {
	f := newFake(webhookJSON)
	w, err := secrets.NewWebhookSecrets(f, "goalrelay/webhooks")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		source  string
		want    string
		wantErr error
	}{
		{source: "hubspot", want: `{"clientSecret":"hs-secret-1"}`},
		{source: "salesforce", want: `{"organizationId":"00D5e000000AbCdEAK"}`},
		{source: "pipedrive", wantErr: secrets.ErrSourceDisabled},
		{source: "dynamics", wantErr: secrets.ErrSourceDisabled},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			got, err := w.Source(t.Context(), tt.source)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Source = %s, %v; want error %v", got, err, tt.wantErr)
			}
			if string(got) != tt.want {
				t.Errorf("Source = %s, want %s", got, tt.want)
			}
		})
	}
	if f.describes != 1 || f.gets != 1 {
		t.Errorf("%d DescribeSecret and %d GetSecretValue calls for 4 reads, want 1 and 1 (cached)", f.describes, f.gets)
	}
}

func TestWebhookSecretsRotation(t *testing.T) {
	f := newFake(webhookJSON)
	w, err := secrets.NewWebhookSecrets(f, "goalrelay/webhooks")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Source(t.Context(), "hubspot"); err != nil {
		t.Fatal(err)
	}
	f.put(`{"hubspot":{"clientSecret":"hs-secret-2"},"pipedrive":{"username":"u","password":"p"}}`)
	// Cached (TTL 5 min): the old value still.
	got, _ := w.Source(t.Context(), "hubspot")
	if !strings.Contains(string(got), "hs-secret-1") {
		t.Errorf("before Refresh: %s", got)
	}
	if err := w.Refresh(t.Context()); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	got, _ = w.Source(t.Context(), "hubspot")
	if !strings.Contains(string(got), "hs-secret-2") {
		t.Errorf("after Refresh: %s", got)
	}
	if _, err := w.Source(t.Context(), "salesforce"); !errors.Is(err, secrets.ErrSourceDisabled) {
		t.Errorf("salesforce removed by rotation: %v, want ErrSourceDisabled", err)
	}

	// With a tiny TTL a rotation is seen without Refresh.
	short, err := secrets.NewWebhookSecrets(f, "goalrelay/webhooks", func(o *secrets.Options) { o.TTL = time.Nanosecond })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := short.Source(t.Context(), "pipedrive"); err != nil {
		t.Fatal(err)
	}
	f.put(`{"pipedrive":{"username":"u2","password":"p2"}}`)
	got, err = short.Source(t.Context(), "pipedrive")
	if err != nil || !strings.Contains(string(got), "u2") {
		t.Errorf("after TTL: %s, %v", got, err)
	}
}

func TestWebhookSecretsBadValue(t *testing.T) {
	tests := []struct {
		name, value string
	}{
		{"not JSON", `hubspot=sekrit-value`},
		{"truncated JSON", `{"hubspot":{"clientSecret":"sekrit-value"`},
		{"array", `["sekrit-value"]`},
		{"string", `"sekrit-value"`},
		{"null", `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := secrets.NewWebhookSecrets(newFake(tt.value), "goalrelay/webhooks")
			if err != nil {
				t.Fatal(err)
			}
			_, err = w.Source(t.Context(), "hubspot")
			if !errors.Is(err, secrets.ErrFormat) {
				t.Fatalf("Source = %v, want ErrFormat", err)
			}
			if strings.Contains(err.Error(), "sekrit") || strings.Contains(err.Error(), "'s'") {
				t.Errorf("error %q quotes the secret", err)
			}
			if !strings.Contains(err.Error(), "goalrelay/webhooks") {
				t.Errorf("error %q does not name the secret", err)
			}
		})
	}
}

func TestReadFailure(t *testing.T) {
	f := newFake("k")
	f.fail = &types.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret.")}
	a, err := secrets.NewAccessKey(f, "goalrelay/gainsight")
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.AccessKey(t.Context())
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("AccessKey = %v, want a ResourceNotFoundException", err)
	}
	if err := a.Refresh(t.Context()); !errors.As(err, &nf) {
		t.Errorf("Refresh = %v, want a ResourceNotFoundException", err)
	}
}

func TestRefreshFailureKeepsLastValue(t *testing.T) {
	f := newFake("key-1")
	a, err := secrets.NewAccessKey(f, "goalrelay/gainsight")
	if err != nil {
		t.Fatal(err)
	}
	if k, err := a.AccessKey(t.Context()); err != nil || k != "key-1" {
		t.Fatalf("AccessKey = %q, %v", k, err)
	}
	f.mu.Lock()
	f.fail = errors.New("connection reset")
	f.mu.Unlock()
	if err := a.Refresh(t.Context()); err == nil {
		t.Error("Refresh: want the error")
	}
	if k, err := a.AccessKey(t.Context()); err != nil || k != "key-1" {
		t.Errorf("after a failed Refresh: %q, %v; want the last good key", k, err)
	}
}

func TestAccessKey(t *testing.T) {
	f := newFake(`{"accessKey": "gs-key-1"}`)
	a, err := secrets.NewAccessKey(f, "goalrelay/gainsight")
	if err != nil {
		t.Fatal(err)
	}
	// It satisfies the Gainsight client's AccessKeyProvider.
	var _ interface {
		AccessKey(ctx context.Context) (string, error)
	} = a
	if k, err := a.AccessKey(t.Context()); err != nil || k != "gs-key-1" {
		t.Fatalf("AccessKey = %q, %v", k, err)
	}
	f.put("gs-key-2\n")
	if k, _ := a.AccessKey(t.Context()); k != "gs-key-1" {
		t.Errorf("cached AccessKey = %q, want gs-key-1", k)
	}
	if err := a.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if k, err := a.AccessKey(t.Context()); err != nil || k != "gs-key-2" {
		t.Errorf("after Refresh: %q, %v; want gs-key-2", k, err)
	}
}

func TestParseAccessKey(t *testing.T) {
	tests := []struct {
		name, value, want string
		wantErr           error
	}{
		{name: "raw", value: "0a1b2c3d-key", want: "0a1b2c3d-key"},
		{name: "raw with newline", value: "0a1b2c3d-key\n", want: "0a1b2c3d-key"},
		{name: "json", value: `{"accessKey":"0a1b2c3d-key"}`, want: "0a1b2c3d-key"},
		{name: "json with other members", value: ` {"accessKey":"0a1b2c3d-key","note":"prod"} `, want: "0a1b2c3d-key"},
		{name: "json without accessKey", value: `{"key":"sekrit-value"}`, wantErr: secrets.ErrFormat},
		{name: "json with empty accessKey", value: `{"accessKey":""}`, wantErr: secrets.ErrFormat},
		{name: "bad json", value: `{"accessKey":sekrit-value}`, wantErr: secrets.ErrFormat},
		{name: "accessKey not a string", value: `{"accessKey":42}`, wantErr: secrets.ErrFormat},
		{name: "empty", value: "  ", wantErr: secrets.ErrFormat},
		{name: "quoted", value: `"sekrit-value"`, wantErr: secrets.ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := secrets.ParseAccessKey(tt.value)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseAccessKey = %q, %v; want error %v", got, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseAccessKey = %q, want %q", got, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "sekrit") {
				t.Errorf("error %q quotes the secret", err)
			}
		})
	}
}

func TestParseWebhookSecrets(t *testing.T) {
	m, err := secrets.ParseWebhookSecrets(`{"generic":{"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},"hubspot":{"clientSecret":"x"}}`)
	if err != nil {
		t.Fatal(err)
	}
	var g struct{ Secret string }
	if err := json.Unmarshal(m["generic"], &g); err != nil || !strings.HasPrefix(g.Secret, "whsec_") {
		t.Errorf("generic = %s, %v", m["generic"], err)
	}
	if len(m) != 2 {
		t.Errorf("%d sources, want 2", len(m))
	}
}

func TestConstructorErrors(t *testing.T) {
	if _, err := secrets.NewAccessKey(nil, "id"); err == nil {
		t.Error("nil client: want an error")
	}
	if _, err := secrets.NewWebhookSecrets(newFake("{}"), ""); err == nil {
		t.Error("empty id: want an error")
	}
	if _, err := secrets.NewWebhookSecrets(newFake("{}"), "id", func(o *secrets.Options) { o.TTL = -time.Second }); err == nil {
		t.Error("negative TTL: want an error")
	}
	if _, err := secrets.NewWebhookSecrets(newFake("{}"), "id", func(o *secrets.Options) { o.TTL = 0 }); err != nil {
		t.Errorf("zero TTL (the default): %v", err)
	}
}

// TestDescribeFailureServesLastValue: when the version check after the TTL
// fails, the last good value is still served (as the AWS caching library
// does), and a secret never read fails with the SDK's error.
func TestDescribeFailureServesLastValue(t *testing.T) {
	f := newFake("key-1")
	a, err := secrets.NewAccessKey(f, "goalrelay/gainsight", func(o *secrets.Options) { o.TTL = time.Nanosecond })
	if err != nil {
		t.Fatal(err)
	}
	if k, err := a.AccessKey(t.Context()); err != nil || k != "key-1" {
		t.Fatalf("AccessKey = %q, %v", k, err)
	}
	f.mu.Lock()
	f.fail = &types.InternalServiceError{Message: aws.String("try later")}
	f.mu.Unlock()
	if k, err := a.AccessKey(t.Context()); err != nil || k != "key-1" {
		t.Errorf("with DescribeSecret failing: %q, %v; want the last good key", k, err)
	}
	if f.describes < 2 {
		t.Errorf("%d DescribeSecret calls, want the TTL to have asked again", f.describes)
	}

	fresh, err := secrets.NewAccessKey(f, "goalrelay/gainsight")
	if err != nil {
		t.Fatal(err)
	}
	var ise *types.InternalServiceError
	if _, err := fresh.AccessKey(t.Context()); !errors.As(err, &ise) || !strings.Contains(err.Error(), "goalrelay/gainsight") {
		t.Errorf("first read failing: %v, want the SDK error naming the secret", err)
	}
}
