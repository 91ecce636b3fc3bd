package route_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/meshroute/meshroute/internal/routebench"
	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
)

// The fixed benchmark names of issue #8, run with -benchmem:
//
//	BenchmarkDecide/bookinfo           the seeds' bookinfo configuration
//	BenchmarkDecide/routes=N           N = 10, 100, 1000, 10000 rules on one host (routebench.Routes)
//	BenchmarkDecide/hosts=10000        10,000 VirtualServices, exact and wildcard hosts (routebench.Hosts)
//	BenchmarkDecideLinear/…            the same on the plain linear reference matcher
//	BenchmarkCompile/vs=10000          10,000 VirtualServices × 10 rules (routebench.Compile)
//
// The workload benchmarks cycle through the workload's requests (≈10%
// match no rule). Besides ns/op they report cpu-ns/op, the process CPU time
// per operation (garbage collection included): on a shared machine wall
// time also counts the time the benchmark waits for a core.

// decideWorkloads are the workload sub-benchmarks, generated on first use.
var decideWorkloads = []struct {
	name string
	gen  func() routebench.Workload
}{
	{"routes=10", func() routebench.Workload { return routebench.Routes(10) }},
	{"routes=100", func() routebench.Workload { return routebench.Routes(100) }},
	{"routes=1000", func() routebench.Workload { return routebench.Routes(1000) }},
	{"routes=10000", func() routebench.Workload { return routebench.Routes(10000) }},
	{"hosts=10000", func() routebench.Workload { return routebench.Hosts(10000) }},
}

// BenchmarkDecide measures Decide: the seeds' bookinfo and the other
// fixed cases, then the routebench workloads.
func BenchmarkDecide(b *testing.B) {
	benchDecideAll(b, (*route.Table).Decide)
}

// BenchmarkDecideLinear measures the linear reference matcher on the same
// cases: one run gives the ratio the indexes buy.
func BenchmarkDecideLinear(b *testing.B) {
	benchDecideAll(b, (*route.Table).DecideLinear)
}

func benchDecideAll(b *testing.B, decide func(*route.Table, *match.Request) route.Decision) {
	for _, c := range route.SeedBenchCases(b) {
		b.Run(c.Name, func(b *testing.B) {
			if d := decide(c.Table, c.Req); d.Action != c.Want {
				b.Fatalf("action %v, want %v (%s)", d.Action, c.Want, d.Reason)
			}
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				_ = decide(c.Table, c.Req)
			}
			cpu.report(b)
		})
	}
	for _, w := range decideWorkloads {
		b.Run(w.name, func(b *testing.B) {
			wl := w.gen()
			tbl, reqs := compileWorkload(b, wl), wl.MatchRequests()
			b.ReportAllocs()
			cpu := startCPU()
			i := 0
			for b.Loop() {
				_ = decide(tbl, &reqs[i])
				if i++; i == len(reqs) {
					i = 0
				}
			}
			cpu.report(b)
		})
	}
}

// BenchmarkCompile measures compiling 10,000 VirtualServices of 10 rules
// each (routebench.Compile) and reports the bytes allocated per rule.
func BenchmarkCompile(b *testing.B) {
	for _, size := range []struct{ vs, rules int }{{10000, 10}} {
		w := routebench.Compile(size.vs, size.rules)
		b.Run(fmt.Sprintf("vs=%d", size.vs), func(b *testing.B) {
			cfg := w.Config()
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			cpu := startCPU()
			n := 0
			for b.Loop() {
				if _, err := route.Compile(cfg); err != nil {
					b.Fatal(err)
				}
				n++
			}
			cpu.report(b)
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(n*len(w.Rules)), "B/rule")
		})
	}
}

// BenchmarkStoreUpdate measures a Store reloading the compile
// workload's configuration (vs=10000: 10,000 VirtualServices × 10 rules,
// a tenth of them regexes): unlike a first Compile, it reuses the
// regexes the table in force has compiled.
func BenchmarkStoreUpdate(b *testing.B) {
	w := routebench.Compile(10000, 10)
	b.Run("vs=10000", func(b *testing.B) {
		cfg := w.Config()
		s, err := route.NewStore(cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		cpu := startCPU()
		for b.Loop() {
			if err := s.Update(cfg); err != nil {
				b.Fatal(err)
			}
		}
		cpu.report(b)
	})
}

// cpuClock measures the process CPU time of a benchmark loop.
type cpuClock struct{ start time.Duration }

func startCPU() cpuClock { return cpuClock{processCPU()} }

// report adds cpu-ns/op when the platform can tell the process CPU time.
func (c cpuClock) report(b *testing.B) {
	if c.start < 0 || b.N == 0 {
		return
	}
	b.ReportMetric(float64(processCPU()-c.start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkDecideIndexParts measures what each part of the rule index
// buys on routes=1000 and routes=10000: the full index, without the
// exact-path maps, without the prefix tries, and with no rule index (the
// rules walked in order; the host index still used).
func BenchmarkDecideIndexParts(b *testing.B) {
	for _, w := range decideWorkloads[2:4] {
		wl := w.gen()
		reqs := wl.MatchRequests()
		for _, part := range []string{"full", "exact", "prefix", "all"} {
			name := "without-" + part
			if part == "full" {
				name = "full"
			}
			b.Run(w.name+"/"+name, func(b *testing.B) {
				tbl := compileWorkload(b, wl)
				tbl.DropIndexPart(part)
				b.ReportAllocs()
				cpu := startCPU()
				i := 0
				for b.Loop() {
					_ = tbl.Decide(&reqs[i])
					if i++; i == len(reqs) {
						i = 0
					}
				}
				cpu.report(b)
			})
		}
	}
}
