// Package webhook holds what every CRM source adapter shares: the inbound
// Request as the ingest function sees it, the Change an adapter extracts
// from a verified body, and the sentinel errors that the ingest boundary
// maps to HTTP statuses in one table.
//
// Adapters (packages hubspot, salesforce, dynamics, pipedrive,
// standardwebhooks) import this package and never each other. This package
// imports nothing from AWS or Gainsight.
//
// What each CRM documents about its webhooks (signatures, body shapes,
// deadlines, retries, batch sizes) and how each adapter answers it is
// summarised in docs/crm-webhooks.md at the top of the repository.
package webhook
