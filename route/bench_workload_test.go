package route_test

import (
	"testing"

	"github.com/meshroute/meshroute/internal/routebench"
	"github.com/meshroute/meshroute/route"
)

// compileWorkload compiles w's configuration.
func compileWorkload(tb testing.TB, w routebench.Workload) *route.Table {
	tb.Helper()
	t, err := route.Compile(w.Config())
	if err != nil {
		tb.Fatalf("%s: Compile: %v", w.Name, err)
	}
	return t
}

// ruleOf returns the index in w.Rules of the rule d reports, -1 when no
// rule decided and -2 for a rule the workload does not have.
func ruleOf(w routebench.Workload, d route.Decision) int {
	if d.Rule.Index < 0 {
		return -1
	}
	for i, r := range w.Rules {
		if r.VirtualService == d.VirtualService.Name && r.Index == d.Rule.Index {
			return i
		}
	}
	return -2
}

// maxChecked bounds the requests TestWorkloadDecideAgrees checks per
// workload; larger workloads are checked on an even sample.
const maxChecked = 1000

// TestWorkloadDecideAgrees checks that Decide picks, for the requests of
// the benchmark workloads, the rule routebench's naive Istio walk expects
// and routes them: the benchmarks measure correct decisions. Workloads of
// more than maxChecked requests are checked on an even sample, the
// 10,000-rule ones only without -short.
func TestWorkloadDecideAgrees(t *testing.T) {
	workloads := []routebench.Workload{
		routebench.Routes(10), routebench.Routes(100), routebench.Routes(1000),
		routebench.Hosts(1000), routebench.Compile(100, 10),
	}
	if !testing.Short() {
		workloads = append(workloads, routebench.Routes(10000), routebench.Hosts(10000))
	}
	for _, w := range workloads {
		t.Run(w.Name, func(t *testing.T) {
			tbl := compileWorkload(t, w)
			reqs := w.MatchRequests()
			wrong, step := 0, 1
			if len(reqs) > maxChecked {
				step = (len(reqs) + maxChecked - 1) / maxChecked
			}
			for i := 0; i < len(reqs); i += step {
				d := tbl.Decide(&reqs[i])
				got, want := ruleOf(w, d), w.Expected(i)
				if got == want && (want < 0 || d.Action == route.ActionRoute) {
					continue
				}
				if wrong++; wrong <= 5 {
					r := w.Requests[i]
					t.Errorf("%s %s%s %v: got rule %d (%s %s#%d, action %s %s), want %d",
						r.Method, r.Host, r.Path, r.Headers, got, d.VirtualService, d.Rule.Name, d.Rule.Index,
						d.Action, d.Reason, want)
				}
			}
			if wrong > 5 {
				t.Errorf("... %d of the requests checked wrong in all", wrong)
			}
		})
	}
}

// The workload benchmarks are BenchmarkDecide/routes=N, hosts=10000 and
// BenchmarkCompile/vs=10000 (bench_decide_test.go).
