package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	modelgatev1 "github.com/modelgate/modelgate/clients/go/gen/modelgate/v1"
	"google.golang.org/grpc/status"
)

// Like closedLoop in bench/lib/load.ts, workers stop after this many errors in all: a target failing
// every call fast would otherwise spin the core for the whole window.
const errorLimit = 1_000

// A call still outstanding this long after the window is abandoned (and counted as an error), so a
// hung target cannot hang the run.
const callGrace = 10 * time.Second

// workerTally is one worker's own record, merged after the run so workers share no lock per call.
type workerTally struct {
	latenciesMs []float64
	errors      int
}

// closedLoop runs `concurrency` workers, worker i on clients[i % len(clients)], each sending the next
// call when its last one ends, until `duration` has passed or, when maxRequests > 0, that many calls
// have been sent (with concurrency 1: a one-request-at-a-time run of exactly maxRequests calls).
func closedLoop(clients []modelgatev1.GatewayServiceClient, request *modelgatev1.CompleteRequest, concurrency int, duration time.Duration, maxRequests int) loadResult {
	started := time.Now()
	deadline := started.Add(duration)
	ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(callGrace))
	defer cancel()

	var totalErrors atomic.Int64
	var issued atomic.Int64
	var firstErrorOnce sync.Once
	var firstError string
	tallies := make([]workerTally, concurrency)
	var wait sync.WaitGroup
	for index := range concurrency {
		client := clients[index%len(clients)]
		tally := &tallies[index]
		wait.Go(func() {
			for time.Now().Before(deadline) {
				if maxRequests > 0 && issued.Add(1) > int64(maxRequests) {
					return
				}
				sent := time.Now()
				_, err := client.Complete(ctx, request)
				if err == nil {
					tally.latenciesMs = append(tally.latenciesMs, milliseconds(time.Since(sent)))
					continue
				}
				tally.errors++
				firstErrorOnce.Do(func() { firstError = describe(err) })
				if totalErrors.Add(1) > errorLimit {
					return
				}
			}
		})
	}
	wait.Wait()
	elapsed := time.Since(started)

	var latencies []float64
	errors := 0
	for _, tally := range tallies {
		latencies = append(latencies, tally.latenciesMs...)
		errors += tally.errors
	}
	return summarise(latencies, errors, milliseconds(elapsed), firstError)
}

// describe formats a failed call like grpc-js does ("13 INTERNAL: details" there, "13 Internal: details" here).
func describe(err error) string {
	st := status.Convert(err)
	return fmt.Sprintf("%d %s: %s", st.Code(), st.Code(), st.Message())
}

func milliseconds(duration time.Duration) float64 {
	return float64(duration) / float64(time.Millisecond)
}
