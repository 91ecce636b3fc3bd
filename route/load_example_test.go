package route_test

import (
	"errors"
	"fmt"

	"github.com/meshroute/meshroute/route"
)

// Load Istio objects from YAML as kubectl apply would read them; objects of
// other kinds are skipped, and a typo is an error naming its field path.
func ExampleLoadBytes() {
	in := `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
---
apiVersion: v1
kind: Service
metadata:
  name: reviews
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subset:
  - name: v1
`
	cfg, err := route.LoadBytes([]byte(in), "reviews.yaml")
	fmt.Println("loaded:", cfg.Len(), "skipped:", cfg.Skipped[0].Kind)
	var problems route.Problems
	if errors.As(err, &problems) {
		for _, p := range problems {
			fmt.Println(p)
		}
	}
	// Output:
	// loaded: 1 skipped: Service
	// reviews.yaml doc 3: DestinationRule default/reviews: spec.subset: unknown field of DestinationRule; did you mean "subsets"?
}
