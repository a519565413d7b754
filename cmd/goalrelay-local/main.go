// Command goalrelay-local is `make run`: the whole goalrelay pipeline
// offline on 127.0.0.1 (package devstack), fed with every valid
// testevents webhook.
//
// It starts the stack, posts every valid webhook of testevents (re-signed
// for the current time) to the local front as a CRM would, waits until the
// queue is drained, prints the goals that now exist in the simulated
// Gainsight, the DLQ (only the testevents' deliberate bad examples belong
// there: others fail the run) and a summary, and then keeps running until interrupted so
// that you can send your own webhooks (it prints a curl example).
// Ctrl-C (SIGINT) or SIGTERM stops every process it started.
//
//	go run ./cmd/goalrelay-local            # make run
//	go run ./cmd/goalrelay-local -once      # send, print, exit (CI smoke run)
//	go run ./cmd/goalrelay-local -addr 127.0.0.1:9090 -v
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/goalrelay/goalrelay/shared/devtools/devstack"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := devstack.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
