// Command pulumi-language-nodejs is a small Node.js language host for the
// Pulumi CLI.
//
// The official host lives in its own Go module
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3), which
// the module proxy reachable from our machines does not serve, so we build
// this one instead. It does no JavaScript work itself: every RPC that needs
// Node.js spawns `node` on one of the entry points that ship inside the
// @pulumi/pulumi npm package (cmd/run, cmd/run-policy-pack, cmd/run-plugin).
//
// Launch protocol (see sdk/go/common/resource/plugin/langruntime_plugin.go):
// the CLI starts us with optional logging flags followed by the engine's gRPC
// address as the last argument, reads one line from our stdout containing the
// port we serve pulumirpc.LanguageRuntime on, then relays everything else we
// write to stdout/stderr to the user.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func main() {
	// The CLI forwards its own logging flags to every plugin it starts; accept
	// them so flag parsing does not fail, even though we only use -tracing.
	// (A private FlagSet: the SDK's logging package already registers -v and
	// -logtostderr on the global one.)
	flags := flag.NewFlagSet("pulumi-language-nodejs", flag.ExitOnError)
	tracing := flags.String("tracing", "", "Zipkin-compatible tracing endpoint, passed on to node")
	flags.Bool("logtostderr", false, "accepted for compatibility; ignored")
	flags.Int("v", 0, "accepted for compatibility; ignored")
	_ = flags.Parse(os.Args[1:]) // ExitOnError: never returns an error

	var engineAddr string
	if flags.NArg() > 0 {
		engineAddr = flags.Arg(flags.NArg() - 1)
	}

	// Exit when the engine goes away, so an interrupted CLI does not leave us
	// (and any node child) running in the background.
	if engineAddr != "" {
		ctx, cancel := context.WithCancel(context.Background())
		if err := rpcutil.Healthcheck(ctx, engineAddr, 30*time.Second, cancel); err != nil {
			fatalf("could not start health check against engine %s: %v", engineAddr, err)
		}
		go func() {
			<-ctx.Done()
			os.Exit(0)
		}()
	}

	h := &host{engineAddr: engineAddr, tracing: *tracing}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
	})
	if err != nil {
		fatalf("could not start language host RPC server: %v", err)
	}

	// The CLI reads exactly this line to learn where to connect.
	fmt.Printf("%d\n", handle.Port)

	if err := <-handle.Done; err != nil {
		fatalf("language host RPC stopped serving: %v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: "+format+"\n", args...)
	os.Exit(1)
}
