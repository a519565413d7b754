// Package sources is the list of goalrelay's CRM sources: one
// webhook.Source descriptor per CRM, each provided by its adapter package
// under this folder (hubspot, salesforce, dynamics, pipedrive, and
// standardwebhooks for the generic source). The ingest function, goalctl
// send and backfill, the test events and the local stack iterate this list;
// it is the only place that names every source.
//
// The adapters import shared/webhook and the standard library (the generic
// source also the events contract); they never import each other, AWS or
// Gainsight packages. This package imports the adapters and nothing else of
// the relay.
package sources
