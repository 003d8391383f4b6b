package main

import (
	"encoding/json"
	"math"
	"slices"
)

// loadResult is LoadResult in bench/lib/load.ts. Percentiles are NaN with no successful call; JSON has
// no NaN, so they are written as null then (bench/lib/grpc-load.ts reads null back as NaN).
type loadResult struct {
	Requests          int         `json:"requests"`
	Errors            int         `json:"errors"`
	FirstError        string      `json:"firstError,omitempty"`
	DurationMs        float64     `json:"durationMs"`
	RequestsPerSecond float64     `json:"requestsPerSecond"`
	P50Ms             nullableNaN `json:"p50Ms"`
	P99Ms             nullableNaN `json:"p99Ms"`
	// Every successful call's latency, sorted (only with -raw).
	LatenciesMs []float64 `json:"latenciesMs,omitempty"`
}

type nullableNaN float64

func (value nullableNaN) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(value)) || math.IsInf(float64(value), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(value))
}

// summarise matches summarise in bench/lib/load.ts: requests counts successes and errors, the rate
// and the percentiles count successes only.
func summarise(latenciesMs []float64, errors int, durationMs float64, firstError string) loadResult {
	slices.Sort(latenciesMs)
	return loadResult{
		Requests:          len(latenciesMs) + errors,
		Errors:            errors,
		FirstError:        firstError,
		DurationMs:        durationMs,
		RequestsPerSecond: float64(len(latenciesMs)) / durationMs * 1000,
		P50Ms:             nullableNaN(percentile(latenciesMs, 50)),
		P99Ms:             nullableNaN(percentile(latenciesMs, 99)),
		LatenciesMs:       latenciesMs,
	}
}

// percentile is percentile in bench/lib/stats.ts: nearest rank on sorted samples, NaN for none.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	rank := min(len(sorted)-1, max(0, int(math.Ceil(p/100*float64(len(sorted))))-1))
	return sorted[rank]
}
