// Package emf writes CloudWatch Embedded Metric Format lines: JSON log lines
// that CloudWatch Logs turns into metrics with no API call. A Recorder
// accumulates counters during one invocation and Flush writes them as one
// line in namespace "goalrelay" with the dimension Function. With derives a
// Recorder that adds dimensions of a small fixed set (the ingest function's
// Source and Outcome) to the same line.
//
// Each line also carries "level" and "timestamp" (RFC 3339), which Lambda's
// application log-level filter reads: the level is the lowest one the
// filter keeps at the function's configured log level (LineLevel, from
// AWS_LAMBDA_LOG_LEVEL), so that the metric lines survive any LogLevel;
// and "traceId", the invocation's X-Ray trace id, when it has one.
//
// It imports nothing from AWS (shared/tracing is standard library only).
package emf
