// Package emf writes CloudWatch Embedded Metric Format lines: JSON log lines
// that CloudWatch Logs turns into metrics with no API call. A Recorder
// accumulates counters during one invocation and Flush writes them as one
// line in namespace "goalrelay" with the dimension Function. With derives a
// Recorder that adds dimensions of a small fixed set (the ingest function's
// Source and Outcome) to the same line.
//
// It imports nothing from AWS.
package emf
