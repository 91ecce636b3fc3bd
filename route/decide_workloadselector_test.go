package route

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
)

// selectorConfig has DestinationRules for reviews.shop with and without
// a workloadSelector (destinationrule.md §1.1, §1.2), and a VirtualService
// that picks the subset by header and mirrors to subset v2.
const selectorConfig = `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews, ratings]
  http:
  - match: [{headers: {x-s: {exact: v1}}}]
    route: [{destination: {host: reviews, subset: v1, port: {number: 9080}}}]
  - match: [{headers: {x-s: {exact: v2}}}]
    route: [{destination: {host: reviews, subset: v2, port: {number: 9080}}}]
  - match: [{headers: {x-s: {exact: mirror}}}]
    route: [{destination: {host: reviews, port: {number: 9080}}}]
    mirror: {host: reviews, subset: v2, port: {number: 9080}}
  - match: [{uri: {prefix: /ratings}}]
    route: [{destination: {host: ratings, port: {number: 9080}}}]
  - route: [{destination: {host: reviews, port: {number: 9080}}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews, namespace: shop, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  host: reviews
  subsets: [{name: v1, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews-canary, namespace: shop, creationTimestamp: "2024-01-02T00:00:00Z"}
spec:
  host: reviews
  workloadSelector: {matchLabels: {app: canary}}
  exportTo: ["."]
  trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}
  subsets:
  - {name: v2, labels: {version: v2}}
  - {name: v1, labels: {version: shadowed}}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews-batch, namespace: shop, creationTimestamp: "2024-01-03T00:00:00Z"}
spec:
  host: reviews
  workloadSelector: {matchLabels: {team: batch}}
  exportTo: ["."]
  trafficPolicy: {loadBalancer: {simple: RANDOM}}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: shop-wide, namespace: shop, creationTimestamp: "2024-01-04T00:00:00Z"}
spec:
  host: "*.shop.svc.cluster.local"
  workloadSelector: {matchLabels: {tier: wide}}
  exportTo: ["."]
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews-from-elsewhere, namespace: elsewhere, creationTimestamp: "2024-01-05T00:00:00Z"}
spec:
  host: reviews.shop.svc.cluster.local
  workloadSelector: {matchLabels: {app: canary}}
  exportTo: ["."]
  trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}
`

