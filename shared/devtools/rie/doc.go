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
// The emulator filters no log lines (the function's output reaches Output
// whatever AWS_LAMBDA_LOG_LEVEL says; see shared/devtools/lambdalog) and
// gives the runtime no X-Ray trace header: with Config.Traced, a proxy on
// the runtime API adds InvokeTraced's header as Lambda does.
//
// Used by tests and cmd/ tools only, never by Lambda code.
package rie
