// Package xray records the downstream calls of a traced Lambda invocation
// as AWS X-Ray subsegments without a tracing SDK: it sends each one, as it
// ends, to the X-Ray daemon that Lambda runs beside the function, at the UDP
// address Lambda gives in AWS_XRAY_DAEMON_ADDRESS (e.g.
// 169.254.79.129:2000).
//
// A datagram is the daemon's header line, {"format": "json", "version": 1},
// a newline, and one subsegment document: type "subsegment", a random
// 16-hex-digit id, the invocation's trace id (the Root of its trace header,
// shared/tracing) and, as parent_id, the header's Parent, which is the id of
// the function's segment Lambda records. X-Ray nests the subsegment under
// that segment, so the trace shows each call with its time and outcome.
//
// Transport wraps an http.RoundTripper (the Gainsight client's: namespace
// "remote", with the method, the URL without query and the status);
// AWSClient wraps the AWS SDK's HTTP client (namespace "aws", named by
// service, with the operation). Both record a call only when the
// invocation's header says Sampled=1 and has a Parent, and only when an
// Emitter exists (the variable is set); otherwise they pass the request
// through untouched. A subsegment ends when the reply's headers arrive
// (the body is read afterwards by the caller). error is set for 4xx replies, throttle as well for
// 429, fault for 5xx and for calls that got no reply, whose cause holds the
// error's type and its text with every request header value and the query
// taken out (so never the access key).
//
// Sending is best effort and never waits: one write on a connected UDP
// socket per call, whose failure is ignored; a call's outcome is never
// changed by it. A document is at most MaxDatagram bytes: the URL and the
// cause are cut to fixed lengths first, and if it is still too long they are
// left out; the ids and times always remain.
//
// It imports only the standard library and shared/tracing (no X-Ray or
// OpenTelemetry SDK: see the README, Operations, Tracing, for the sizes
// that decided it).
package xray
