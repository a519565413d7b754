// Package localesm plays the SQS event source mapping that Lambda runs in
// AWS and that no local emulator provides: it receives batches from a queue,
// invokes a function with an events.SQSEvent, and deletes every message
// except those the function reports in batchItemFailures. Messages that are
// not deleted become visible again when their visibility timeout ends, and
// the queue's redrive policy moves them to the DLQ after maxReceiveCount
// receives, as in AWS. The poller itself never changes a message's
// visibility: a function that sets it (ChangeMessageVisibility, as the
// apply function does for its batch and its backoffs) decides when the
// message comes back, as with Lambda.
//
// Used by tests and the local stack only, never by Lambda code.
package localesm
