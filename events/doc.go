// Package events is goalrelay's contract: the canonical goal-change event that
// the ingest function publishes, the apply function consumes, and other
// producers (the generic webhook source, goalctl backfill, other teams' code)
// write directly.
//
// An Event is a CloudEvents 1.0 envelope in the JSON format. The JSON Schema
// in schema.json is the authoritative description; the Go types here follow
// it. The schema may grow optional members but never renames the ones that
// exist.
//
// This package imports nothing from AWS or Gainsight.
package events
