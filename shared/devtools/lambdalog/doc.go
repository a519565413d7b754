// Package lambdalog models what Lambda's application log-level filter
// does with a function's output lines, for tests of the real bootstraps.
//
// aws-lambda-rie passes every line the function writes through unfiltered
// (it implements no log-level filtering; the bootstrap's own slog handler
// drops records below AWS_LAMBDA_LOG_LEVEL, but lines written past it, such
// as the EMF metric lines, all reach the emulator's output). So a test
// cannot see Lambda drop a line; it checks the property the filter decides
// on instead. Kept states that rule as Lambda documents it for runtimes
// that write JSON themselves (log format JSON, "Log-level filtering" in the
// Lambda developer guide): the line's "level" (TRACE, DEBUG, INFO, WARN,
// ERROR, FATAL, any letter case) is compared with the configured level and
// the line is kept when it is at least as severe; a line whose "level" is
// missing or invalid, or whose "timestamp" is missing or not RFC 3339, is
// taken as INFO.
//
// Used by tests only, never by Lambda code.
package lambdalog
