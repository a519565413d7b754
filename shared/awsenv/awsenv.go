package awsenv

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Config builds the clients' aws.Config from the Lambda environment,
// reading through getenv (os.Getenv in main). It stands in for
// config.LoadDefaultConfig, whose package (shared config files, SSO, STS,
// IMDS and container credentials) is 2 MB of a bootstrap that must stay
// under 10 MB, and reads the same variables with the same precedence:
//
//   - region: AWS_REGION, else AWS_DEFAULT_REGION;
//   - credentials: AWS_ACCESS_KEY_ID (else AWS_ACCESS_KEY) and
//     AWS_SECRET_ACCESS_KEY (else AWS_SECRET_KEY), with AWS_SESSION_TOKEN
//     and AWS_ACCOUNT_ID: what Lambda sets from the execution role;
//   - endpoints: AWS_ENDPOINT_URL_<SERVICE> (AWS_ENDPOINT_URL_SQS,
//     AWS_ENDPOINT_URL_SECRETS_MANAGER), else AWS_ENDPOINT_URL; none when
//     AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true. As with
//     LoadDefaultConfig, AWS_ENDPOINT_URL becomes BaseEndpoint and the
//     service variables are answered through ConfigSources, so each
//     client's own endpoint resolution applies the precedence.
//
// Nothing else is read: no ~/.aws files or AWS_PROFILE, no web identity,
// container or instance credentials (Lambda provides none of these to a
// function), no AWS_MAX_ATTEMPTS / AWS_RETRY_MODE (the clients keep the
// SDK's standard retryer), no FIPS or dual-stack settings. Credentials are
// required, so a misconfigured environment fails at init.
func Config(getenv func(string) string) (aws.Config, error) {
	src := envSource{getenv}
	ignore, _, err := src.GetIgnoreConfiguredEndpoints(context.Background())
	if err != nil {
		return aws.Config{}, err
	}
	cfg := aws.Config{
		Region:        first(getenv, "AWS_REGION", "AWS_DEFAULT_REGION"),
		ConfigSources: []any{src},
	}
	if u := getenv("AWS_ENDPOINT_URL"); u != "" && !ignore {
		cfg.BaseEndpoint = aws.String(u)
	}
	id, secret := first(getenv, "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"), first(getenv, "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY")
	if id == "" || secret == "" {
		return aws.Config{}, errors.New("AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (Lambda sets them from the execution role)")
	}
	cfg.Credentials = credentials.StaticCredentialsProvider{Value: aws.Credentials{
		AccessKeyID:     id,
		SecretAccessKey: secret,
		SessionToken:    getenv("AWS_SESSION_TOKEN"),
		AccountID:       getenv("AWS_ACCOUNT_ID"),
		Source:          "EnvConfigCredentials",
	}}
	return cfg, nil
}

func first(getenv func(string) string, keys ...string) string {
	for _, k := range keys {
		if v := getenv(k); v != "" {
			return v
		}
	}
	return ""
}

// envSource answers the SDK clients' configured-endpoint questions from the
// environment, as the config package's EnvConfig does.
type envSource struct{ getenv func(string) string }

// GetIgnoreConfiguredEndpoints reads AWS_IGNORE_CONFIGURED_ENDPOINT_URLS.
func (e envSource) GetIgnoreConfiguredEndpoints(context.Context) (value, found bool, err error) {
	v := e.getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
	switch {
	case v == "":
		return false, false, nil
	case strings.EqualFold(v, "true"):
		return true, true, nil
	case strings.EqualFold(v, "false"):
		return false, true, nil
	}
	return false, false, fmt.Errorf("invalid value for environment variable, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=%s, need true or false", v)
}

// GetServiceBaseEndpoint reads AWS_ENDPOINT_URL_<SERVICE>, the SDK id upper
// case with spaces as underscores ("Secrets Manager" →
// AWS_ENDPOINT_URL_SECRETS_MANAGER).
func (e envSource) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	if v := e.getenv("AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_")); v != "" {
		return v, true, nil
	}
	return "", false, nil
}
