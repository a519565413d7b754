// Package secrets reads goalrelay's secrets from AWS Secrets Manager and
// caches them across Lambda invocations the way the AWS caching library
// (github.com/aws/aws-secretsmanager-caching-go/v2) does: DescribeSecret
// for the AWSCURRENT version, GetSecretValue of that version, the last good
// value kept when Secrets Manager fails (see cache.go). The library itself
// is not used: it imports the SDK's config package, 2 MB of the ingest
// bootstrap.
//
//   - WebhookSecrets: the ingest function's WEBHOOK_SECRETS_ID, a JSON
//     object keyed by source; Source returns one source's member or
//     ErrSourceDisabled when it is absent (404).
//   - CRMCredentials: CRM_CREDENTIALS_ID, the CRMs' API credentials for
//     read-back, in the same shape as the webhook secret (keyed by
//     source); a source without a member is not read back.
//   - AccessKey: the apply function's GAINSIGHT_ACCESS_KEY_SECRET_ID, the
//     raw key or {"accessKey": "..."}; it implements the Gainsight client's
//     AccessKeyProvider, and Refresh forces a re-read after a 401.
//
// Values are cached for Options.TTL (default five minutes; the version is
// checked again after a random time between TTL/2 and TTL), so a rotation
// takes effect without a redeploy. Build them once at init with a Secrets
// Manager client made from the function's aws.Config:
//
//	webhookSecrets, err := secrets.NewWebhookSecrets(secretsmanager.NewFromConfig(cfg), os.Getenv("WEBHOOK_SECRETS_ID"))
//
// and, to change the TTL:
//
//	keys, err := secrets.NewAccessKey(client, secretID, func(o *secrets.Options) {
//		o.TTL = time.Minute
//	})
//
// so that AWS_ENDPOINT_URL_SECRETS_MANAGER (local runs), the region and the
// credentials apply.
//
// Errors name the secret id and never contain a secret value. This package
// does not log and imports nothing from Gainsight or the CRM adapters.
package secrets
