// Package apply is the consumer: it takes SQS batches of canonical events
// and applies them to Gainsight exactly once, spending the tenant's quota
// as little and as evenly as it can.
//
// For each batch it decodes the events, dead-letters an event dated more
// than MAX_FUTURE_SKEW ahead (FUTURE_EVENT_TIME) or one that sets a
// relay-owned field (Gsid, Gainsight's system fields, the default or the
// configured external-id field, in any letter case; error code
// OWNED_FIELD, no Gainsight call; see owned.go), checks status and
// goal-type names against a cached picklist (a bad name costs no quota;
// the picklist is shared through the state table, picklist.go),
// skips events it has already applied (event records in the state table)
// and events older than the goal's stored version, merges consecutive
// upserts of one goal into one call, takes a unit of the tenant-wide quota
// before every Gainsight call, and classifies each outcome in one table
// (outcome.go): done → ack; retryable → batch item failure, and with FIFO
// every later message of the same group too; permanent → sent to the DLQ
// with the reason, then ack. It stops early enough before the Lambda
// deadline and reports what it did not attempt as failed.
//
// Goals are found by their Gsid in the state, else by a Fetch on the
// external-id field; a Fetch that finds several dead-letters the event as
// AMBIGUOUS_EXTERNAL_ID (up to five Gsids named) and writes nothing
// (ambiguous.go). Before its units, a batch makes one Fetch for all its
// goal records that have neither a Gsid nor a pending create in the state
// (where the external-id field is IN their keys, prefetch.go): a new goal
// then costs its create and a tenth of that Fetch, 1.1 calls per event for
// a batch of ten, and a known goal still one call. That Fetch is a hint
// read before the record locks: a unit uses it only while its record,
// read under the lock, still has neither a Gsid nor a pending create, and
// otherwise resolves the record by its own Fetch as before. A record with
// a pending create (a create whose answer was lost) always gets its own
// Fetch under the lock before anything creates it again: the lock, not the
// time of a read, tells that the create is no longer in flight
// (prefetchGoals gives the whole argument). An "Invalid Gsid" answer to the update of a stored Gsid
// means the goal was deleted in Gainsight: the state forgets the Gsid and
// the record is resolved again in the same attempt, under its lock
// (recover.go). An update repeats the goal's Name and status when the
// event lacks them, from what the state kept of the last create or update
// (state.Kept, written with the version), else from the Fetch that
// resolved the goal; with neither, it goes without them (kept.go).
//
// Before a unit fails, a transient Gainsight failure is tried again in the
// same invocation (inline.go: at most Service.InlineRetries times per unit and
// InlineRetryBudget per batch), and copies of one event in one batch are
// applied once (twins.go). A merged write whose outcome is unknown is kept
// on the goal record and sent again by the record's next unit (pending.go).
// A batch's groups are worked on in up to Service.Lanes lanes at once
// (lanes.go).
//
// Visibility (visibility.go): while Handle works, a heartbeat keeps the
// batch's messages invisible for InFlight (60 s, IN_FLIGHT_VISIBILITY,
// never more than the queue's visibility timeout), extending it every
// third of that, and renews the claims and record locks the batch holds,
// leased for 2/3 of InFlight (40 s); a batch whose invocation dies comes
// back within InFlight, when its leases have run out. A lease the
// heartbeat cannot keep ends the batch's work. When Handle is done, a
// retried message is made visible again after a backoff of 5 s ×
// 2^(failures−1) with equal jitter (Rand; failures: the event's attempts
// that failed, not the receives that ended in a crash or never reached
// it), at least until a lease that
// refused it ends, at most 15 minutes and the queue's visibility timeout;
// a group's later failed messages take its first failed message's
// visibility. A visibility change SQS refuses is logged; the message keeps
// the visibility it had.
//
// Messages that wait for the quota are deferred (defer.go): made invisible
// with ChangeMessageVisibility until it frees up (at most 12 hours), so they
// do not come back every visibility timeout and reach the DLQ after
// maxReceiveCount receives. That covers the day's budget, a long
// Retry-After, and a tenant day spent by other integrations: every 429 goes
// to quota.Limiter.RateLimited, which marks the day spent after 429s
// without Retry-After in two fresh minute windows (shared/quota's package
// documentation); the call that marks it, every later Take, and the
// batch's earlier 429s without Retry-After then fail with the day-spent
// *quota.LimitError. Such a message waits until the next hourly probe on
// its first two receives, then until the next UTC day, so it is received
// only a few times on a spent day. The probe is one call per hour,
// tenant-wide; when Gainsight answers it (not with a 429), apply clears
// the mark (DayBack) and logs "daily quota back". The consumer that marks
// the day counts DaySpentByOthers (EMF) and logs a warning with the next
// probe and the day's reset.
//
// Every event's story is kept in its event record (story.go,
// state.Story): the outcome, the Gsid, the error code the DLQ gets (or
// Gainsight's code of a retried failure) and Gainsight's request id, with
// the record key and the CRM time. It rides on the Complete or Release that
// ends the attempt (a dead-lettered event is released once it is in the
// DLQ), so an applied event costs no extra DynamoDB call; only an event
// dead-lettered before it was claimed (an unknown name, an owned field, a
// future time) costs one write (NoteEvent). goalctl events reads them.
//
// Its log line per message carries event_id, event_type, source,
// record_key, outcome and, for a failure, error and gainsight_request_id;
// it cuts the error text to 1 KiB and the Gainsight
// request id to 256 bytes (logbound.Cut); the DLQ attributes are cut to
// 1 KiB. The Gainsight client has already redacted the access key from
// every error and bounded the reply's text in it. The line also names the
// X-Ray trace id of the invocation that queued the event
// (message_trace_id, from the record's AWSTraceHeader, parsed by
// shared/tracing), so that a webhook's trace leads to the lines of its
// events.
package apply
