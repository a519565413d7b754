package secrets_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/goalrelay/goalrelay/shared/devtools/awstest"
	"github.com/goalrelay/goalrelay/shared/secrets"
)

// TestMotoSecrets reads, caches and rotates secrets on moto_server, with a
// client built the way the functions build theirs: config.LoadDefaultConfig
// with the endpoint from AWS_ENDPOINT_URL_SECRETS_MANAGER.
func TestMotoSecrets(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test (moto_server)")
	}
	m := awstest.NewMoto(t)
	for _, kv := range m.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	sm := secretsmanager.NewFromConfig(cfg)

	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("goalrelay/gainsight"), SecretString: aws.String(`{"accessKey":"gs-key-1"}`),
	}); err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String("goalrelay/webhooks"),
		SecretString: aws.String(`{"hubspot":{"clientSecret":"hs-1"},"generic":{"secret":"whsec_dGVzdA=="}}`),
	}); err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}

	t.Run("access key", func(t *testing.T) {
		a, err := secrets.NewAccessKey(sm, "goalrelay/gainsight")
		if err != nil {
			t.Fatal(err)
		}
		if k, err := a.AccessKey(ctx); err != nil || k != "gs-key-1" {
			t.Fatalf("AccessKey = %q, %v", k, err)
		}
		if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
			SecretId: aws.String("goalrelay/gainsight"), SecretString: aws.String("gs-key-2"),
		}); err != nil {
			t.Fatalf("PutSecretValue: %v", err)
		}
		if k, _ := a.AccessKey(ctx); k != "gs-key-1" {
			t.Errorf("within the TTL: %q, want the cached gs-key-1", k)
		}
		if err := a.Refresh(ctx); err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		if k, err := a.AccessKey(ctx); err != nil || k != "gs-key-2" {
			t.Errorf("after Refresh: %q, %v; want gs-key-2", k, err)
		}
	})

	t.Run("webhook secrets", func(t *testing.T) {
		w, err := secrets.NewWebhookSecrets(sm, "goalrelay/webhooks", func(o *secrets.Options) { o.TTL = time.Nanosecond })
		if err != nil {
			t.Fatal(err)
		}
		got, err := w.Source(ctx, "hubspot")
		if err != nil || string(got) != `{"clientSecret":"hs-1"}` {
			t.Fatalf("Source(hubspot) = %s, %v", got, err)
		}
		if _, err := w.Source(ctx, "salesforce"); !errors.Is(err, secrets.ErrSourceDisabled) {
			t.Errorf("Source(salesforce) = %v, want ErrSourceDisabled", err)
		}
		if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
			SecretId:     aws.String("goalrelay/webhooks"),
			SecretString: aws.String(`{"hubspot":{"clientSecret":"hs-2"},"salesforce":{"organizationId":"00D5e000000AbCdEAK"}}`),
		}); err != nil {
			t.Fatalf("PutSecretValue: %v", err)
		}
		// The TTL has passed: the rotation is seen without Refresh.
		got, err = w.Source(ctx, "hubspot")
		if err != nil || string(got) != `{"clientSecret":"hs-2"}` {
			t.Errorf("after rotation: %s, %v", got, err)
		}
		if _, err := w.Source(ctx, "salesforce"); err != nil {
			t.Errorf("salesforce after rotation: %v", err)
		}
	})

	t.Run("missing secret", func(t *testing.T) {
		a, err := secrets.NewAccessKey(sm, "goalrelay/nope")
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.AccessKey(ctx)
		if err == nil || !strings.Contains(err.Error(), "goalrelay/nope") {
			t.Errorf("AccessKey = %v, want an error naming the secret", err)
		}
	})
}
