package route

import (
	"testing"
)

const bookinfo = `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match:
    - headers:
        end-user: {exact: jason}
    route:
    - destination: {host: reviews, subset: v2}
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 75
    - destination: {host: reviews, subset: v2}
      weight: 25
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: ratings}
spec:
  hosts: [ratings]
  http:
  - route:
    - destination: {host: ratings, subset: v1}
    timeout: 10s
    retries: {attempts: 3, perTryTimeout: 2s}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer: {simple: RANDOM}
  subsets:
  - {name: v1, labels: {version: v1}}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      loadBalancer: {simple: ROUND_ROBIN}
  - {name: v3, labels: {version: v3}}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: ratings}
spec:
  host: ratings
  subsets:
  - {name: v1, labels: {version: v1}}
`

// BenchmarkDecide measures the request path on the seeds' bookinfo
// configuration: it must not allocate.
func BenchmarkDecide(b *testing.B) {
	tbl := compileYAML(b, bookinfo)
	cases := []struct {
		name string
		req  func() any
	}{}
	_ = cases
	b.Run("bookinfo", func(b *testing.B) {
		r := req("GET", "reviews:9080", "/reviews/0", "end-user: jason")
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			d := tbl.Decide(r)
			if d.Action != ActionRoute {
				b.Fatal(d.Action)
			}
		}
	})
	b.Run("bookinfo-weighted", func(b *testing.B) {
		r := req("GET", "Reviews.default.svc.cluster.local", "/reviews/0")
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_ = tbl.Decide(r)
		}
	})
	b.Run("bookinfo-ratings", func(b *testing.B) {
		r := req("GET", "ratings:9080", "/ratings/0")
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_ = tbl.Decide(r)
		}
	})
}