func TestDestinationRuleWorkloadSelector(t *testing.T) {
	tbl := compileYAML(t, selectorConfig)
	lb := func(s networking.LoadBalancerSettings_SimpleLB) string { return s.String() }
	type got struct {
		DR     string
		Labels map[string]string
		LB     string
		Action Action
	}
	tests := []struct {
		name   string
		ns     string
		labels map[string]string
		path   string
		subset string
		want   got
	}{
		{"a workload no selector takes gets the rule without a selector", "shop", nil, "/", "",
			got{"shop/reviews", nil, "", ActionRoute}},
		{"a workload whose labels lack the selector's is not taken", "shop", map[string]string{"app": "other"}, "/", "",
			got{"shop/reviews", nil, "", ActionRoute}},
		{"a workload the selector takes gets the selected rule", "shop", map[string]string{"app": "canary", "version": "x"}, "/", "",
			got{"shop/reviews-canary", nil, lb(networking.LoadBalancerSettings_LEAST_REQUEST), ActionRoute}},
		{"the selected rule is merged with the same host's rule, first: its subsets win", "shop", map[string]string{"app": "canary"}, "/", "v1",
			got{"shop/reviews-canary", map[string]string{"version": "shadowed"}, lb(networking.LoadBalancerSettings_LEAST_REQUEST), ActionRoute}},
		{"the selected rule is merged with the same host's rule: the latter's subsets are added", "shop", map[string]string{"team": "batch"}, "/", "v1",
			got{"shop/reviews-batch", map[string]string{"version": "v1"}, lb(networking.LoadBalancerSettings_RANDOM), ActionRoute}},
		{"the selected rule adds subsets for the workloads it takes", "shop", map[string]string{"app": "canary"}, "/", "v2",
			got{"shop/reviews-canary", map[string]string{"version": "v2"}, lb(networking.LoadBalancerSettings_LEAST_REQUEST), ActionRoute}},
		{"a subset only a selected rule defines is undefined for other workloads", "shop", nil, "/", "v2",
			got{"shop/reviews", nil, "", ActionUnavailable}},
		{"rules with different selectors are not merged", "shop", map[string]string{"team": "batch"}, "/", "v2",
			got{"shop/reviews-batch", nil, lb(networking.LoadBalancerSettings_RANDOM), ActionUnavailable}},
		{"of two selectors that take the workload the older rule's wins", "shop", map[string]string{"app": "canary", "team": "batch"}, "/", "",
			got{"shop/reviews-canary", nil, lb(networking.LoadBalancerSettings_LEAST_REQUEST), ActionRoute}},
		{"a more specific host without a selector beats a selected wildcard", "shop", map[string]string{"tier": "wide"}, "/", "",
			got{"shop/reviews", nil, "", ActionRoute}},
		{"a selected wildcard applies where it is the most specific host", "shop", map[string]string{"tier": "wide"}, "/ratings", "",
			got{"shop/shop-wide", nil, lb(networking.LoadBalancerSettings_ROUND_ROBIN), ActionRoute}},
		{"without the selector's labels the wildcard does not apply", "shop", nil, "/ratings", "",
			got{"/", nil, "", ActionRoute}},
		{"a selected rule applies in its own namespace: first for its workloads", "elsewhere", map[string]string{"app": "canary"}, "/", "",
			got{"elsewhere/reviews-from-elsewhere", nil, lb(networking.LoadBalancerSettings_LEAST_REQUEST), ActionRoute}},
		{"other workloads of that namespace fall back to the service's namespace", "elsewhere", nil, "/", "",
			got{"shop/reviews", nil, "", ActionRoute}},
		{"a selected rule never applies to callers in other namespaces", "elsewhere", map[string]string{"team": "batch"}, "/", "",
			got{"shop/reviews", nil, "", ActionRoute}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hs []string
			if tc.subset != "" {
				hs = []string{"x-s: " + tc.subset}
			}
			r := req("GET", "reviews.shop", tc.path, hs...)
			r.SourceNamespace, r.SourceLabels = tc.ns, tc.labels
			d := tbl.Decide(r)
			g := got{DR: d.DestinationRule.Namespace + "/" + d.DestinationRule.Name, Labels: d.Target.SubsetLabels, Action: d.Action}
			if s := d.TrafficPolicy().GetLoadBalancer().GetSimple(); s != networking.LoadBalancerSettings_UNSPECIFIED || d.TrafficPolicy().GetLoadBalancer() != nil {
				g.LB = s.String()
			}
			if diff := cmp.Diff(tc.want, g); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if lin := tbl.decideLinear(r); lin.DestinationRule != d.DestinationRule || lin.Action != d.Action {
				t.Errorf("linear reference: DestinationRule %v %v, indexed %v %v", lin.DestinationRule, lin.Action, d.DestinationRule, d.Action)
			}
		})
	}
}

