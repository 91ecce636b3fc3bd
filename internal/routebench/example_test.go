package routebench_test

import (
	"fmt"

	"github.com/meshroute/meshroute/internal/routebench"
)

// A workload is a table and a request stream with the rule each request
// must reach.
func ExampleRoutes() {
	w := routebench.Routes(10)
	fmt.Println(w.Name, len(w.Rules), "rules,", len(w.Requests), "requests")
	for _, r := range w.Rules[:3] {
		fmt.Println(r.PathKind, r.Path, "->", r.Target)
	}
	req := routebench.Request{Method: "GET", Host: routebench.RoutesHost, Path: "/static/r1/logo.png"}
	fmt.Println("rule for", req.Path, "is", routebench.ExpectedRule(w.Rules, req))
	// Output:
	// routes=10 10 rules, 12 requests
	// exact /api/v1/svc0/items -> backend0.bench.internal
	// prefix /static/r1/ -> backend1.bench.internal
	// exact /api/v1/svc2/items -> backend2.bench.internal
	// rule for /static/r1/logo.png is 1
}
