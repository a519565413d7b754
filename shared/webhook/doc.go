// Package webhook is the contract between the ingest boundary and the CRM
// source adapters: the Source descriptor that each adapter provides (its
// name, record-key namespace, documented batch limit, one-step Open that
// verifies and parses, its answer protocol, and a signer and sample for
// tests and goalctl), the inbound Request as the ingest function sees it,
// the Change an adapter extracts from a verified body, and the sentinel
// errors that the ingest boundary maps to HTTP statuses in one table.
//
// The adapters live under shared/sources/<crm>, import this package and
// never each other; package sources lists them. This package imports
// nothing from AWS or Gainsight.
package webhook
