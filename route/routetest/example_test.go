package routetest_test

import (
	"fmt"

	"github.com/meshroute/meshroute/route"
	"github.com/meshroute/meshroute/route/routetest"
)

// Check returns a diff when the decision differs from the expectation; in
// a Go test, routetest.Expect reports that diff with t.Errorf.
func ExampleCheck() {
	cfg, _ := route.LoadBytes([]byte(reviewsYAML), "reviews.yaml")
	tbl, _ := route.Compile(cfg)
	diff, _ := routetest.Check(tbl, routetest.Case{
		Request: routetest.Get("http://reviews/", "Foo: bar"),
		Want:    routetest.Want{Subset: "v2"},
	})
	fmt.Printf("diff: %q\n", diff)
	// Output: diff: ""
}
