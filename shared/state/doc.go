// Package state is goalrelay's store in the DynamoDB state table (STATE_TABLE):
// what the apply function must remember between deliveries of an event.
//
// One table, partition key "pk" (String), TTL attribute "expiresAt" (epoch
// seconds), one index (below). This package owns three kinds of item in it:
//
//   - goal#<recordKey>: the Gainsight Gsid of a CRM record, the version (CRM
//     change time) of the last event applied to it, the id of that event,
//     the goal's Name and status as goalrelay last sent them (goalName,
//     statusName or statusId: an update must repeat them, see Kept and
//     PutGoalApplied), while a create call is in flight or its outcome
//     is unknown, a create-pending marker, and a merged write whose
//     outcome is unknown (PendingWrite, removed by PutGoalApplied). Goal
//     items never expire.
//
//   - event#<source>:<id> (events.Event.Identity): the idempotency record
//     of one canonical event: IN_PROGRESS under a lease, RELEASED, or
//     COMPLETE until expiresAt (at least three days: CRMs retry for 24
//     hours and more). It also tells the event's story (Story: record key,
//     CRM time, type, and the last attempt's outcome, Gsid, error code and
//     Gainsight request id), written by the same Complete or Release that
//     ends an attempt, so the story costs no call of its own (story.go).
//
//   - picklist#<tenant> (the Gainsight base URL): the tenant's goal statuses
//     and goal types as a consumer last read them, with the time of that
//     read (SharedPicklist), so that a cold consumer checks names without
//     a Gainsight call. A copy is never replaced by an older one.
//
// The sparse global secondary index RecordIndex ("record-events", keys
// recordKey and eventTime) holds the event records that carry a story:
// RecordEvents reads a record's history with one Query, never a Scan;
// GetEvent reads one event.
//
// The quota counters share the table but belong to package quota.
//
// Every write is conditional, and a failed condition is explained from the
// item DynamoDB returns with it (ReturnValuesOnConditionCheckFailure
// ALL_OLD), never by a second read. Outcomes are sentinel errors (ErrStale,
// ErrDone, ErrBusy, ...) to be tested with errors.Is; errors from DynamoDB
// are wrapped with %w.
//
// It imports the DynamoDB SDK only: nothing from Gainsight, the CRMs, SQS or
// Lambda, and it never logs.
package state
