package route

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshroute/meshroute/match"
)

// strictConfig routes to hosts inside and outside the registry.
const strictConfig = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: front, namespace: default}
spec:
  hosts: [front.example.test]
  http:
  - match: [{uri: {prefix: /ext}}]
    route: [{destination: {host: api.example.test}}]
    mirror: {host: shadow.example.test}
  - match: [{uri: {prefix: /kube}}]
    route: [{destination: {host: reviews}}]
    mirror: {host: reviews}
  - match: [{uri: {prefix: /known}}]
    route: [{destination: {host: known.example.test}}]
  - match: [{uri: {prefix: /wild}}]
    route: [{destination: {host: a.wild.test}}]
  - match: [{uri: {prefix: /b-only}}]
    route: [{destination: {host: b-only.example.test}}]
  - route: [{destination: {host: reviews.other.svc.cluster.local}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: known, namespace: default}
spec:
  hosts: [known.example.test]
  exportTo: ["."]
  ports: [{number: 80, name: http, protocol: HTTP}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: b-only, namespace: ns-b}
spec:
  hosts: [b-only.example.test]
  exportTo: ["."]
  ports: [{number: 80, name: http, protocol: HTTP}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, namespace: ns-a}
spec:
  hosts: [a]
  http:
  - route: [{destination: {host: a}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: wild, namespace: default}
spec:
  hosts: ["*.wild.test"]
  ports: [{number: 80, name: http, protocol: HTTP}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: lonely, namespace: default}
spec:
  host: dr.example.test
  trafficPolicy: {loadBalancer: {simple: RANDOM}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db, namespace: default}
spec:
  hosts: [db.example.test]
  tcp:
  - route: [{destination: {host: db-replica.example.test, port: {number: 5432}}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: db, namespace: default}
spec:
  hosts: [db.example.test]
  addresses: [240.0.0.5]
  ports: [{number: 5432, name: pg, protocol: TCP}]
`

func TestStrictRegistry(t *testing.T) {
	type got struct {
		Action       Action
		Status       int
		Host         string
		Passthrough  bool
		DefaultRoute bool
		DR           string
		Mirrors      int
		NoCluster    bool // the reason says the host has no cluster
	}
	routed := func(h string, mirrors int) got { return got{Action: ActionRoute, Host: h, Mirrors: mirrors} }
	noCluster := func(h string) got { return got{Action: ActionUnavailable, Status: 503, Host: h, NoCluster: true} }
	tests := []struct {
		name      string
		strict    bool
		authority string
		path      string
		caller    string
		want      got
	}{
		{"by default a host outside the registry is routed to, and mirrored to", false, "front.example.test", "/ext", "default", routed("api.example.test", 1)},
		{"strict: a route to a host outside the registry has no cluster: 503 NC", true, "front.example.test", "/ext", "default", noCluster("api.example.test")},
		{"strict: a short name is a Kubernetes service, and so is its mirror", true, "front.example.test", "/kube", "default", routed("reviews.default.svc.cluster.local", 1)},
		{"strict: a Kubernetes service name", true, "front.example.test", "/", "default", routed("reviews.other.svc.cluster.local", 0)},
		{"strict: a ServiceEntry host visible to the caller", true, "front.example.test", "/known", "default", routed("known.example.test", 0)},
		{"strict: a ServiceEntry host not exported to the caller has no cluster", true, "front.example.test", "/known", "other", noCluster("known.example.test")},
		// ns-a's view is built first: ns-b must not share its target
		{"strict: a ServiceEntry host exported to its namespace only: outside for another", true, "front.example.test", "/b-only", "ns-a", noCluster("b-only.example.test")},
		{"strict: a ServiceEntry host exported to its namespace only: inside for its own", true, "front.example.test", "/b-only", "ns-b", routed("b-only.example.test", 0)},
		{"strict: a host under a wildcard ServiceEntry host", true, "front.example.test", "/wild", "default", routed("a.wild.test", 0)},
		{"by default a DestinationRule makes its host a service", false, "dr.example.test", "/", "default",
			got{Action: ActionRoute, Host: "dr.example.test", DefaultRoute: true, DR: "default/lonely"}},
		{"strict: a DestinationRule for no service is ignored: the host is unknown", true, "dr.example.test", "/", "default",
			got{Action: ActionRoute, Host: "dr.example.test", Passthrough: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl := compileYAML(t, strictConfig, WithStrictRegistry(tc.strict))
			r := req("GET", tc.authority, tc.path)
			r.SourceNamespace = tc.caller
			for name, d := range map[string]Decision{"Decide": tbl.Decide(r), "linear": tbl.decideLinear(r), "Explain": tbl.Explain(r).Decision} {
				g := got{Action: d.Action, Status: d.Status, Host: d.Destination.Host, Passthrough: d.Passthrough, DefaultRoute: d.DefaultRoute,
					Mirrors: d.Mirrors.Len(), NoCluster: strings.HasPrefix(d.Reason, "no cluster: ")}
				if d.DestinationRule.Name != "" {
					g.DR = d.DestinationRule.Namespace + "/" + d.DestinationRule.Name
				}
				if diff := cmp.Diff(tc.want, g); diff != "" {
					t.Errorf("%s (-want +got):\n%s", name, diff)
				}
			}
		})
	}
	t.Run("the reason names the host", func(t *testing.T) {
		r := req("GET", "front.example.test", "/known")
		r.SourceNamespace = "other"
		want := "no cluster: known.example.test is neither a ServiceEntry host visible to the caller nor a Kubernetes service name (flag NC)"
		if d := compileYAML(t, strictConfig, WithStrictRegistry(true)).Decide(r); d.Reason != want {
			t.Errorf("reason %q, want %q", d.Reason, want)
		}
	})
	t.Run("strict: a tcp route to a host outside the registry has no cluster", func(t *testing.T) {
		q := &match.Request{DestinationIP: netip.MustParseAddr("240.0.0.5"), Port: 5432, SourceNamespace: "default", Gateway: match.MeshGateway}
		for _, strict := range []bool{false, true} {
			d := compileYAML(t, strictConfig, WithStrictRegistry(strict)).DecideTCP(q)
			want := [2]any{ActionRoute, false}
			if strict {
				want = [2]any{ActionUnavailable, true}
			}
			if got := [2]any{d.Action, strings.HasPrefix(d.Reason, "no cluster: db-replica.example.test ")}; got != want {
				t.Errorf("strict %v: [action, no-cluster reason] = %v, want %v (%s)", strict, got, want, d.Reason)
			}
		}
	})
}
