package peerbench

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/meshroute/meshroute/internal/routebench"
)

// WorkloadNames are the workloads compared, in order: N rules on one host
// (routebench.Routes) and 10,000 hosts (routebench.Hosts).
var WorkloadNames = []string{"routes=10", "routes=100", "routes=1000", "routes=10000", "hosts=10000"}

// NewWorkload generates the workload named "routes=N" or "hosts=N".
func NewWorkload(name string) (routebench.Workload, error) {
	kind, num, ok := strings.Cut(name, "=")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || n <= 0 {
		return routebench.Workload{}, fmt.Errorf("workload %q: want routes=N or hosts=N with N > 0", name)
	}
	switch kind {
	case "routes":
		return routebench.Routes(n), nil
	case "hosts":
		return routebench.Hosts(n), nil
	}
	return routebench.Workload{}, fmt.Errorf("workload %q: unknown kind %q, want routes or hosts", name, kind)
}

// Case is one router to measure on the part of a workload it expresses.
type Case struct {
	Router Router
	// Workload is the subset of the workload the router expresses.
	Workload routebench.Workload
	// Full is the workload the subset was taken from.
	Full routebench.Workload
	// Dropped is the number of rules left out; Reasons counts them by why.
	Dropped int
	Reasons map[string]int
}

// Plan returns the case of every router on w.
func Plan(w routebench.Workload, routers []Router) []Case {
	multi := multiHost(w)
	out := make([]Case, 0, len(routers))
	for _, r := range routers {
		reasons := map[string]int{}
		sub, dropped := w.Subset(func(rule routebench.Rule) bool {
			why := r.Cannot(rule, multi)
			if why != "" {
				reasons[why]++
			}
			return why == ""
		})
		out = append(out, Case{Router: r, Workload: sub, Full: w, Dropped: dropped, Reasons: reasons})
	}
	return out
}

// Partial reports whether the router left some rules out.
func (c Case) Partial() bool { return c.Dropped > 0 }

// Empty reports whether the router expresses none of the rules.
func (c Case) Empty() bool { return len(c.Workload.Rules) == 0 }

// Baseline returns meshroute on the same subset, the case a partial
// router's time is compared with.
func (c Case) Baseline() Case {
	return Case{Router: Meshroute, Workload: c.Workload, Full: c.Full}
}

// BaselineName is the name of c's baseline in benchmark names and the
// table: "meshroute" for a router that expresses everything,
// "meshroute-subset-<router>" otherwise.
func (c Case) BaselineName() string {
	if !c.Partial() {
		return Meshroute.Name
	}
	return Meshroute.Name + "-subset-" + BenchName(c.Router.Name)
}

// BenchName returns name as a benchmark name element ("gorilla/mux" →
// "gorilla-mux": a "/" would start a sub-benchmark).
func BenchName(name string) string { return strings.ReplaceAll(name, "/", "-") }

// Why describes the rules the router left out, "" when none: "9 rules:
// no header conditions; 1 rule: no regex parameters".
func (c Case) Why() string {
	if !c.Partial() {
		return ""
	}
	whys := make([]string, 0, len(c.Reasons))
	for why := range c.Reasons {
		whys = append(whys, why)
	}
	sort.Strings(whys)
	parts := make([]string, len(whys))
	for i, why := range whys {
		n := c.Reasons[why]
		parts[i] = strconv.Itoa(n) + " rule" + plural(n) + ": " + why
	}
	return strings.Join(parts, "; ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Check compares the route l finds for every request of w with
// w.Expected. It returns the number of disagreements and a description
// of the first.
func Check(l Lookup, w routebench.Workload) (bad int, first string) {
	return CheckSample(l, w, len(w.Requests))
}

// CheckSample is Check on at most limit requests spread evenly over w
// (a linear router on 10,000 hosts takes milliseconds per request).
func CheckSample(l Lookup, w routebench.Workload, limit int) (bad int, first string) {
	n := len(w.Requests)
	step := 1
	if limit > 0 && n > limit {
		step = (n + limit - 1) / limit
	}
	for i := 0; i < n; i += step {
		req := w.Requests[i]
		got, want := l.Route(i), w.Expected(i)
		if got == want {
			continue
		}
		if bad == 0 {
			first = fmt.Sprintf("%s %s%s: got rule %d, want %d", req.Method, req.Host, req.Path, got, want)
		}
		bad++
	}
	return bad, first
}

// CheckLimit is the number of requests the benchmarks check before
// measuring.
const CheckLimit = 300

// Bench returns a benchmark of l's lookup over n requests, in order,
// cycling. It reports allocations.
func Bench(l Lookup, n int) func(*testing.B) {
	return func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			l.Hit(i)
			if i++; i == n {
				i = 0
			}
		}
	}
}
