// Package reconcile is the reconciliation sweep: it lists the CRM records
// modified since a stored watermark (webhook.Reader.Modified: HubSpot's CRM
// search on hs_lastmodifieddate, Pipedrive's deals by update_time), turns
// each into canonical events through the mapping, as a read-back does, and
// queues them on the events FIFO queue. It repairs what webhooks lost: a
// delivery the CRM gave up on, a webhook switched off, a record edited
// before goalrelay was deployed.
//
// The events' ids are the read-back ids, stable per record version
// ("…:<modified>:readback"), so queueing a version that was already
// applied costs no Gainsight call: the apply function finds the event
// complete (duplicate) or the goal at a newer version (stale).
//
// The watermark is an item of the state table, sweep#<key> (key: the event
// source, e.g. hubspot/portal/62515, or the key goalctl reconcile chooses):
// the modification time up to which every record is queued, and the ids of
// the records modified exactly then that are queued too. It is advanced
// after each page of records is on the queue, never backwards (a
// conditional write), so a run that is cut off (killed, timed out, a CRM
// error) resumes where it stopped and lists again only the page it was
// queueing. A run lists up to now minus a lag (the CRMs' search indexes
// trail their writes by seconds), and a run that lists everything moves
// the watermark to that time.
//
// Handler is the scheduled function's logic (functions/reconcile wires
// it); goalctl reconcile runs a Sweeper itself. The package imports
// events, shared/webhook, shared/readback, shared/queue's contract (a
// Publish method) and the DynamoDB SDK; never an adapter, nothing from
// Gainsight, and it does not log (Handler logs through the logger it is
// given).
package reconcile
