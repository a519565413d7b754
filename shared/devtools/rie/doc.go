// Package rie builds goalrelay's Lambda bootstraps and runs them under the
// AWS Lambda Runtime Interface Emulator (aws-lambda-rie, a tool in go.mod),
// exactly as Lambda and `sam local invoke` run them, for integration tests
// and the local stack.
//
// The emulator takes one invoke at a time (a second concurrent invoke
// crashes it), so Function serialises Invoke calls. Handler errors and
// time-outs come back as HTTP 200 with an error body; Invoke turns them into
// *FunctionError.
//
// Used by tests and cmd/ tools only, never by Lambda code.
package rie
