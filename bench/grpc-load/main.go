// Command grpc-load is the benchmark's gRPC load generator for scenario 3 (capacity).
//
// It exists because the @grpc/grpc-js client the rest of the harness uses is the ceiling: on one core it
// tops out near 1,500 calls/s at c=8 against a null grpc-js server that needs only 0.19 ms of server CPU
// per call, below the 2,000 req/s the gateway is meant to reach over gRPC. grpc-go costs a fraction of
// that per call, so the gateway, not the load generator, saturates first.
//
// It runs a closed loop: -concurrency workers, each sending GatewayService/Complete back to back over
// -connections shared HTTP/2 connections until -duration ends, then prints one JSON line with the same
// fields and meaning as LoadResult in bench/lib/load.ts.
//
// With -streams N it sends N StreamComplete calls one at a time instead (scenario 2's gRPC rows, for the
// same reason: the grpc-js client's own cost per message would count as the gateway's) and prints the
// arrival time of every text delta of each stream, as StreamResult in bench/lib/clients.ts.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	modelgatev1 "github.com/modelgate/modelgate/clients/go/gen/modelgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
)

// How long to wait for the first connection before giving up: the target is local and already started.
const connectTimeout = 5 * time.Second

func main() {
	address := flag.String("address", "", "host:port of the gRPC server (required)")
	concurrency := flag.Int("concurrency", 1, "workers sending back to back")
	duration := flag.Duration("duration", 1500*time.Millisecond, "how long to send for")
	model := flag.String("model", "mock-instant", "model of every request")
	connections := flag.Int("connections", 1, "HTTP/2 connections the workers share (grpc-js uses one)")
	requests := flag.Int("requests", 0, "stop after this many calls in all (0: only the duration bounds the run)")
	raw := flag.Bool("raw", false, "also print every successful call's latency (latenciesMs), for one-at-a-time runs")
	streams := flag.Int("streams", 0, "send this many StreamComplete calls one at a time, within -duration, and print their delta times")
	flag.Parse()
	if *address == "" || *concurrency < 1 || *connections < 1 || *duration <= 0 || *requests < 0 || *streams < 0 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: grpc-load -address host:port [-concurrency N] [-duration 1500ms] [-requests N] [-raw] [-model mock-instant] [-connections K] [-streams N]")
		os.Exit(2)
	}

	clients, closeAll, err := connect(*address, *connections)
	if err != nil {
		fmt.Fprintln(os.Stderr, "grpc-load:", err)
		os.Exit(1)
	}
	defer closeAll()

	var output any
	if *streams > 0 {
		output = sequentialStreams(clients[0], streamRequest(*model), *streams, *duration)
	} else {
		result := closedLoop(clients, completeRequest(*model), *concurrency, *duration, *requests)
		if !*raw {
			result.LatenciesMs = nil
		}
		output = result
	}
	line, err := json.Marshal(output)
	if err != nil {
		fmt.Fprintln(os.Stderr, "grpc-load:", err)
		os.Exit(1)
	}
	fmt.Println(string(line))
}

// connect opens `count` separate connections (grpc.NewClient is lazy, so each is dialled and waited
// for here: a target that cannot be reached at all is a failed run, not a run of errors).
func connect(address string, count int) ([]modelgatev1.GatewayServiceClient, func(), error) {
	var conns []*grpc.ClientConn
	closeAll := func() {
		for _, conn := range conns {
			_ = conn.Close()
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	clients := make([]modelgatev1.GatewayServiceClient, 0, count)
	for range count {
		conn, err := grpc.NewClient(address,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			// The same limit as the grpc-js bench client.
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16<<20)),
		)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		conns = append(conns, conn)
		if err := waitReady(ctx, conn); err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("cannot connect to %s: %w", address, err)
		}
		clients = append(clients, modelgatev1.NewGatewayServiceClient(conn))
	}
	return clients, closeAll, nil
}

func waitReady(ctx context.Context, conn *grpc.ClientConn) error {
	conn.Connect()
	for {
		state := conn.GetState()
		if state == connectivity.Ready {
			return nil
		}
		// The target is local and already listening: a refused dial will not come right with backoff.
		if state == connectivity.TransientFailure {
			return fmt.Errorf("dial failed (%s)", state)
		}
		if !conn.WaitForStateChange(ctx, state) {
			return fmt.Errorf("still %s after %s", state, connectTimeout)
		}
	}
}

// completeRequest is the request createGrpcClient in bench/lib/clients.ts sends.
func completeRequest(model string) *modelgatev1.CompleteRequest {
	return &modelgatev1.CompleteRequest{
		Model: model,
		Messages: []*modelgatev1.Message{{
			Role:  modelgatev1.Role_ROLE_USER,
			Parts: []*modelgatev1.ContentPart{{Part: &modelgatev1.ContentPart_Text{Text: "Say hello."}}},
		}},
	}
}
