// Command echo is a test function: it echoes its input, or fails when asked.
package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type in struct {
	Fail    bool   `json:"fail"`
	Echo    string `json:"echo"`
	SleepMs int    `json:"sleepMs"`
}

type out struct {
	Echo     string `json:"echo"`
	Function string `json:"function"`
	Env      string `json:"env"`
	Deadline bool   `json:"deadline"`
	// Trace is the trace header the runtime was given, as aws-lambda-go
	// passes it on: in the context and in _X_AMZN_TRACE_ID.
	Trace    string `json:"trace"`
	TraceEnv string `json:"traceEnv"`
}

func main() {
	lambda.Start(func(ctx context.Context, e in) (out, error) {
		if e.SleepMs > 0 {
			time.Sleep(time.Duration(e.SleepMs) * time.Millisecond)
		}
		if e.Fail {
			return out{}, errors.New("failure requested")
		}
		_, hasDeadline := ctx.Deadline()
		trace, _ := ctx.Value("x-amzn-trace-id").(string)
		return out{Echo: e.Echo, Function: lambdacontext.FunctionName, Env: os.Getenv("ECHO_ENV"), Deadline: hasDeadline,
			Trace: trace, TraceEnv: os.Getenv("_X_AMZN_TRACE_ID")}, nil
	})
}
