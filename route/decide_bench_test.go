package route

import (
	"net/netip"
	"testing"

	"github.com/meshroute/meshroute/match"
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
---` + seedReviewsDR + `---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: ratings}
spec:
  host: ratings
  subsets:
  - {name: v1, labels: {version: v1}}
`

// BenchmarkDecide and BenchmarkDecideLinear are in bench_decide_test.go
// (package route_test, to use internal/routebench); bookinfo is their
// configuration (bench_export_test.go).

// BenchmarkDecideL4 measures TCP and TLS decisions.
func BenchmarkDecideL4(b *testing.B) {
	tbl := compileYAML(b, l4Config)
	b.Run("tcp", func(b *testing.B) {
		r := &match.Request{DestinationIP: netip.MustParseAddr("10.1.0.5"), Port: 5432}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_ = tbl.DecideTCP(r)
		}
	})
	b.Run("tls", func(b *testing.B) {
		r := &match.Request{SNI: "a.secure.com", Port: 443}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_ = tbl.DecideTLS(r)
		}
	})
}
