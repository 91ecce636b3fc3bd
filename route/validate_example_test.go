package route_test

import (
	"fmt"

	"github.com/meshroute/meshroute/route"
)

// Validate reports Istio's errors and meshroute's warnings, one line each.
func ExampleValidate() {
	in := `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 90
    - destination: {host: reviews, subset: v2}
      weight: -10
    timeout: 10s
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
`
	cfg, err := route.LoadBytes([]byte(in), "reviews.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	problems := route.Validate(cfg)
	for _, p := range problems {
		fmt.Println(p.Severity, p.Code, p.Field)
	}
	fmt.Println("valid:", problems.Err() == nil)
	// Output:
	// error weight-range spec.http[0].route[1].weight
	// warning weight-total spec.http[0].route
	// warning subset-undefined spec.http[0].route[1].destination.subset
	// valid: false
}
