package policy

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	networking "istio.io/api/networking/v1alpha3"
)

func TestCompileLoadBalancer(t *testing.T) {
	type lbView struct {
		LB        string
		RingSize  int
		TableSize int
	}
	ring := func(n uint64) *networking.LoadBalancerSettings_ConsistentHashLB {
		ch := headerHash("x")
		ch.HashAlgorithm = &networking.LoadBalancerSettings_ConsistentHashLB_RingHash_{RingHash: &networking.LoadBalancerSettings_ConsistentHashLB_RingHash{MinimumRingSize: n}}
		return ch
	}
	tests := []struct {
		name string
		p    *networking.TrafficPolicy
		want lbView
	}{
		{"no loadBalancer is LEAST_REQUEST (Istio's default)", nil, lbView{LB: "LEAST_REQUEST"}},
		//lint:ignore SA1019 the deprecated LEAST_CONN is still accepted, as Istio does
		{"LEAST_CONN is LEAST_REQUEST", lbPolicy(networking.LoadBalancerSettings_LEAST_CONN), lbView{LB: "LEAST_REQUEST"}},
		{"UNSPECIFIED is LEAST_REQUEST", lbPolicy(networking.LoadBalancerSettings_UNSPECIFIED), lbView{LB: "LEAST_REQUEST"}},
		{"consistentHash defaults to a ring of 1024", hashPolicy(headerHash("x")), lbView{LB: "RING_HASH", RingSize: 1024}},
		{"ringHash minimumRingSize", hashPolicy(ring(4096)), lbView{LB: "RING_HASH", RingSize: 4096}},
		{"maglev tableSize", hashPolicy(withMaglev(headerHash("x"), 251)), lbView{LB: "MAGLEV", RingSize: 1024, TableSize: 251}},
		{"maglev without tableSize uses 65537", hashPolicy(withMaglev(headerHash("x"), 0)), lbView{LB: "MAGLEV", RingSize: 1024, TableSize: 65537}},
		{"maglev tableSize beyond 5000011 falls back to 65537", hashPolicy(withMaglev(headerHash("x"), 6000000)), lbView{LB: "MAGLEV", RingSize: 1024, TableSize: 65537}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := compile(tc.p)
			got := lbView{LB: c.lb.String(), RingSize: c.ringSize, TableSize: c.tableSize}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("compiled (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompileOutlierDefaults(t *testing.T) {
	got := compileOutlier(&networking.OutlierDetection{})
	want := outlierConfig{enabled: true, consec5xx: 5, interval: 10 * time.Second, base: 30 * time.Second, maxPercent: 10}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(outlierConfig{})); diff != "" {
		t.Errorf("empty outlierDetection block: Envoy defaults (-want +got):\n%s", diff)
	}
	got = compileOutlier(&networking.OutlierDetection{SplitExternalLocalOriginErrors: true})
	if got.consecLocal != 5 {
		t.Errorf("split without consecutiveLocalOriginFailures: threshold %d, want Envoy's 5", got.consecLocal)
	}
	if compileOutlier(nil).enabled {
		t.Errorf("no outlierDetection block enabled detection")
	}
}
