// Package queue publishes canonical events to the SQS FIFO queue between
// the ingest and apply functions.
//
// Publisher.Publish validates and sizes every event before it sends any
// (nothing from a rejected request reaches the queue), sends them in order
// in SendMessageBatch calls of at most ten entries and at most the SQS byte
// limit, checks every entry of every result, retries the entries that
// failed with a bounded backoff that honours the context, and reports what
// is still not queued as a *PublishError, so that the ingest function can
// answer the CRM with a 5xx and let it retry. The size limit and the retry
// policy are Options, set in the functions NewPublisher takes (zero values
// are the defaults):
//
//	pub := queue.NewPublisher(sqs.NewFromConfig(cfg), queueURL, func(o *queue.Options) {
//		o.Attempts = 5
//	})
//
// Each message carries: MessageGroupId = the event's RecordKey
// (source:externalId, so one CRM record's events stay in order),
// MessageDeduplicationId = the event id (a CRM retry within five minutes is
// dropped by SQS), both passed through FIFOID; the message attributes
// event_type and source; the event's JSON as the body; and, when ctx
// belongs to a traced Lambda invocation (shared/tracing), the invocation's
// X-Ray trace header as the AWSTraceHeader message system attribute, so
// that X-Ray links the consumer's trace to the producer's.
//
// This package imports events, shared/tracing and the SQS client types;
// nothing from Gainsight or the CRM adapters. It does not log.
package queue
