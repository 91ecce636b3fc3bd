package route

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/fault"
)

func TestGatewayMergeKeepsNonCatchAllRulesInPlace(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: a, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: [shop.com]
  gateways: [gw]
  http:
  - match: [{method: {exact: POST}}]
    route: [{destination: {host: writes}}]
  - route: [{destination: {host: catchall}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: b, creationTimestamp: "2024-02-01T00:00:00Z"}
spec:
  hosts: [shop.com]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /api}}]
    route: [{destination: {host: api}}]
`)
	tests := []struct{ name, method, path, want string }{
		{"a method match makes a rule non-catch-all, so it stays first", "POST", "/api", "writes.default.svc.cluster.local"},
		{"the later VirtualService's specific rule comes before the moved catch-all", "GET", "/api", "api.default.svc.cluster.local"},
		{"the catch-all serves the rest", "GET", "/x", "catchall.default.svc.cluster.local"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := req(tc.method, "shop.com", tc.path)
			r.Gateway = "default/gw"
			if got := tbl.Decide(r).Destination.Host; got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestGatewayServerHostNamespaceFilter(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [team-a/a.com, "./own.com"]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: a, namespace: team-a}
spec:
  hosts: [a.com]
  gateways: [istio-system/gw]
  http: [{route: [{destination: {host: a}}]}]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: own, namespace: team-b}
spec:
  hosts: [own.com]
  gateways: [istio-system/gw]
  http: [{route: [{destination: {host: own}}]}]
`)
	tests := []struct{ name, authority, want string }{
		{"a server host with a namespace binds VirtualServices of that namespace", "a.com", "a.team-a.svc.cluster.local"},
		{"a ./ server host binds only the Gateway's namespace", "own.com", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := req("GET", tc.authority, "/")
			r.Gateway = "istio-system/gw"
			d := tbl.Decide(r)
			got := hostOr(d, "")
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDestinationRulesForOneHostMerge(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: svc}
spec:
  hosts: [svc]
  http:
  - match: [{headers: {x-s: {exact: a}}}]
    route: [{destination: {host: svc, subset: a}}]
  - route: [{destination: {host: svc, subset: b}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: first, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  host: svc
  trafficPolicy: {loadBalancer: {simple: RANDOM}}
  subsets: [{name: a, labels: {v: a1}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: second, creationTimestamp: "2024-02-01T00:00:00Z"}
spec:
  host: svc
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
  subsets: [{name: a, labels: {v: a2}}, {name: b, labels: {v: b}}]
`)
	random := &networking.TrafficPolicy{LoadBalancer: &networking.LoadBalancerSettings{LbPolicy: &networking.LoadBalancerSettings_Simple{Simple: networking.LoadBalancerSettings_RANDOM}}}
	tests := []struct {
		name   string
		header string
		labels map[string]string
	}{
		{"the first definition of a subset name wins", "x-s: a", map[string]string{"v": "a1"}},
		{"subsets of later rules are added", "x-s: b", map[string]string{"v": "b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := tbl.Decide(req("GET", "svc", "/", tc.header))
			if diff := cmp.Diff(tc.labels, d.Target.SubsetLabels); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(random, d.TrafficPolicy(), protocmp.Transform()); diff != "" {
				t.Errorf("the oldest rule's top-level policy applies (-want +got):\n%s", diff)
			}
			if d.DestinationRule.Name != "first" {
				t.Errorf("DestinationRule %v, want the oldest", d.DestinationRule)
			}
		})
	}
}

func TestDestinationRuleNotExportedIsNotApplied(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: svc, namespace: srv}
spec:
  hosts: [svc]
  http: [{route: [{destination: {host: svc}}]}]
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: private, namespace: srv}
spec:
  host: svc
  exportTo: ["."]
  trafficPolicy: {loadBalancer: {simple: RANDOM}}
`)
	for _, tc := range []struct {
		name, ns string
		want     bool
	}{
		{"visible in its own namespace", "srv", true},
		{"invisible to other namespaces", "client", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := req("GET", "svc.srv", "/")
			r.SourceNamespace = tc.ns
			if got := tbl.Decide(r).DestinationRule.Name != ""; got != tc.want {
				t.Errorf("DestinationRule applied = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLegacyMirrorPercent(t *testing.T) {
	d := oneRule(t, "  - route: [{destination: {host: svc}}]\n    mirror: {host: shadow}\n    mirrorPercent: 20\n").Decide(req("GET", "svc", "/"))
	if got := d.Mirrors.Configured(); len(got) != 1 || got[0].Chance != fault.PerMillion(200000) {
		t.Errorf("mirrors %+v, want one at 20%%", got)
	}
}

func TestServiceEntryExportedToNoneIsUnknown(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: hidden}
spec:
  hosts: [hidden.com]
  exportTo: ["~"]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
`, WithOutboundPolicy(RegistryOnly))
	if d := tbl.Decide(req("GET", "hidden.com", "/")); d.Action != ActionUnavailable || d.Status != 502 {
		t.Errorf("got %v %d, want unavailable 502", d.Action, d.Status)
	}
}

func TestGatewayServersArePerPort(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [plain.com]
  - port: {number: 8443, name: https, protocol: HTTPS}
    hosts: [secure.com]
    tls: {mode: SIMPLE, credentialName: c}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: both, namespace: istio-system}
spec:
  hosts: [plain.com, secure.com]
  gateways: [gw]
  http: [{route: [{destination: {host: web}}]}]
`)
	tests := []struct {
		name, authority string
		port            uint32
		routed          bool
	}{
		{"a host is served on the port of the server that lists it", "plain.com", 80, true},
		{"a host of another server's port gets 404", "secure.com", 80, false},
		{"the TLS server's host on its port", "secure.com:8443", 8443, true},
		{"an unknown port falls back to all the gateway's servers", "secure.com", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := req("GET", tc.authority, "/")
			r.Gateway, r.Port = "istio-system/gw", tc.port
			if got := tbl.Decide(r).Action == ActionRoute; got != tc.routed {
				t.Errorf("routed = %v, want %v", got, tc.routed)
			}
		})
	}
}
