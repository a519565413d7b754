// Package hubspot is goalrelay's source adapter for HubSpot. It verifies
// and parses the two unrelated kinds of HubSpot webhook:
//
//   - Webhooks API deliveries (app subscriptions): a JSON array of up to
//     100 thin events, signed with signature v3 (base64 HMAC-SHA256 over
//     method + URI + body + millisecond timestamp, 5-minute tolerance).
//     Only v3 is accepted for them; the legacy v1 signature that HubSpot
//     sends alongside has no replay protection.
//   - Workflow "Send a webhook" deliveries: one JSON object with the
//     enrolled record, signed with v3 when present, otherwise with the
//     legacy v2 signature (hex SHA-256 of secret + method + URI + body).
//
// The kind is told apart by the body: a JSON array is a Webhooks API
// delivery, anything else is a workflow delivery.
//
// Property-change, creation and deletion events of one record in one
// delivery become one [webhook.Change] carrying every changed property
// (the latest occurredAt per property wins). See [Adapter.Parse] for the
// exact Change shape and id format.
//
// SignV3, SignV2 and SignV1 sign requests the way HubSpot does; tests,
// testevents and the goalctl CLI use them.
//
// This package imports shared/webhook and the standard library only; it
// never imports another CRM adapter, AWS or Gainsight packages.
package hubspot
