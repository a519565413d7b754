// Package tracing carries the AWS X-Ray trace of a Lambda invocation as far
// as goalrelay can carry it without a tracing SDK: it reads the trace header
// Lambda gives each invocation (with Tracing: Active), puts its trace id on
// every log line (NewLogHandler), and gives the header to the queue
// publisher, which sends it as each message's AWSTraceHeader system
// attribute, so that X-Ray links the apply invocation that consumes an
// event to the webhook's trace. Apply logs the trace id of each message it
// handles (Parse of the record's AWSTraceHeader). shared/xray records the
// calls an invocation makes as subsegments of its segment (ParentOf reads
// the header with Parse).
//
// The header is "Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=1"
// (fields in any order, more may follow). Lambda gives it to the runtime per
// invocation; aws-lambda-go puts it in the handler's context (key
// "x-amzn-trace-id") and, with one invocation at a time, in the variable
// _X_AMZN_TRACE_ID. Header reads the context first, then the variable.
//
// It imports only the standard library (no X-Ray or OpenTelemetry SDK: see
// the README, Operations, Tracing, for the sizes that decided it).
package tracing
