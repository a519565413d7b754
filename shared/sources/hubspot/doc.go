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
// (the latest occurredAt per property wins). See the parse function (reached through Source.Open) for the
// exact Change shape and id format.
//
// # Workflow deliveries
//
// HubSpot documents the workflow body as "the exact same data you'd get
// when pulling that object using the relevant object API" but not which
// API version, and admins may send a custom body instead, so three shapes
// of one JSON object are accepted:
//
//   - CRM v3 object: {"id":"901","properties":{"dealname":"…",…},
//     "createdAt":…,"updatedAt":"2026-…Z","archived":false}
//   - legacy v1 object: {"portalId":62515,"dealId":901,"isDeleted":false,
//     "properties":{"dealname":{"value":"…","timestamp":…,"versions":[…]},…}}
//   - custom body: flat {"hs_object_id":"901","dealname":"…",
//     "hs_lastmodifieddate":"1764237600000",…}
//
// Fields are the members of "properties" (a {"value":…} wrapper is
// unwrapped) or, without "properties", every top-level member; numbers
// become float64.
//
// RecordID is the first of objectId, id, hs_object_id (top level, then in
// properties), dealId, companyId, vid, canonical-vid. The portal is
// portalId or portal-id from the body, else the portalId query parameter
// of the webhook URL. Object is the object query parameter (e.g.
// ?object=deal; "deals" and "0-3" are accepted too), else a top-level
// objectType member, else inferred from dealId/companyId/vid; a CRM v3
// body names no object type, so the URL must. OccurredAt is
// hs_lastmodifieddate or lastmodifieddate (top level, then in properties;
// Unix ms or RFC 3339), else updatedAt; a body without one is unmappable,
// because a time of receipt would make the id differ on every retry.
// archived or isDeleted true gives OpDelete.
//
// The Change ID is "hubspot:<portalId>:<object>:<recordId>:<ms>:workflow":
// a retry resends the same record state and so gets the same id, and the
// suffix keeps it apart from a Webhooks API change of the same record and
// time.
//
// [Source] describes the source for the ingest function, goalctl and the
// tests: its Sign signs with v3 (default) or v2, as HubSpot does, through
// SignV3 and SignV2; SignV1 exists to test that v1 alone is refused.
//
// The descriptor's ReadBack names the source's CRM read-back client,
// shared/crm/hubspotapi (deals read back through the CRM v3 API).
//
// This package imports shared/webhook, its read-back client and the
// standard library only; it never imports another CRM adapter, AWS or
// Gainsight packages.
package hubspot
