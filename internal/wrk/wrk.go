// Package wrk is what make bench and make soak share to drive wrk: the
// script that cycles through a list of request paths, and the figures it
// prints.
package wrk

import (
	_ "embed" // the script
	"encoding/json"
	"fmt"
	"strings"
)

// Script is cycle.lua, to be written where wrk can read it.
//
//go:embed cycle.lua
var Script []byte

// Result is one wrk run, as Script prints it.
type Result struct {
	Requests   int64   `json:"requests"`
	DurationUS int64   `json:"duration_us"`
	Bytes      int64   `json:"bytes"`
	Connect    int64   `json:"connect"`
	Read       int64   `json:"read"`
	Write      int64   `json:"write"`
	Status     int64   `json:"status"` // responses not 2xx or 3xx
	Timeout    int64   `json:"timeout"`
	P50US      int64   `json:"p50_us"`
	P90US      int64   `json:"p90_us"`
	P99US      int64   `json:"p99_us"`
	MaxUS      int64   `json:"max_us"`
	MeanUS     float64 `json:"mean_us"`
}

// Parse reads the figures from wrk's output.
func Parse(out string) (Result, error) {
	var res Result
	for _, line := range strings.Split(out, "\n") {
		if j, ok := strings.CutPrefix(line, "WRKJSON "); ok {
			if err := json.Unmarshal([]byte(j), &res); err != nil {
				return res, fmt.Errorf("wrk output %q: %v", j, err)
			}
			return res, nil
		}
	}
	return res, fmt.Errorf("no figures in wrk's output:\n%s", out)
}

// RPS is the requests per second.
func (r Result) RPS() float64 {
	if r.DurationUS == 0 {
		return 0
	}
	return float64(r.Requests) / (float64(r.DurationUS) / 1e6)
}

// GoodRPS counts only the responses that were 2xx or 3xx.
func (r Result) GoodRPS() float64 {
	if r.DurationUS == 0 {
		return 0
	}
	return float64(r.Requests-r.Status) / (float64(r.DurationUS) / 1e6)
}

// SocketErrors is wrk's connect, read, write and timeout errors.
func (r Result) SocketErrors() int64 { return r.Connect + r.Read + r.Write + r.Timeout }

// String summarizes the run in one line.
func (r Result) String() string {
	return fmt.Sprintf("%d requests, %.0f req/s, p50 %.1f ms, p99 %.1f ms, max %.1f ms; socket errors: %d connect, %d read, %d write, %d timeout; %d responses not 2xx/3xx",
		r.Requests, r.RPS(), float64(r.P50US)/1000, float64(r.P99US)/1000, float64(r.MaxUS)/1000,
		r.Connect, r.Read, r.Write, r.Timeout, r.Status)
}
