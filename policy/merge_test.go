package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
	networking "istio.io/api/networking/v1alpha3"
)

func simpleLB(lb networking.LoadBalancerSettings_SimpleLB) *networking.LoadBalancerSettings {
	return &networking.LoadBalancerSettings{LbPolicy: &networking.LoadBalancerSettings_Simple{Simple: lb}}
}

// reviewsDR is the worked example of destinationrule.md §9.
func reviewsDR() (*networking.TrafficPolicy, *networking.Subset) {
	top := &networking.TrafficPolicy{
		ConnectionPool: &networking.ConnectionPoolSettings{
			Tcp:  &networking.ConnectionPoolSettings_TCPSettings{MaxConnections: 100},
			Http: &networking.ConnectionPoolSettings_HTTPSettings{Http1MaxPendingRequests: 10},
		},
		LoadBalancer: simpleLB(networking.LoadBalancerSettings_ROUND_ROBIN),
		PortLevelSettings: []*networking.TrafficPolicy_PortTrafficPolicy{{
			Port:         &networking.PortSelector{Number: 9080},
			LoadBalancer: simpleLB(networking.LoadBalancerSettings_RANDOM),
		}},
	}
	v2 := &networking.Subset{
		Name:   "v2",
		Labels: map[string]string{"version": "v2"},
		TrafficPolicy: &networking.TrafficPolicy{
			ConnectionPool: &networking.ConnectionPoolSettings{
				Http: &networking.ConnectionPoolSettings_HTTPSettings{Http2MaxRequests: 5},
			},
		},
	}
	return top, v2
}

