package meshroute_test

import (
	"fmt"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
)

// The whole flow in a few lines: load Istio YAML, compile it, and ask
// where a request goes.
func Example() {
	cfg, err := route.LoadBytes([]byte(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route: [{destination: {host: reviews, subset: v1}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`), "reviews.yaml")
	if err != nil {
		panic(err)
	}
	table, err := route.Compile(cfg)
	if err != nil {
		panic(err)
	}
	for _, user := range []string{"jason", "alice"} {
		req := match.Request{Method: "GET", Authority: "reviews:9080", Path: "/reviews/0",
			Metadata: map[string][]string{"end-user": {user}}}
		d := table.Decide(&req)
		fmt.Println(user, d.Action, d.Target.Key(), d.Timeout)
	}
	// Output:
	// jason route outbound|9080|v2|reviews.default.svc.cluster.local 15s
	// alice route outbound|9080|v1|reviews.default.svc.cluster.local 15s
}
