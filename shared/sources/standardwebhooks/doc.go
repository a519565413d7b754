// Package standardwebhooks is the "generic" webhook source: any sender
// (Salesforce Flow or Apex, an iPaaS, an in-house job, goalctl backfill)
// that writes goalrelay's canonical event itself and signs the request the
// Standard Webhooks way (https://www.standardwebhooks.com, spec 1.0.0).
//
// # Authentication
//
// The request carries three headers:
//
//	webhook-id:        msg_2Zq1example          (no '.')
//	webhook-timestamp: 1767225600               (unix seconds of the attempt)
//	webhook-signature: v1,<base64> [v1,<base64> ...]
//
// Each v1 signature is base64(HMAC-SHA256(key, id + "." + timestamp + "." +
// body)), where key is the base64-decoded secret without its "whsec_"
// prefix. Several signatures may be sent (secret rotation on the sender's
// side) and several secrets may be configured (rotation on ours); one match
// is enough. Entries with another version prefix (e.g. v1a, ed25519) are
// ignored. The timestamp must be within Tolerance (default 5 minutes) of
// now in both directions; a correctly signed request outside it fails with
// webhook.ErrTimestamp, anything else with webhook.ErrUnauthenticated.
//
// The source's secret (its member of the webhook secret JSON) is
//
//	{"secret":"whsec_..."}  or  {"secrets":["whsec_new...","whsec_old..."]}
//
// # Body
//
// The body is one canonical event (package events) or a JSON array of at
// most MaxEvents of them. Each becomes a webhook.Change with Canonical set;
// ID, Source, RecordID (the subject), Op and OccurredAt (the time) repeat
// the event, Object is the event type's entity ("goal", "goaltemplate",
// "metric") and Fields is data.fields. Beyond events.Decode, parsing enforces
// what the JSON Schema (events/schema.json) requires, so nothing it accepts
// breaks the contract downstream; it rejects duplicate ids within a body.
// An empty array is valid and means "nothing to do".
//
// [Source] describes the source (name "generic"); its Open verifies
// the signature and, only when it holds, decodes the events. Sign and
// SignedHeaders (and Source.Sign through them) produce the headers for
// tests, testevents and command-line senders.
//
// This package imports only the standard library, package events and
// package webhook; it never imports another adapter.
package standardwebhooks
