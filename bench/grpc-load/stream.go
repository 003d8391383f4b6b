package main

import (
	"context"
	"errors"
	"io"
	"math"
	"time"

	modelgatev1 "github.com/modelgate/modelgate/clients/go/gen/modelgate/v1"
)

// streamResult is StreamResult in bench/lib/clients.ts: when each text delta arrived, from the moment
// the call was started.
type streamResult struct {
	FirstContentMs nullableNaN `json:"firstContentMs"`
	DeltaTimesMs   []float64   `json:"deltaTimesMs"`
	TotalMs        float64     `json:"totalMs"`
}

// streamRun is what -streams prints: one result per stream that ended with status OK, in order.
type streamRun struct {
	Streams    []streamResult `json:"streams"`
	Errors     int            `json:"errors"`
	FirstError string         `json:"firstError,omitempty"`
}

// sequentialStreams sends `count` StreamComplete calls one at a time, as scenario 2 sends them with the
// Node clients, and times every text delta on arrival. A stream counts only when it ends with status OK.
func sequentialStreams(client modelgatev1.GatewayServiceClient, request *modelgatev1.StreamCompleteRequest, count int, limit time.Duration) streamRun {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	run := streamRun{Streams: []streamResult{}}
	for range count {
		result, err := oneStream(ctx, client, request)
		if err == nil {
			run.Streams = append(run.Streams, result)
			continue
		}
		if run.Errors == 0 {
			run.FirstError = describe(err)
		}
		run.Errors++
		if ctx.Err() != nil {
			break
		}
	}
	return run
}

func oneStream(ctx context.Context, client modelgatev1.GatewayServiceClient, request *modelgatev1.StreamCompleteRequest) (streamResult, error) {
	started := time.Now()
	stream, err := client.StreamComplete(ctx, request)
	if err != nil {
		return streamResult{}, err
	}
	deltas := []float64{}
	for {
		event, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return streamResult{}, err
		}
		if event.GetTextDelta() != nil {
			deltas = append(deltas, milliseconds(time.Since(started)))
		}
	}
	first := nullableNaN(math.NaN())
	if len(deltas) > 0 {
		first = nullableNaN(deltas[0])
	}
	return streamResult{FirstContentMs: first, DeltaTimesMs: deltas, TotalMs: milliseconds(time.Since(started))}, nil
}

// streamRequest is the request createGrpcClient in bench/lib/clients.ts streams.
func streamRequest(model string) *modelgatev1.StreamCompleteRequest {
	complete := completeRequest(model)
	return &modelgatev1.StreamCompleteRequest{Model: complete.Model, Messages: complete.Messages}
}
