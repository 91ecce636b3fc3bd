package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
)

func TestLocalityPriority(t *testing.T) {
	tests := []struct {
		name, caller, ep string
		failover         map[string]string
		want             int
	}{
		{"same region, zone and subzone first", "us/east/a", "us/east/a", nil, 0},
		{"same zone, other subzone second", "us/east/a", "us/east/b", nil, 1},
		{"same region, other zone third", "us/east/a", "us/west/a", nil, 2},
		{"other region after", "us/east/a", "eu/west/a", nil, 3},
		{"endpoint without locality counts as another region", "us/east/a", "", nil, 3},
		{"failover target region before other regions", "us/east/a", "eu/west/a", map[string]string{"us": "eu"}, 3},
		{"regions other than the failover target last", "us/east/a", "ap/south/a", map[string]string{"us": "eu"}, 4},
		{"unknown caller ranks everything first", "", "eu/west/a", nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := localityPriority(tc.caller, tc.ep, tc.failover); got != tc.want {
				t.Errorf("priority = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestLocalityFailover(t *testing.T) {
	eps := endpoints(3)
	eps[0].Locality, eps[1].Locality, eps[2].Locality = "eu/west/a", "us/east/b", "us/east/a"
	p := outlierPolicy(&networking.OutlierDetection{Consecutive_5XxErrors: u32(1), MaxEjectionPercent: 100})
	clk := newFakeClock()
	rt, tg, _ := newTestRuntime(t, eps, p, WithLocality("us/east/a"), WithClock(clk.Now))
	pickAll := func() map[string]int { return countPicks(t, rt, tg, &match.Request{}, 10) }
	if diff := cmp.Diff(map[string]int{addr(3): 10}, pickAll()); diff != "" {
		t.Errorf("same subzone takes all traffic (-want +got):\n%s", diff)
	}
	l, _ := rt.Pick(tg, &match.Request{}, nil)
	l.Release(Result{Status: 503})
	if diff := cmp.Diff(map[string]int{addr(2): 10}, pickAll()); diff != "" {
		t.Errorf("after ejection, same zone takes over (-want +got):\n%s", diff)
	}
	l, _ = rt.Pick(tg, &match.Request{}, nil)
	l.Release(Result{Status: 503})
	if diff := cmp.Diff(map[string]int{addr(1): 10}, pickAll()); diff != "" {
		t.Errorf("then the other region (-want +got):\n%s", diff)
	}
	t.Run("without outlierDetection locality is not applied", func(t *testing.T) {
		rt, tg, _ := newTestRuntime(t, eps, lbPolicy(networking.LoadBalancerSettings_ROUND_ROBIN), WithLocality("us/east/a"))
		if got := countPicks(t, rt, tg, &match.Request{}, 30); len(got) != 3 {
			t.Errorf("picks %v, want all three hosts", got)
		}
	})
}

func TestLocalityMatch(t *testing.T) {
	tests := []struct {
		name, locality, pattern string
		want                    bool
	}{
		{"exact locality", "us/east/a", "us/east/a", true},
		{"trailing wildcard covers zones", "us/east/a", "us/*", true},
		{"omitted segments match anything", "us/east/a", "us/east", true},
		{"other region", "eu/east/a", "us/*", false},
		{"other subzone", "us/east/b", "us/east/a", false},
		{"lone wildcard covers everything", "ap/x/y", "*", true},
		{"pattern deeper than the locality", "us", "us/east/a", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := localityMatch(tc.locality, tc.pattern); got != tc.want {
				t.Errorf("localityMatch(%q, %q) = %v, want %v", tc.locality, tc.pattern, got, tc.want)
			}
		})
	}
}

func TestLocalityDistribute(t *testing.T) {
	eps := endpoints(5)
	eps[0].Locality, eps[1].Locality, eps[2].Locality = "us/east/a", "us/east/b", "us/east/a"
	eps[3].Locality, eps[4].Locality = "us/west/a", "eu/west/a"
	p := &networking.TrafficPolicy{LoadBalancer: &networking.LoadBalancerSettings{
		LbPolicy: &networking.LoadBalancerSettings_Simple{Simple: networking.LoadBalancerSettings_RANDOM},
		LocalityLbSetting: &networking.LocalityLoadBalancerSetting{Distribute: []*networking.LocalityLoadBalancerSetting_Distribute{{
			From: "us/east/*", To: map[string]uint32{"us/east/*": 80, "us/west/*": 20}}}}}}
	t.Run("traffic splits by locality weight, then evenly inside a locality (±5%); other localities get none", func(t *testing.T) {
		rt, tg, _ := newTestRuntime(t, eps, p, WithLocality("us/east/a"))
		got := countPicks(t, rt, tg, &match.Request{}, 30000)
		east := got[addr(1)] + got[addr(2)] + got[addr(3)]
		if !within(east, 24000, 0.05) || !within(got[addr(4)], 6000, 0.05) || got[addr(5)] != 0 {
			t.Errorf("picks %v: want us/east 24000, us/west 6000 (±5%%), eu none", got)
		}
		for i := 1; i <= 3; i++ {
			if !within(got[addr(i)], 8000, 0.08) {
				t.Errorf("us/east host %d got %d, want 8000±8%%", i, got[addr(i)])
			}
		}
	})
	t.Run("a caller outside from is not affected", func(t *testing.T) {
		rt, tg, _ := newTestRuntime(t, eps, p, WithLocality("eu/west/a"))
		if got := countPicks(t, rt, tg, &match.Request{}, 500); len(got) != 5 {
			t.Errorf("picks %v, want all five hosts", got)
		}
	})
}

func TestLocalitySpillover(t *testing.T) {
	eps := endpoints(3)
	eps[0].Locality, eps[1].Locality, eps[2].Locality = "us/east/a", "us/east/a", "us/east/b"
	od := &networking.OutlierDetection{Consecutive_5XxErrors: u32(1), MaxEjectionPercent: 100}
	p := &networking.TrafficPolicy{LoadBalancer: simpleLB(networking.LoadBalancerSettings_RANDOM), OutlierDetection: od}
	rt, tg, _ := newTestRuntime(t, eps, p, WithLocality("us/east/a"), WithClock(newFakeClock().Now))
	if got := countPicks(t, rt, tg, &match.Request{}, 1000); got[addr(3)] != 0 {
		t.Fatalf("healthy local priority leaked %d picks to the next", got[addr(3)])
	}
	for {
		l, _ := rt.Pick(tg, &match.Request{}, nil)
		if l.Addr == addr(1) {
			l.Release(Result{Status: 500})
			break
		}
		l.Release(Result{Status: 200})
	}
	got := countPicks(t, rt, tg, &match.Request{}, 20000)
	// half the local priority is healthy: 50% × 1.4 = 70% stays, 30% spills
	if !within(got[addr(2)], 14000, 0.05) || !within(got[addr(3)], 6000, 0.05) {
		t.Errorf("picks %v, want 14000 local and 6000 spilled (±5%%)", got)
	}
}

func TestFailoverPriority(t *testing.T) {
	eps := endpoints(4)
	eps[0].Labels = map[string]string{"env": "prod", "tier": "gold"}
	eps[1].Labels = map[string]string{"env": "prod", "tier": "silver"}
	eps[2].Labels = map[string]string{"env": "dev", "tier": "gold"}
	eps[3].Labels, eps[3].Locality = map[string]string{"env": "prod"}, "us/east/a"
	caller := map[string]string{"env": "prod", "tier": "gold"}
	tests := []struct {
		name     string
		priority []string
		want     []int // priority of each endpoint (locality rank 0 for all: caller has none)
	}{
		{"endpoints matching all labels first, then by the longest matching prefix", []string{"env", "tier"}, []int{0, 8, 16, 8}},
		{"key=value compares with the given value instead of the caller's", []string{"env=dev"}, []int{8, 8, 0, 8}},
		{"topology labels come from the endpoint's locality", []string{labelRegion}, []int{8, 8, 8, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &networking.TrafficPolicy{LoadBalancer: &networking.LoadBalancerSettings{
				LocalityLbSetting: &networking.LocalityLoadBalancerSetting{FailoverPriority: tc.priority}},
				OutlierDetection: &networking.OutlierDetection{}}
			callerLabels := caller
			if tc.priority[0] == labelRegion {
				callerLabels = map[string]string{labelRegion: "us"}
			}
			rt, tg, _ := newTestRuntime(t, eps, p, WithSourceLabels(callerLabels))
			c := rt.cluster(tg)
			var got []int
			for _, e := range c.current().hosts {
				got = append(got, e.priority)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("priorities (-want +got):\n%s", diff)
			}
			picks := countPicks(t, rt, tg, &match.Request{}, 50)
			for i, pr := range tc.want {
				if pr != 0 && picks[addr(i+1)] > 0 {
					t.Errorf("endpoint %d of priority %d got %d picks while priority 0 is healthy", i+1, pr, picks[addr(i+1)])
				}
			}
		})
	}
}
