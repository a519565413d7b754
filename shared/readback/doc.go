// Package readback finds the CRM reader of an event source: the source
// descriptor whose namespace holds it and that describes a read-back
// (webhook.ReadBack), opened with the source's member of the CRM
// credentials secret (CRM_CREDENTIALS_ID) and its API base URL
// (HUBSPOT_API_URL, PIPEDRIVE_API_URL, or the CRM's own). A source without
// a member in the secret, or without the secret, has no reader: it keeps
// the behaviour it has without read-back. Readers are opened once per
// credentials value, so a rotated secret takes effect within the secret
// cache's TTL, and an opened reader keeps its limiter across invocations.
//
// The apply function (completing a goal that cannot be created from its
// event) and the reconciliation sweep (package reconcile) use it. It
// imports shared/webhook, shared/crm and shared/secrets, never an adapter:
// the descriptors are handed in by the function's main.
package readback
