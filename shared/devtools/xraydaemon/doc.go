// Package xraydaemon stands in for the X-Ray daemon in tests: a UDP
// listener on 127.0.0.1 whose address a test gives a function as
// AWS_XRAY_DAEMON_ADDRESS, collecting the datagrams it receives, and
// Decode, which checks a datagram's header line and reads its subsegment
// document.
//
// Used by tests only, never by Lambda code.
package xraydaemon
