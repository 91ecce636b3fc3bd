package peerbench_test

import (
	"fmt"

	"github.com/meshroute/meshroute/internal/peerbench"
	"github.com/meshroute/meshroute/internal/routebench"
)

// Plan tells, for each router, which part of a workload it can express.
func ExamplePlan() {
	for _, c := range peerbench.Plan(routebench.Routes(100), peerbench.Routers) {
		why := c.Why()
		if why == "" {
			why = "everything"
		}
		fmt.Printf("%-12s %3d rules, %3d requests: %s\n", c.Router.Name, len(c.Workload.Rules), len(c.Workload.Requests), why)
	}
	// Output:
	// meshroute    100 rules, 112 requests: everything
	// chi           91 rules, 103 requests: 9 rules: no header conditions
	// gorilla/mux  100 rules, 112 requests: everything
	// httprouter    90 rules, 102 requests: 9 rules: no header conditions; 1 rule: no regex parameters
	// servemux      90 rules, 102 requests: 9 rules: no header conditions; 1 rule: no regexes ({name} matches any segment)
}
