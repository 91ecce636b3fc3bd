package route_test

import (
	"fmt"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
)

// A VirtualService sends /pay to an external host no ServiceEntry
// declares. Istio has no cluster for it; by default meshroute routes there
// anyway (its registry may hold the host's endpoints), and Validate warns.
// WithStrictRegistry decides as Istio would.
func ExampleWithStrictRegistry() {
	cfg, err := route.LoadBytes([]byte(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop, namespace: default}
spec:
  hosts: [shop]
  http:
  - match: [{uri: {prefix: /pay}}]
    route: [{destination: {host: payments.example.com}}]
    timeout: 5s
`), "shop.yaml")
	if err != nil {
		panic(err)
	}
	for _, p := range route.Validate(cfg) {
		fmt.Println(p.Code, p.Field)
	}
	req := match.Request{Method: "GET", Authority: "shop", Path: "/pay"}
	for _, strict := range []bool{false, true} {
		table, err := route.Compile(cfg, route.WithStrictRegistry(strict))
		if err != nil {
			panic(err)
		}
		d := table.Decide(&req)
		fmt.Println(strict, d.Action, d.Status, d.Destination.Host)
	}
	// Output:
	// host-not-in-registry spec.http[0].route[0].destination.host
	// false route 0 payments.example.com
	// true unavailable 503 payments.example.com
}
