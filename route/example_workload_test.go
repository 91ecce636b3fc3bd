package route_test

import (
	"fmt"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
)

// A DestinationRule with a workloadSelector applies to the calling
// workloads whose labels it selects, in its own namespace; the others get
// the host's rule without a selector.
func ExampleTable_Decide_workloadSelector() {
	cfg, _ := route.LoadBytes([]byte(`
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews, namespace: bookinfo}
spec:
  host: reviews
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews-canary, namespace: bookinfo, creationTimestamp: "2025-01-01T00:00:00Z"}
spec:
  host: reviews
  workloadSelector: {matchLabels: {app: productpage, track: canary}}
  trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}
`), "reviews.yaml")
	table, _ := route.Compile(cfg)
	for _, labels := range []map[string]string{
		{"app": "productpage"},
		{"app": "productpage", "track": "canary"},
	} {
		req := match.Request{Method: "GET", Authority: "reviews:9080", Path: "/", SourceNamespace: "bookinfo", SourceLabels: labels}
		d := table.Decide(&req)
		fmt.Println(d.DestinationRule.Name, d.TrafficPolicy().GetLoadBalancer().GetSimple())
	}
	// Output:
	// reviews ROUND_ROBIN
	// reviews-canary LEAST_REQUEST
}
