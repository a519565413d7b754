package awsenv

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/go-cmp/cmp"
)

// resolved is what the ingest function's clients end up with.
type resolved struct {
	Region, SQSEndpoint, SecretsEndpoint string
	Creds                                aws.Credentials
}

func resolve(t *testing.T, cfg aws.Config) resolved {
	t.Helper()
	creds, err := cfg.Credentials.Retrieve(t.Context())
	if err != nil {
		t.Fatalf("credentials: %v", err)
	}
	creds.Source, creds.CanExpire, creds.Expires = "", false, creds.Expires.UTC()
	return resolved{
		Region:          cfg.Region,
		SQSEndpoint:     aws.ToString(sqs.NewFromConfig(cfg).Options().BaseEndpoint),
		SecretsEndpoint: aws.ToString(secretsmanager.NewFromConfig(cfg).Options().BaseEndpoint),
		Creds:           creds,
	}
}

// TestAWSConfigAsLoadDefaultConfig: for the variables Config reads, the
// clients get the region, endpoints and credentials that
// config.LoadDefaultConfig gives them.
func TestAWSConfigAsLoadDefaultConfig(t *testing.T) {
	const (
		sqsURL     = "http://sqs.local:4566"
		secretsURL = "http://secrets.local:4566"
		globalURL  = "http://all.local:4566"
	)
	creds := []string{"AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret", "AWS_SESSION_TOKEN=token"}
	tests := []struct {
		name string
		env  []string
	}{
		{"Lambda", append(creds, "AWS_REGION=eu-west-1")},
		{"AWS_DEFAULT_REGION", append(creds, "AWS_DEFAULT_REGION=us-west-2")},
		{"AWS_REGION over AWS_DEFAULT_REGION", append(creds, "AWS_REGION=eu-west-1", "AWS_DEFAULT_REGION=us-west-2")},
		{"alternative key names", []string{"AWS_ACCESS_KEY=AKIDEXAMPLE", "AWS_SECRET_KEY=secret", "AWS_ACCOUNT_ID=123456789012", "AWS_REGION=eu-west-1"}},
		{"service endpoints", append(creds, "AWS_REGION=eu-west-1", "AWS_ENDPOINT_URL_SQS="+sqsURL, "AWS_ENDPOINT_URL_SECRETS_MANAGER="+secretsURL)},
		{"global endpoint", append(creds, "AWS_REGION=eu-west-1", "AWS_ENDPOINT_URL="+globalURL)},
		{"service endpoint over global", append(creds, "AWS_REGION=eu-west-1", "AWS_ENDPOINT_URL="+globalURL, "AWS_ENDPOINT_URL_SQS="+sqsURL)},
		{"ignore configured endpoints", append(creds, "AWS_REGION=eu-west-1", "AWS_ENDPOINT_URL="+globalURL, "AWS_ENDPOINT_URL_SQS="+sqsURL,
			"AWS_ENDPOINT_URL_SECRETS_MANAGER="+secretsURL, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=TRUE")},
		{"ignore set to false", append(creds, "AWS_REGION=eu-west-1", "AWS_ENDPOINT_URL_SQS="+sqsURL, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false")},
		// template.yaml declares the endpoint variables empty.
		{"empty service endpoints", append(creds, "AWS_REGION=eu-west-1", "AWS_ENDPOINT_URL_SQS=", "AWS_ENDPOINT_URL_DYNAMODB=", "AWS_ENDPOINT_URL_SECRETS_MANAGER=")},
		{"empty service endpoints and a global one", append(creds, "AWS_REGION=eu-west-1", "AWS_ENDPOINT_URL="+globalURL, "AWS_ENDPOINT_URL_SQS=", "AWS_ENDPOINT_URL_SECRETS_MANAGER=")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t, tt.env)
			want, err := config.LoadDefaultConfig(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			got, err := Config(os.Getenv)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(resolve(t, want), resolve(t, got)); d != "" {
				t.Errorf("resolved (-LoadDefaultConfig +Config):\n%s", d)
			}
		})
	}
}

func TestAWSConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"no credentials", []string{"AWS_REGION=eu-west-1"}, "AWS_ACCESS_KEY_ID"},
		{"bad ignore flag", []string{"AWS_ACCESS_KEY_ID=a", "AWS_SECRET_ACCESS_KEY=b", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=yes"}, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t, tt.env)
			if _, err := Config(os.Getenv); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Config: %v, want an error naming %s", err, tt.want)
			}
		})
	}
}

