// Package ingesttest sets up the AWS side of the ingest function on a
// moto_server for integration tests: an SQS FIFO queue, the webhook secret
// in Secrets Manager, and a way to read back what was queued.
//
// It is for tests only; no function imports it.
package ingesttest
