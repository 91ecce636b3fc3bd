package route

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const workedExample = `
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
  - match:
    - queryParams:
        debug: {exact: ""}
    directResponse: {status: 418}
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 90
    - destination: {host: reviews, subset: v3}
      weight: 10
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews, namespace: bookinfo}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
  - {name: v3, labels: {version: v3}}
`

// TestWorkedExample is virtualservice.md §16 verbatim, under today's
// Istio semantics (no default timeout).
func TestWorkedExample(t *testing.T) {
	tbl := compileYAML(t, workedExample, IstioSemantics())
	const fqdn = "reviews.bookinfo.svc.cluster.local"
	tests := []struct {
		name string
		req  []string // method, authority, path, headers...
		want outcome
	}{
		{
			name: "prefix and header match rewrite the prefix, keep the query, set the timeout",
			req:  []string{"GET", "reviews:9080", "/api/list?x=1", "end-user: jason"},
			want: outcome{Action: ActionRoute, VS: "bookinfo/reviews", Rule: 0, Match: 0, Host: fqdn, Subset: "v2", Port: 9080,
				Path: "/v2/list?x=1", Authority: "reviews:9080", OriginalPath: "/api/list?x=1", Timeout: 2e9, TimeoutSource: TimeoutRoute,
				Retries: 2, RetryDefault: true, DR: "bookinfo/reviews"},
		},
		{
			name: "header names are case-insensitive but values are not, so the weighted rule takes it",
			req:  []string{"GET", "reviews:9080", "/api/list?x=1", "End-User: Jason"},
			want: outcome{Action: ActionRoute, VS: "bookinfo/reviews", Rule: 2, Match: -1, Host: fqdn, Subset: "v1", Port: 9080,
				Path: "/api/list?x=1", Authority: "reviews:9080", Retries: 2, RetryDefault: true, DR: "bookinfo/reviews"},
		},
		{
			name: "query parameter exact empty matches a bare key",
			req:  []string{"GET", "reviews:9080", "/other?debug"},
			want: outcome{Action: ActionDirectResponse, VS: "bookinfo/reviews", Rule: 1, Match: 0, Status: 418},
		},
		{
			name: "query parameter exact empty does not match a value",
			req:  []string{"GET", "reviews:9080", "/other?debug=1"},
			want: outcome{Action: ActionRoute, VS: "bookinfo/reviews", Rule: 2, Match: -1, Host: fqdn, Subset: "v1", Port: 9080,
				Path: "/other?debug=1", Authority: "reviews:9080", Retries: 2, RetryDefault: true, DR: "bookinfo/reviews"},
		},
		{
			name: "uri prefix has no segment boundary",
			req:  []string{"GET", "reviews:9080", "/apix", "end-user: jason"},
			want: outcome{Action: ActionRoute, VS: "bookinfo/reviews", Rule: 0, Match: 0, Host: fqdn, Subset: "v2", Port: 9080,
				Path: "/v2x", Authority: "reviews:9080", OriginalPath: "/apix", Timeout: 2e9, TimeoutSource: TimeoutRoute,
				Retries: 2, RetryDefault: true, DR: "bookinfo/reviews"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := req(tc.req[0], tc.req[1], tc.req[2], tc.req[3:]...)
			r.SourceNamespace = "bookinfo"
			if diff := cmp.Diff(tc.want, summarize(tbl.Decide(r))); diff != "" {
				t.Errorf("Decide (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWorkedExampleWeights draws the 90/10 split many times with a seeded
// source: both subsets are reached, in proportion.
func TestWorkedExampleWeights(t *testing.T) {
	tbl := compileYAML(t, workedExample)
	counts := map[string]int{}
	for i := 0; i < 10000; i++ {
		r := req("GET", "reviews.bookinfo", "/")
		counts[tbl.Decide(r).Destination.Subset]++
	}
	if counts["v1"] < 8800 || counts["v1"] > 9200 || counts["v3"] < 800 || counts["v3"] > 1200 || len(counts) != 2 {
		t.Errorf("weighted 90/10 split drew %v", counts)
	}
}
