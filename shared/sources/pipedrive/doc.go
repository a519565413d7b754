// Package pipedrive is the Pipedrive webhook source, for webhooks v2
// (meta, data, previous; the default for new webhooks) and the legacy v1
// (v, meta, current, previous, event).
//
// # Authentication
//
// Pipedrive signs nothing; it sends the HTTP Basic credentials given when
// the webhook was created (http_auth_user / http_auth_password). The
// source's secret (its member of the webhook secret JSON) is
//
//	{"username":"...","password":"..."}
//
// and both are compared in constant time over SHA-256 digests, so neither
// content nor length leaks. There is no timestamp and no replay protection;
// deduplication downstream relies on the stable change id.
//
// # Body
//
// One delivery becomes at most one webhook.Change:
//
//   - ID, v2: "pipedrive:<company_id>:<meta.id>" (meta.id is the event's
//     UUID, the same on every retry).
//     ID, v1 (v1 has no event id, and its meta.id is the object's id, so the
//     webhook, the object, the action and the microsecond timestamp stand
//     in): "pipedrive:<company_id>:v1:<webhook_id>:<object>:<meta.id>:<action>:<unix µs>".
//   - Source: "pipedrive/company/<company_id>".
//   - Object: meta.entity (v2) or meta.object (v1), e.g. "deal".
//   - RecordID: meta.entity_id (v2) or meta.id (v1), else data/current/previous id.
//   - Op: OpUpsert for create/change (v2) and added/updated (v1); OpDelete
//     for delete/deleted. Other actions (v1 "merged", which Pipedrive
//     follows with a "deleted") give no changes and no error, so Pipedrive
//     gets a 2xx and does not count a failure towards a ban.
//   - OccurredAt: v2 meta.timestamp; v1 meta.timestamp_micro, else
//     meta.timestamp; else data.update_time / current.update_time on
//     upserts. Timestamps may be numbers or digit strings (seconds,
//     milliseconds, microseconds or nanoseconds, told apart by magnitude) or
//     strings in RFC 3339 or Pipedrive's "2006-01-02 15:04:05" (UTC).
//   - Fields: data (v2) or current (v1) as decoded JSON (numbers are
//     float64, custom_fields stay nested). For deletes, where data is null,
//     previous: the record's last state.
//
// [Source] describes the source; its Open checks the credentials and,
// only when they are right, parses the delivery. Source.Sign (through
// BasicAuth and AuthHeader) builds the Authorization header Pipedrive
// sends, for tests and goalctl send.
//
// The descriptor's ReadBack names the source's CRM read-back client,
// shared/crm/pipedriveapi (deals read back through the API v2).
//
// This package imports only the standard library, package webhook and its
// read-back client; it never imports another adapter.
package pipedrive