func TestMergePolicyWorkedExample(t *testing.T) {
	top, v2 := reviewsDR()
	tests := []struct {
		name   string
		subset *networking.Subset
		port   uint32
		want   *networking.TrafficPolicy
	}{{
		name: "no subset on a port with a port-level entry: RANDOM and no connection limits (omitted blocks are not inherited)",
		port: 9080,
		want: &networking.TrafficPolicy{LoadBalancer: simpleLB(networking.LoadBalancerSettings_RANDOM)},
	}, {
		name: "no subset on a port without a port-level entry: the top-level policy",
		port: 8080,
		want: &networking.TrafficPolicy{
			ConnectionPool: &networking.ConnectionPoolSettings{
				Tcp:  &networking.ConnectionPoolSettings_TCPSettings{MaxConnections: 100},
				Http: &networking.ConnectionPoolSettings_HTTPSettings{Http1MaxPendingRequests: 10},
			},
			LoadBalancer:      simpleLB(networking.LoadBalancerSettings_ROUND_ROBIN),
			PortLevelSettings: top.PortLevelSettings,
		},
	}, {
		name:   "subset connectionPool replaces the whole top-level block; loadBalancer inherited",
		subset: v2,
		port:   8080,
		want: &networking.TrafficPolicy{
			ConnectionPool: &networking.ConnectionPoolSettings{
				Http: &networking.ConnectionPoolSettings_HTTPSettings{Http2MaxRequests: 5},
			},
			LoadBalancer:      simpleLB(networking.LoadBalancerSettings_ROUND_ROBIN),
			PortLevelSettings: top.PortLevelSettings,
		},
	}, {
		name:   "subset on a port-level port: start from the port entry, subset connectionPool replaces",
		subset: v2,
		port:   9080,
		want: &networking.TrafficPolicy{
			ConnectionPool: &networking.ConnectionPoolSettings{
				Http: &networking.ConnectionPoolSettings_HTTPSettings{Http2MaxRequests: 5},
			},
			LoadBalancer: simpleLB(networking.LoadBalancerSettings_RANDOM),
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := MergePolicy(top, tc.subset, tc.port)
			if diff := cmp.Diff(tc.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("MergePolicy (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMergePolicyRules(t *testing.T) {
	od := &networking.OutlierDetection{BaseEjectionTime: durationpb.New(60e9)}
	tls := &networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_SIMPLE}
	budget := &networking.TrafficPolicy_RetryBudget{MinRetryConcurrency: 7}
	tunnel := &networking.TrafficPolicy_TunnelSettings{TargetHost: "egress.example.com", TargetPort: 443}
	tests := []struct {
		name   string
		top    *networking.TrafficPolicy
		subset *networking.Subset
		port   uint32
		want   *networking.TrafficPolicy
	}{{
		name: "no top policy and no subset: nil (defaults)",
		port: 80,
	}, {
		name:   "no top policy: the subset's policy alone",
		subset: &networking.Subset{Name: "a", TrafficPolicy: &networking.TrafficPolicy{Tls: tls}},
		port:   80,
		want:   &networking.TrafficPolicy{Tls: tls},
	}, {
		name:   "subset without trafficPolicy: top policy unchanged",
		top:    &networking.TrafficPolicy{OutlierDetection: od},
		subset: &networking.Subset{Name: "a"},
		port:   80,
		want:   &networking.TrafficPolicy{OutlierDetection: od},
	}, {
		name: "port-level entry drops top-level tunnel and retryBudget",
		top: &networking.TrafficPolicy{Tunnel: tunnel, RetryBudget: budget, PortLevelSettings: []*networking.TrafficPolicy_PortTrafficPolicy{{
			Port: &networking.PortSelector{Number: 443}, Tls: tls,
		}}},
		port: 443,
		want: &networking.TrafficPolicy{Tls: tls},
	}, {
		name: "port 0 matches no port-level entry",
		top: &networking.TrafficPolicy{Tls: tls, PortLevelSettings: []*networking.TrafficPolicy_PortTrafficPolicy{{
			Port: &networking.PortSelector{Number: 443}, OutlierDetection: od,
		}}},
		port: 0,
		want: &networking.TrafficPolicy{Tls: tls, PortLevelSettings: []*networking.TrafficPolicy_PortTrafficPolicy{{
			Port: &networking.PortSelector{Number: 443}, OutlierDetection: od,
		}}},
	}, {
		name: "subset port-level entry replaces all four blocks, nil where it omits one",
		top:  &networking.TrafficPolicy{Tls: tls, OutlierDetection: od, RetryBudget: budget},
		subset: &networking.Subset{Name: "a", TrafficPolicy: &networking.TrafficPolicy{
			PortLevelSettings: []*networking.TrafficPolicy_PortTrafficPolicy{{
				Port: &networking.PortSelector{Number: 80}, LoadBalancer: simpleLB(networking.LoadBalancerSettings_RANDOM),
			}},
		}},
		port: 80,
		want: &networking.TrafficPolicy{LoadBalancer: simpleLB(networking.LoadBalancerSettings_RANDOM), RetryBudget: budget},
	}, {
		name: "subset tunnel, proxyProtocol and retryBudget replace the top-level blocks",
		top:  &networking.TrafficPolicy{Tls: tls, RetryBudget: &networking.TrafficPolicy_RetryBudget{MinRetryConcurrency: 1}},
		subset: &networking.Subset{Name: "a", TrafficPolicy: &networking.TrafficPolicy{
			Tunnel: tunnel, RetryBudget: budget,
			ProxyProtocol: &networking.TrafficPolicy_ProxyProtocol{Version: networking.TrafficPolicy_ProxyProtocol_V2},
		}},
		port: 80,
		want: &networking.TrafficPolicy{
			Tls: tls, Tunnel: tunnel, RetryBudget: budget,
			ProxyProtocol: &networking.TrafficPolicy_ProxyProtocol{Version: networking.TrafficPolicy_ProxyProtocol_V2},
		},
	}, {
		name: "subset policy without a port-level entry for the port applies as a whole",
		top:  &networking.TrafficPolicy{Tls: tls},
		subset: &networking.Subset{Name: "a", TrafficPolicy: &networking.TrafficPolicy{
			OutlierDetection: od,
			PortLevelSettings: []*networking.TrafficPolicy_PortTrafficPolicy{{
				Port: &networking.PortSelector{Number: 9090}, LoadBalancer: simpleLB(networking.LoadBalancerSettings_RANDOM),
			}},
		}},
		port: 80,
		want: &networking.TrafficPolicy{Tls: tls, OutlierDetection: od},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := MergePolicy(tc.top, tc.subset, tc.port)
			if diff := cmp.Diff(tc.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("MergePolicy (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMergePolicyDoesNotModifyInputs(t *testing.T) {
	top, v2 := reviewsDR()
	wantTop, wantV2 := reviewsDR()
	_ = MergePolicy(top, v2, 9080)
	_ = MergePolicy(top, v2, 8080)
	if diff := cmp.Diff(wantTop, top, protocmp.Transform()); diff != "" {
		t.Errorf("top policy modified (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantV2, v2, protocmp.Transform()); diff != "" {
		t.Errorf("subset modified (-want +got):\n%s", diff)
	}
}
