// Command scenario-runner sends the StreamComplete request of one shared scenario
// (test/scenarios/cases/*.json) to a modelgate gateway and prints the normalised transcript
// (test/scenarios/README.md) on stdout.
//
//	scenario-runner -transport connect-grpc|grpc-go -url http://127.0.0.1:8080 <scenario.json>
//
// connect-grpc is connect-go speaking the gRPC protocol over cleartext HTTP/2; grpc-go is grpc-go.
// RPC errors are part of the transcript; the exit status is non-zero only when the runner itself fails.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	transport := flag.String("transport", "connect-grpc", "connect-grpc or grpc-go")
	url := flag.String("url", "http://127.0.0.1:8080", "the gateway's base URL")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: scenario-runner -transport connect-grpc|grpc-go -url URL <scenario.json>")
		os.Exit(2)
	}
	if err := run(*transport, *url, flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "scenario-runner:", err)
		os.Exit(1)
	}
}

func run(transport, url, path string) error {
	s, err := loadScenario(path)
	if err != nil {
		return err
	}
	ctx := context.Background()
	if s.Request.DeadlineMs > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(s.Request.DeadlineMs)*time.Millisecond)
		defer cancel()
	}
	var call func(ctx context.Context, resumeAfter *uint32) (callResult, error)
	switch transport {
	case "connect-grpc":
		call = connectGRPCCaller(url, &s.Request)
	case "grpc-go":
		conn, err := dialGRPCGo(url)
		if err != nil {
			return err
		}
		defer conn.Close()
		call = grpcGoCaller(conn, &s.Request)
	default:
		return fmt.Errorf("unknown transport %q", transport)
	}
	// One call, or with dropAfterEvents the dropped call and the call that resumes it.
	first, err := call(ctx, nil)
	if err != nil {
		return err
	}
	lines := first.lines
	if first.dropped {
		lines = append(lines, line{"type": "resume", "afterPosition": first.lastPosition})
		second, err := call(ctx, &first.lastPosition)
		if err != nil {
			return err
		}
		lines = append(lines, second.lines...)
	}
	text, err := render(lines)
	if err != nil {
		return err
	}
	_, err = os.Stdout.WriteString(text)
	return err
}
