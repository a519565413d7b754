// Command goalrelay-chaos is `make chaos`: the chaos benchmark of package
// chaos (shared/devtools/chaos). It runs a workload of goal upserts
// through both bootstraps under aws-lambda-rie, moto_server and the
// Gainsight simulator twice, without and then with faults and SIGKILLs of
// the consumers, and prints events, faults, kills, lost, doubled and stale
// writes, the DLQ, the drain time and its ratio to the fault-free one.
// Ctrl-C (SIGINT) or SIGTERM stops every process it started.
//
//	go run ./cmd/goalrelay-chaos                               # make chaos
//	go run ./cmd/goalrelay-chaos -records 20 -versions 4 -faults 0.3 -kill-every 30s -visibility 30s
//	go run ./cmd/goalrelay-chaos -seeds 10                     # seeds 1..10, and the median ratio
//	go run ./cmd/goalrelay-chaos -h                            # every flag
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/goalrelay/goalrelay/shared/devtools/chaos"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := chaos.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