// isolate clears the AWS variables (and points the shared files nowhere)
// for the test, then sets env.
func isolate(t *testing.T, env []string) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	none := filepath.Join(t.TempDir(), "none")
	t.Setenv("AWS_CONFIG_FILE", none)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", none)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// endpoints are the URLs the functions' clients send their requests to.
type endpoints struct{ SQS, DynamoDB, SecretsManager string }

func resolveEndpoints(t *testing.T, cfg aws.Config) endpoints {
	t.Helper()
	var e endpoints
	q := sqs.NewFromConfig(cfg).Options()
	ep, err := q.EndpointResolverV2.ResolveEndpoint(t.Context(), sqs.EndpointParameters{Region: aws.String(q.Region), Endpoint: q.BaseEndpoint})
	if err != nil {
		t.Fatal(err)
	}
	e.SQS = ep.URI.String()
	d := dynamodb.NewFromConfig(cfg).Options()
	ep, err = d.EndpointResolverV2.ResolveEndpoint(t.Context(), dynamodb.EndpointParameters{Region: aws.String(d.Region), Endpoint: d.BaseEndpoint})
	if err != nil {
		t.Fatal(err)
	}
	e.DynamoDB = ep.URI.String()
	m := secretsmanager.NewFromConfig(cfg).Options()
	ep, err = m.EndpointResolverV2.ResolveEndpoint(t.Context(), secretsmanager.EndpointParameters{Region: aws.String(m.Region), Endpoint: m.BaseEndpoint})
	if err != nil {
		t.Fatal(err)
	}
	e.SecretsManager = ep.URI.String()
	return e
}

// TestEmptyEndpointIsUnset: the functions run with the template's empty
// AWS_ENDPOINT_URL_SQS, _DYNAMODB and _SECRETS_MANAGER. Empty means unset:
// the clients reach AWS's own regional endpoints (or AWS_ENDPOINT_URL when
// that is set), exactly as with the variables absent.
func TestEmptyEndpointIsUnset(t *testing.T) {
	base := []string{"AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret", "AWS_REGION=eu-west-1"}
	empty := []string{"AWS_ENDPOINT_URL_SQS=", "AWS_ENDPOINT_URL_DYNAMODB=", "AWS_ENDPOINT_URL_SECRETS_MANAGER="}
	regional := endpoints{SQS: "https://sqs.eu-west-1.amazonaws.com", DynamoDB: "https://dynamodb.eu-west-1.amazonaws.com", SecretsManager: "https://secretsmanager.eu-west-1.amazonaws.com"}
	const global = "http://all.local:4566"
	tests := []struct {
		name string
		env  []string
		want endpoints
	}{
		{"absent", base, regional},
		{"empty", append(slices.Clone(base), empty...), regional},
		{"empty, with AWS_ENDPOINT_URL", append(append(slices.Clone(base), empty...), "AWS_ENDPOINT_URL="+global), endpoints{global, global, global}},
		{"one set", append(append(slices.Clone(base), empty...), "AWS_ENDPOINT_URL_SQS=http://sqs.local:4566"), endpoints{"http://sqs.local:4566", regional.DynamoDB, regional.SecretsManager}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t, tt.env)
			for _, kv := range tt.env {
				if k, v, _ := strings.Cut(kv, "="); v == "" {
					if _, set := os.LookupEnv(k); !set {
						t.Fatalf("%s is not set (empty)", k)
					}
				}
			}
			cfg, err := Config(os.Getenv)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, resolveEndpoints(t, cfg)); d != "" {
				t.Errorf("endpoints (-want +got):\n%s", d)
			}
		})
	}
}
