// Command goalctl is goalrelay's operator CLI; see package
// github.com/goalrelay/goalrelay/shared/goalctl and `goalctl --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/goalrelay/goalrelay/shared/goalctl"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := goalctl.Run(ctx, os.Args[1:], &goalctl.Env{})
	stop()
	os.Exit(code)
}
