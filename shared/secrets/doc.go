// Package secrets reads goalrelay's secrets from AWS Secrets Manager and
// caches them across Lambda invocations with the AWS caching library
// (github.com/aws/aws-secretsmanager-caching-go/v2):
//
//   - WebhookSecrets: the ingest function's WEBHOOK_SECRETS_ID, a JSON
//     object keyed by source; Source returns one source's member or
//     ErrSourceDisabled when it is absent (404).
//   - AccessKey: the apply function's GAINSIGHT_ACCESS_KEY_SECRET_ID, the
//     raw key or {"accessKey": "..."}; it implements the Gainsight client's
//     AccessKeyProvider, and Refresh forces a re-read after a 401.
//
// Values are cached for a TTL (default five minutes; the library refreshes
// after a random time between TTL/2 and TTL), so a rotation takes effect
// without a redeploy. Build them once at init with a Secrets Manager client
// made from the function's aws.Config:
//
//	cfg, _ := config.LoadDefaultConfig(ctx)
//	webhookSecrets, err := secrets.NewWebhookSecrets(secretsmanager.NewFromConfig(cfg), os.Getenv("WEBHOOK_SECRETS_ID"))
//
// so that AWS_ENDPOINT_URL_SECRETS_MANAGER (local runs) applies; the
// library would otherwise build a client from a default config of its own.
//
// Errors name the secret id and never contain a secret value. This package
// does not log and imports nothing from Gainsight or the CRM adapters.
package secrets
