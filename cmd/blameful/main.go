// Command blameful runs blameful postmortems: see README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"blameful.dev/blameful/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
