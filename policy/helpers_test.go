package policy

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/subset"
)

// fakeClock is a settable clock for outlier timelines.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

const testHost = "svc.test.svc.cluster.local"

// endpoints returns n endpoints 10.0.0.1…n with the given weights (cycled).
func endpoints(n int, weights ...uint32) []subset.Endpoint {
	eps := make([]subset.Endpoint, n)
	for i := range eps {
		eps[i] = subset.Endpoint{Address: fmt.Sprintf("10.0.0.%d", i+1)}
		if len(weights) > 0 {
			eps[i].Weight = weights[i%len(weights)]
		}
	}
	return eps
}

func addr(i int) string { return fmt.Sprintf("10.0.0.%d:80", i) }

// newTestRuntime registers eps for testHost on port 80 and returns a
// runtime seeded for reproducible picks and the target to pick for.
func newTestRuntime(t testing.TB, eps []subset.Endpoint, p *networking.TrafficPolicy, opts ...RuntimeOption) (*Runtime, *Target, *subset.Registry) {
	t.Helper()
	reg := subset.NewRegistry()
	reg.SetService(subset.Service{Host: testHost, Ports: []subset.ServicePort{{Number: 80, Name: "http"}}, Endpoints: eps})
	opts = append([]RuntimeOption{WithRand(rand.NewPCG(1, 2))}, opts...)
	return NewRuntime(reg, opts...), &Target{Host: testHost, Port: 80, Policy: p}, reg
}

// countPicks picks n times with req (released with 200 at once) and
// counts picks per address.
func countPicks(t testing.TB, rt *Runtime, tg *Target, req *match.Request, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for i := 0; i < n; i++ {
		l, err := rt.Pick(tg, req, nil)
		if err != nil {
			t.Fatalf("Pick: %v", err)
		}
		got[l.Addr]++
		l.Release(Result{Status: 200})
	}
	return got
}

func lbPolicy(lb networking.LoadBalancerSettings_SimpleLB) *networking.TrafficPolicy {
	return &networking.TrafficPolicy{LoadBalancer: simpleLB(lb)}
}

func hashPolicy(ch *networking.LoadBalancerSettings_ConsistentHashLB) *networking.TrafficPolicy {
	return &networking.TrafficPolicy{LoadBalancer: &networking.LoadBalancerSettings{
		LbPolicy: &networking.LoadBalancerSettings_ConsistentHash{ConsistentHash: ch}}}
}

func headerHash(name string) *networking.LoadBalancerSettings_ConsistentHashLB {
	return &networking.LoadBalancerSettings_ConsistentHashLB{
		HashKey: &networking.LoadBalancerSettings_ConsistentHashLB_HttpHeaderName{HttpHeaderName: name}}
}

func withMaglev(ch *networking.LoadBalancerSettings_ConsistentHashLB, size uint64) *networking.LoadBalancerSettings_ConsistentHashLB {
	ch.HashAlgorithm = &networking.LoadBalancerSettings_ConsistentHashLB_Maglev{
		Maglev: &networking.LoadBalancerSettings_ConsistentHashLB_MagLev{TableSize: size}}
	return ch
}

func outlierPolicy(od *networking.OutlierDetection) *networking.TrafficPolicy {
	return &networking.TrafficPolicy{LoadBalancer: simpleLB(networking.LoadBalancerSettings_ROUND_ROBIN), OutlierDetection: od}
}

func u32(v uint32) *wrapperspb.UInt32Value     { return wrapperspb.UInt32(v) }
func dur(d time.Duration) *durationpb.Duration { return durationpb.New(d) }
