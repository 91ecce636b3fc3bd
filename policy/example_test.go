package policy_test

import (
	"errors"
	"fmt"
	"net/http"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/subset"
)

func ExampleRuntime_Pick() {
	reg := subset.NewRegistry()
	reg.SetService(subset.Service{
		Host:  "reviews.default.svc.cluster.local",
		Ports: []subset.ServicePort{{Number: 9080, Name: "http"}},
		Endpoints: []subset.Endpoint{
			{Address: "10.0.0.1", Labels: map[string]string{"version": "v1"}},
			{Address: "10.0.0.2", Labels: map[string]string{"version": "v2"}},
			{Address: "10.0.0.3", Labels: map[string]string{"version": "v2"}},
		},
	})
	rt := policy.NewRuntime(reg)
	target := &policy.Target{
		Host: "reviews.default.svc.cluster.local", Subset: "v2", Port: 9080,
		SubsetLabels: map[string]string{"version": "v2"},
		Policy: &networking.TrafficPolicy{LoadBalancer: &networking.LoadBalancerSettings{
			LbPolicy: &networking.LoadBalancerSettings_Simple{Simple: networking.LoadBalancerSettings_ROUND_ROBIN}}},
	}
	req := match.FromHTTP(&http.Request{Method: "GET", Host: "reviews:9080", Header: http.Header{}})
	for i := 0; i < 3; i++ {
		lease, err := rt.Pick(target, &req, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(lease.Addr)
		// ... send the request to lease.Addr, then report how it went:
		lease.Release(policy.Result{Status: 200})
	}
	s := rt.Stats()[0]
	fmt.Println(s.Cluster, "requests:", s.Requests, "active:", s.Active)
	// Output:
	// 10.0.0.2:9080
	// 10.0.0.3:9080
	// 10.0.0.2:9080
	// outbound|9080|v2|reviews.default.svc.cluster.local requests: 3 active: 0
}

func ExampleRuntime_Pick_overflow() {
	reg := subset.NewRegistry()
	reg.Set("db.example.com", []subset.Endpoint{{Address: "192.0.2.1", Port: 5432}})
	rt := policy.NewRuntime(reg)
	target := &policy.Target{Host: "db.example.com", Port: 5432, Policy: &networking.TrafficPolicy{
		ConnectionPool: &networking.ConnectionPoolSettings{Http: &networking.ConnectionPoolSettings_HTTPSettings{Http2MaxRequests: 1}}}}
	first, _ := rt.Pick(target, &match.Request{}, nil)
	_, err := rt.Pick(target, &match.Request{}, nil)
	fmt.Println(errors.Is(err, policy.ErrOverflow)) // answer 503 with x-envoy-overloaded: true
	first.Release(policy.Result{Status: 200})
	_, err = rt.Pick(target, &match.Request{}, nil)
	fmt.Println(err)
	// Output:
	// true
	// <nil>
}

func ExampleMergePolicy() {
	top := &networking.TrafficPolicy{
		ConnectionPool: &networking.ConnectionPoolSettings{Tcp: &networking.ConnectionPoolSettings_TCPSettings{MaxConnections: 100}},
		LoadBalancer:   &networking.LoadBalancerSettings{LbPolicy: &networking.LoadBalancerSettings_Simple{Simple: networking.LoadBalancerSettings_ROUND_ROBIN}},
	}
	v2 := &networking.Subset{Name: "v2", TrafficPolicy: &networking.TrafficPolicy{
		ConnectionPool: &networking.ConnectionPoolSettings{Http: &networking.ConnectionPoolSettings_HTTPSettings{Http2MaxRequests: 5}}}}
	eff := policy.MergePolicy(top, v2, 8080)
	// The subset's connectionPool replaces the whole block: maxConnections is gone.
	fmt.Println(eff.GetLoadBalancer().GetSimple(), eff.GetConnectionPool().GetTcp().GetMaxConnections(), eff.GetConnectionPool().GetHttp().GetHttp2MaxRequests())
	// Output: ROUND_ROBIN 0 5
}

func ExampleClientTLS() {
	_, err := policy.ClientTLS(&networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_ISTIO_MUTUAL}, "reviews")
	fmt.Println(err)
	cfg, _ := policy.ClientTLS(&networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_SIMPLE}, "api.example.com")
	fmt.Println(cfg.ServerName)
	// Output:
	// tls.mode ISTIO_MUTUAL needs Istio-issued workload certificates, which meshroute does not have: use mode MUTUAL with clientCertificate, privateKey and caCertificates files, or DISABLE for plaintext
	// api.example.com
}
