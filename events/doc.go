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
// # Relay-owned fields
//
// Some Gainsight fields belong to goalrelay, and no event may set them in
// data.fields: Gsid (goalrelay finds the record itself), the external-id
// custom field (DefaultExternalIDField, or the apply function's
// GAINSIGHT_EXTERNAL_ID_FIELD: goalrelay writes the record key there) and
// Gainsight's system fields (SystemFields: CreatedDate, ModifiedDate,
// CreatedById, ModifiedById), each in any letter case. IsOwnedField is the
// one place that decides; Event.CheckOwnedFields applies it to an event
// (every owned name for goal and goal template events, Gsid for metric
// events) and returns an error wrapping ErrOwnedField. Ingest refuses such
// an event (400), the mapping loader a mapping that targets such a field,
// and apply sends one that reached the queue anyway to the DLQ
// (OWNED_FIELD).
//
// This package imports nothing from AWS or Gainsight.
package events
