// Package testevents builds the Lambda events in this directory: API Gateway
// HTTP API (payload 2.0) requests for every webhook source, signed with the
// test secrets below, and SQS events for the apply function. The same
// events feed `sam local invoke -e testevents/<file>.json`, the in-process
// tests, the moto_server integration tests and the aws-lambda-rie test.
//
// HubSpot v3 and Standard Webhooks signatures carry a timestamp that is
// valid for five minutes, so committed files go stale; `go run
// ./testevents/gen` rewrites every file for the current time. Tests call
// Generate with the current time instead of reading the files.
//
// manifest.json lists every file with the function it is for and, for the
// ingest function, the expected status and number of queued events, and
// the events that deliberately end in the DLQ (deadLettered). The files are
// in the order a CRM would send them: a record's full-record delivery comes
// before its thin updates, so that it creates the goal they update, and
// every record's CRM change times increase in that order.
// secrets.json is the WEBHOOK_SECRETS_ID value (SecretString) that matches
// the test secrets; env.json is for `sam local invoke --env-vars`.
//
// Bodies come from the adapters' testdata and from events/testdata, read
// from the module at generation time. This package is for tests and local
// runs only; no function imports it.
package testevents
