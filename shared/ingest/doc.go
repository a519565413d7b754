// Package ingest is the webhook boundary: it takes an API Gateway HTTP API
// (payload 2.0) request on POST /webhooks/{source}, opens it with the
// source's descriptor (webhook.Source.Open: verification and parsing in one
// step) and secret, bounds it by the source's documented batch size, maps it
// to canonical events, publishes them to the queue, and answers the CRM in
// its own protocol.
//
// The outcome of every request is decided in one table (status in
// outcome.go): 401 bad or stale authentication, 403 a sender address
// outside the source's allowedSourceIps (checked before the body is read),
// 404 unknown or disabled source, 413 body over the limit, 400 malformed or
// unmappable body with a JSON reason, 2xx once every event is in the queue
// (or when there was nothing to queue), 503 when the queue or the secret
// store fails (or the secret's policy is unusable) so the CRM retries.
// Nothing from a rejected request reaches the queue.
//
// The trust boundary (boundary.go) also refuses with 400 an event dated
// more than MAX_FUTURE_SKEW ahead of now, and an event outside what its
// source may write: a CRM source only its own namespace, the generic source
// no other source's unless its secret's allowedSources lists it.
//
// An event that sets a relay-owned field in data.fields (Gsid, the default
// external-id field goalrelay_external_id__gc, or a Gainsight system field
// such as ModifiedDate, in any letter case; see events.IsOwnedField) is
// refused with 400 whether a generic-source sender wrote it or the mapping
// produced it (checkOwned in owned.go); the reason names the field, never
// its value.
//
// It logs one JSON line per request (through the logger it is given) with
// the request id, source, status and counts, and at debug level one line per
// queued event (event_id, event_type, source); never a secret, a signature
// or a body.
//
// Given a Metrics recorder it also writes one CloudWatch Embedded Metric
// Format line per request (metrics.go): Webhooks 1 and EventsQueued, with
// the dimensions Source (a known source's name, else "unknown") and Outcome
// ("accepted" or the refusal's status, "401"), which the template's refusal
// alarms watch.
//
// A failure's text can quote the request (a parse or mapping error quotes
// the value it refused), so it is bounded where it is used (bound.go): the
// answer's reason is put on one line (control characters written as Go
// escapes such as \n) and cut to 200 bytes at a character boundary, ending
// with "…"; the reason or error of a log line likewise to 1 KiB. The
// functions also wrap their log handler in package logbound, which bounds
// every line whatever its attributes.
//
// ConfigFromEnv reads the function's environment (QUEUE_URL,
// WEBHOOK_SECRETS_ID, PUBLIC_BASE_URL, MAPPING_FILE, MAX_BODY_BYTES,
// MAX_FUTURE_SKEW);
// functions/ingest hands it the list of package sources, so that it only
// wires. This package composes the sources it is given and the mapping; it builds no
// AWS client and makes no call of its own (the queue and the secret store
// come in as interfaces; packages queue and secrets are imported for their
// errors only) and imports nothing from Gainsight. Subpackage ingesttest sets up the
// AWS side on moto_server for integration tests.
package ingest
