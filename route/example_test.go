package route_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
)

const exampleConfig = `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: reviews, namespace: bookinfo}
spec:
  hosts: [reviews]
  http:
  - match:
    - uri: {prefix: /api}
      headers:
        end-user: {exact: jason}
    route:
    - destination: {host: reviews, subset: v2}
    rewrite: {uri: /v2}
    timeout: 2s
  - route:
    - destination: {host: reviews, subset: v1}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews, namespace: bookinfo}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`

// Compile turns loaded configuration into an immutable routing table.
func ExampleCompile() {
	cfg, err := route.LoadBytes([]byte(exampleConfig), "bookinfo.yaml")
	if err != nil {
		panic(err)
	}
	table, err := route.Compile(cfg, route.WithNamespace("bookinfo"), route.WithRand(rand.NewPCG(1, 2)))
	if err != nil {
		panic(err)
	}
	fmt.Println(len(table.Warnings()), "warnings")
	// Output: 0 warnings
}

// Decide answers, for one request, everything Envoy would do with it.
func ExampleTable_Decide() {
	cfg, _ := route.LoadBytes([]byte(exampleConfig), "bookinfo.yaml")
	table, _ := route.Compile(cfg)

	r, _ := http.NewRequest("GET", "http://reviews:9080/api/list?x=1", nil)
	r.Header.Set("End-User", "jason")
	req := match.FromHTTP(r)
	req.SourceNamespace = "bookinfo"

	d := table.Decide(&req)
	fmt.Println(d.Action, d.Target.Key())
	fmt.Println(d.Path, d.Timeout, d.Retry.Attempts, d.Target.SubsetLabels)
	// Output:
	// route outbound|9080|v2|reviews.bookinfo.svc.cluster.local
	// /v2/list?x=1 2s 2 map[version:v2]
}

// Explain shows why a request went where it went.
func ExampleTable_Explain() {
	cfg, _ := route.LoadBytes([]byte(exampleConfig), "bookinfo.yaml")
	table, _ := route.Compile(cfg)
	req := match.Request{Method: "GET", Authority: "reviews.bookinfo", Path: "/api/x", SourceNamespace: "bookinfo",
		Header: http.Header{"End-User": {"Jason"}}}
	fmt.Print(table.Explain(&req))
	// Output:
	// view: sidecars in namespace bookinfo
	// virtual services:
	//   bookinfo/reviews: taken for reviews.bookinfo.svc.cluster.local [serves this request]
	// virtual host: reviews.bookinfo.svc.cluster.local
	//   rule bookinfo/reviews http[0]: no match
	//     match[0] uri prefix "/api" && header end-user = "jason": failed: header end-user: "Jason" is not "jason"
	//   rule bookinfo/reviews http[1]: MATCHED
	//     (no match: every request)
	// decision: route to outbound|0|v1|reviews.bookinfo.svc.cluster.local path /api/x
}