func TestMirrorTakesTheCallersSelectedDestinationRule(t *testing.T) {
	tbl := compileYAML(t, selectorConfig)
	tests := []struct {
		name   string
		labels map[string]string
		want   []map[string]string
		lb     []string
	}{
		// Envoy has no cluster for the undefined subset: nothing is
		// mirrored (rather than sent to the whole service)
		{"a workload no selector takes: the subset is undefined, no mirror", nil, nil, nil},
		{"a workload the selector takes: its rule's subset and policy", map[string]string{"app": "canary"},
			[]map[string]string{{"version": "v2"}}, []string{networking.LoadBalancerSettings_LEAST_REQUEST.String()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := req("GET", "reviews.shop", "/", "x-s: mirror")
			r.SourceNamespace, r.SourceLabels = "shop", tc.labels
			d := tbl.Decide(r)
			var labels []map[string]string
			var lbs []string
			d.Mirrors.Each(func(m Mirror) {
				labels = append(labels, m.Target.SubsetLabels)
				lb := ""
				if m.Target.Policy.GetLoadBalancer() != nil {
					lb = m.Target.Policy.GetLoadBalancer().GetSimple().String()
				}
				lbs = append(lbs, lb)
			})
			if diff := cmp.Diff(tc.want, labels); diff != "" {
				t.Errorf("mirror subset labels (-want +got):\n%s", diff)
			}
			if d.Mirrors.Len() != len(tc.want) {
				t.Errorf("Mirrors.Len() = %d, want %d", d.Mirrors.Len(), len(tc.want))
			}
			if diff := cmp.Diff(tc.lb, lbs); diff != "" {
				t.Errorf("mirror load balancer (-want +got):\n%s", diff)
			}
		})
	}
}

// One namespace, so every view resolves the destination alike and the
// plan could precompute its target: a selection must still be made per
// request.
func TestWorkloadSelectorInASingleNamespaceTable(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews, port: {number: 9080}}}]}]
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews-canary, namespace: shop}
spec:
  host: reviews
  workloadSelector: {matchLabels: {app: canary}}
  trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}
`)
	tests := []struct {
		name   string
		labels map[string]string
		want   string
	}{
		{"a workload the selector takes gets the rule", map[string]string{"app": "canary"}, "shop/reviews-canary"},
		{"another workload gets no rule", map[string]string{"app": "web"}, "/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := req("GET", "reviews.shop", "/")
			r.SourceNamespace, r.SourceLabels = "shop", tc.labels
			d := tbl.Decide(r)
			if got := d.DestinationRule.Namespace + "/" + d.DestinationRule.Name; got != tc.want {
				t.Errorf("DestinationRule %s, want %s", got, tc.want)
			}
		})
	}
}

// TCP and TLS decisions take the calling workload's DestinationRule too.
func TestWorkloadSelectorOnConnections(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: db, namespace: shop}
spec:
  hosts: [db.shop.internal]
  addresses: [240.0.0.5]
  ports: [{number: 5432, name: tcp, protocol: TCP}, {number: 443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: db, namespace: shop}
spec:
  host: db.shop.internal
  trafficPolicy: {loadBalancer: {simple: RANDOM}}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: db-batch, namespace: shop}
spec:
  host: db.shop.internal
  workloadSelector: {matchLabels: {team: batch}}
  trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}
`)
	batch := map[string]string{"team": "batch"}
	tests := []struct {
		name   string
		decide func(*match.Request) Decision
		r      match.Request
		want   string
	}{
		{"TCP from a workload no selector takes", tbl.DecideTCP, match.Request{DestinationIP: netip.MustParseAddr("240.0.0.5"), Port: 5432, SourceNamespace: "shop"}, "shop/db"},
		{"TCP from a workload the selector takes", tbl.DecideTCP, match.Request{DestinationIP: netip.MustParseAddr("240.0.0.5"), Port: 5432, SourceNamespace: "shop", SourceLabels: batch}, "shop/db-batch"},
		{"TLS from a workload the selector takes", tbl.DecideTLS, match.Request{SNI: "db.shop.internal", Port: 443, SourceNamespace: "shop", SourceLabels: batch}, "shop/db-batch"},
		{"TLS from a workload no selector takes", tbl.DecideTLS, match.Request{SNI: "db.shop.internal", Port: 443, SourceNamespace: "shop"}, "shop/db"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.decide(&tc.r)
			if got := d.DestinationRule.Namespace + "/" + d.DestinationRule.Name; got != tc.want || d.Action != ActionRoute {
				t.Errorf("%v with DestinationRule %s, want a route with %s", d.Action, got, tc.want)
			}
		})
	}
}
