package policy

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/wrapperspb"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
)

func TestWarmup(t *testing.T) {
	warm := func(aggression float64) *networking.TrafficPolicy {
		return &networking.TrafficPolicy{LoadBalancer: &networking.LoadBalancerSettings{
			LbPolicy: &networking.LoadBalancerSettings_Simple{Simple: networking.LoadBalancerSettings_ROUND_ROBIN},
			Warmup: &networking.WarmupConfiguration{Duration: dur(100 * time.Second), MinimumPercent: wrapperspb.Double(10),
				Aggression: wrapperspb.Double(aggression)}}}
	}
	tests := []struct {
		name       string
		aggression float64
		at         time.Duration // after the new host joined
		picks      int           // one full smooth round-robin cycle
		want       map[string]int
	}{
		{"a new host starts at minimumPercent of its weight", 1, 0, 1100, map[string]int{addr(1): 1000, addr(2): 100}},
		{"halfway through the window it has half its weight", 1, 50 * time.Second, 1500, map[string]int{addr(1): 1000, addr(2): 500}},
		{"aggression 2 ramps up as the square root of time", 2, 25 * time.Second, 1500, map[string]int{addr(1): 1000, addr(2): 500}},
		{"after the window it has its full weight", 1, 100 * time.Second, 2000, map[string]int{addr(1): 1000, addr(2): 1000}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			rt, tg, reg := newTestRuntime(t, endpoints(1), warm(tc.aggression), WithClock(clk.Now))
			countPicks(t, rt, tg, &match.Request{}, 1) // the cluster starts with host 1: no warmup
			reg.Set(testHost, endpoints(2))
			countPicks(t, rt, tg, &match.Request{}, 1) // host 2 joins now
			clk.Advance(tc.at)
			rt.cluster(tg).refreshWarmupForTest()
			got := countPicks(t, rt, tg, &match.Request{}, tc.picks)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("picks (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("hosts present when the cluster starts do not warm up", func(t *testing.T) {
		rt, tg, _ := newTestRuntime(t, endpoints(2), warm(1), WithClock(newFakeClock().Now))
		if diff := cmp.Diff(map[string]int{addr(1): 50, addr(2): 50}, countPicks(t, rt, tg, &match.Request{}, 100)); diff != "" {
			t.Errorf("picks (-want +got):\n%s", diff)
		}
	})
}

// refreshWarmupForTest starts the next picks on a freshly built view, so
// that a full round-robin cycle can be counted from its start.
func (c *cluster) refreshWarmupForTest() {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.state.Load()
	st.healthy.Store(c.buildHostSet(st))
}
