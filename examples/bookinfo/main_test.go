package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// One run of the whole walkthrough (about 3 s): every batch marked ✓, the
// final verdict, and the YAML of each step with its scaled durations.
func TestRunEveryStepBehavesAsConfigured(t *testing.T) {
	var out bytes.Buffer
	// -scale 0.1 (a 500ms delay) keeps the delay well above the noise of
	// a machine busy with the rest of go test ./...
	if err := run(context.Background(), []string{"-scale", "0.1"}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	text := out.String()
	nBatches := 0
	for _, st := range steps(0.1) {
		nBatches += len(st.batches)
	}
	if got := strings.Count(text, "  ✓  "); got != nBatches {
		t.Errorf("%d batches marked ✓, want %d:\n%s", got, nBatches, text)
	}
	if strings.Contains(text, "✗") {
		t.Errorf("a batch is marked ✗:\n%s", text)
	}
	for _, want := range []string{
		"every batch behaved as configured ✓",
		"01-all-v1.yaml:",
		"    timeout: 1s   # 10s × 0.1",
		"          exact: jason",
		"── Step 9/9: Rewrite and redirect",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"scale must be positive", []string{"-scale", "0"}, "-scale 0: want a factor in (0, 1]"},
		{"scale must not stretch durations", []string{"-scale", "2"}, "-scale 2: want a factor in (0, 1]"},
		{"no positional arguments", []string{"reviews"}, `unexpected argument "reviews"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), tt.args, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestConfigFileScalesEveryDuration(t *testing.T) {
	tests := []struct {
		name, file string
		scale      scaler
		want       []string
	}{
		{"route timeout scaled", "05-timeout.yaml", 0.05, []string{"    timeout: 0.5s   # 10s × 0.05"}},
		{"perTryTimeout scaled", "06-retries.yaml", 0.1, []string{"      perTryTimeout: 0.2s   # 2s × 0.1"}},
		{"fixedDelay scaled", "07-delay.yaml", 0.01, []string{"        fixedDelay: 0.05s   # 5s × 0.01"}},
		{"scale 1 keeps the file as written", "05-timeout.yaml", 1, []string{"    timeout: 10s\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := configFile(tt.file, tt.scale)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("%s × %v lacks %q:\n%s", tt.file, float64(tt.scale), w, b)
				}
			}
		})
	}
}

// outs builds a result of n outcomes like o.
func outs(n int, o outcome) []outcome {
	r := make([]outcome, n)
	for i := range r {
		r[i] = o
	}
	return r
}

func TestChecksReportWhatDiffered(t *testing.T) {
	ok200 := func(v string) outcome { return outcome{version: v, status: 200, latency: time.Millisecond} }
	tests := []struct {
		name  string
		check check
		res   result
		want  string
	}{
		{"all one version holds", allVersion("v1"), result{outs: outs(3, ok200("v1"))}, ""},
		{"all one version fails on another version", allVersion("v1"),
			result{outs: append(outs(2, ok200("v1")), ok200("v2"))}, "2 of 3 served by v1"},
		{"all one version fails on an error status", allVersion("v1"),
			result{outs: append(outs(2, ok200("v1")), outcome{status: 503})}, "statuses 200×2 503×1, want all 200"},
		{"split within tolerance holds", split(map[string]float64{"v1": 75, "v2": 25}, 7),
			result{outs: append(outs(70, ok200("v1")), outs(30, ok200("v2"))...)}, ""},
		{"split outside tolerance fails", split(map[string]float64{"v1": 75, "v2": 25}, 7),
			result{outs: append(outs(60, ok200("v1")), outs(40, ok200("v2"))...)}, "v1 60.0%, want 75% ±7"},
		{"split fails on an unweighted version", split(map[string]float64{"v1": 50, "v3": 50}, 7),
			result{outs: append(outs(50, ok200("v1")), outs(50, ok200("v2"))...)}, "50 served by v2, which has no weight"},
		{"status after the lower bound holds", statusAfter(504, 10*time.Millisecond),
			result{outs: outs(2, outcome{status: 504, latency: 15 * time.Millisecond})}, ""},
		{"status before the lower bound fails", statusAfter(504, 10*time.Millisecond),
			result{outs: outs(2, outcome{status: 504, latency: 5 * time.Millisecond})}, "fastest took 5ms, before 10ms"},
		{"slow share counts ratings calls at the threshold", slowShare(10*time.Millisecond, 10, 5),
			result{outs: append(outs(9, ok200("v2")), outcome{version: "v2", status: 200, ratingsTime: 10 * time.Millisecond})}, ""},
		{"slow share ignores slow pages whose ratings call was fast", slowShare(10*time.Millisecond, 10, 5),
			result{outs: append(outs(9, ok200("v2")), outcome{version: "v2", status: 200, latency: time.Second})}, "delayed 0.0%, want 10% ±5"},
		{"status share fails on a third status", statusShare(400, 10, 6),
			result{outs: append(outs(9, ok200("v2")), outcome{status: 503})}, "statuses 200×9 503×1, want only 400 and 200"},
		{"served at fails on the wrong path", servedAt("v2", "/newcatalog"),
			result{outs: outs(1, outcome{version: "v2", status: 200, path: "/wpcatalog"})}, `v2 received "/wpcatalog"`},
		{"redirect fails on another location", redirectTo(301, "http://a/b"),
			result{outs: outs(1, outcome{status: 301, location: "http://a/c"})}, `Location "http://a/c"`},
		{"ratings hits fail on a retried request", ratingsHits(3), result{outs: outs(3, ok200("v2")), ratingsHits: 4}, "ratings hit 4×"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.check.verify(&tt.res)); diff != "" {
				t.Errorf("verify (-want +got):\n%s", diff)
			}
		})
	}
}
