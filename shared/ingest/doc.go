// Package ingest is the webhook boundary: it takes an API Gateway HTTP API
// (payload 2.0) request on POST /webhooks/{source}, verifies it with the
// source's adapter and secret, maps it to canonical events, publishes them
// to the queue, and answers the CRM in its own protocol.
//
// The outcome of every request is decided in one table (status in
// outcome.go): 401 bad or stale authentication, 404 unknown or disabled
// source, 413 body over the limit, 400 malformed or unmappable body with a
// JSON reason, 2xx once every event is in the queue (or when there was
// nothing to queue), 503 when the queue or the secret store fails so the CRM
// retries. Nothing from a rejected request reaches the queue.
//
// It logs one JSON line per request (through the logger it is given) with
// the request id, source, status and counts; never a secret, a signature
// or a body.
package ingest
