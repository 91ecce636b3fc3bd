package policy

import (
	"net/http"
	"net/netip"
	"testing"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
)

func BenchmarkPick(b *testing.B) {
	cookie := &networking.LoadBalancerSettings_ConsistentHashLB{HashKey: &networking.LoadBalancerSettings_ConsistentHashLB_HttpCookie{
		HttpCookie: &networking.LoadBalancerSettings_ConsistentHashLB_HTTPCookie{Name: "sticky", Ttl: dur(60e9)}}}
	cases := []struct {
		name    string
		policy  *networking.TrafficPolicy
		weights []uint32
		req     *match.Request
	}{
		{"LEAST_REQUEST", nil, nil, &match.Request{}},
		{"ROUND_ROBIN", lbPolicy(networking.LoadBalancerSettings_ROUND_ROBIN), nil, &match.Request{}},
		{"ROUND_ROBIN_weighted", lbPolicy(networking.LoadBalancerSettings_ROUND_ROBIN), []uint32{1, 2, 3}, &match.Request{}},
		{"RANDOM", lbPolicy(networking.LoadBalancerSettings_RANDOM), nil, &match.Request{}},
		{"RANDOM_weighted", lbPolicy(networking.LoadBalancerSettings_RANDOM), []uint32{1, 2, 3}, &match.Request{}},
		{"PASSTHROUGH", lbPolicy(networking.LoadBalancerSettings_PASSTHROUGH), nil, &match.Request{Authority: "orig.example.com:8080"}},
		{"RING_HASH_header", hashPolicy(headerHash("x-user")), nil, hdrReq("x-user", "alice")},
		{"RING_HASH_cookie", hashPolicy(cookie), nil, hdrReq("cookie", "a=b; sticky=0123456789abcdef")},
		{"RING_HASH_source_ip", hashPolicy(&networking.LoadBalancerSettings_ConsistentHashLB{HashKey: &networking.LoadBalancerSettings_ConsistentHashLB_UseSourceIp{UseSourceIp: true}}),
			nil, &match.Request{SourceIP: netip.MustParseAddr("192.0.2.1")}},
		{"RING_HASH_query", hashPolicy(&networking.LoadBalancerSettings_ConsistentHashLB{HashKey: &networking.LoadBalancerSettings_ConsistentHashLB_HttpQueryParameterName{HttpQueryParameterName: "s"}}),
			nil, &match.Request{Path: "/p?x=1&s=abc"}},
		{"MAGLEV_header", hashPolicy(withMaglev(headerHash("x-user"), 65537)), nil, hdrReq("x-user", "alice")},
		{"LEAST_REQUEST_outlier_limits", &networking.TrafficPolicy{
			ConnectionPool:   &networking.ConnectionPoolSettings{Http: &networking.ConnectionPoolSettings_HTTPSettings{Http2MaxRequests: 1000}},
			OutlierDetection: &networking.OutlierDetection{}}, nil, &match.Request{}},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			rt, tg, _ := newTestRuntime(b, endpoints(16, bc.weights...), bc.policy)
			l, _ := rt.Pick(tg, bc.req, nil) // build the cluster
			l.Release(Result{Status: 200})
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				l, err := rt.Pick(tg, bc.req, nil)
				if err != nil {
					b.Fatal(err)
				}
				l.Release(Result{Status: 200})
			}
		})
	}
}

func BenchmarkPickParallel(b *testing.B) {
	rt, tg, _ := newTestRuntime(b, endpoints(16), nil)
	req := &match.Request{Header: http.Header{}}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l, err := rt.Pick(tg, req, nil)
			if err != nil {
				b.Fatal(err)
			}
			l.Release(Result{Status: 200})
		}
	})
}
