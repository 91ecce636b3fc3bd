package route

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const delegateConfig = `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: root, namespace: front}
spec:
  hosts: [shop.example.com]
  http:
  - name: products
    match: [{uri: {prefix: /products}}]
    delegate: {name: products, namespace: team}
    timeout: 3s
  - name: hidden
    match: [{uri: {prefix: /hidden}}]
    delegate: {name: hidden, namespace: team}
  - name: rest
    route: [{destination: {host: rest}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: products, namespace: team}
spec:
  http:
  - name: v2
    match: [{uri: {prefix: /products/v2}}]
    route: [{destination: {host: products-v2}}]
  - name: conflicting
    match: [{uri: {prefix: /other}}]
    route: [{destination: {host: never}}]
  - name: all
    route: [{destination: {host: products}}]
    timeout: 1s
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: hidden, namespace: team}
spec:
  exportTo: ["."]
  http:
  - route: [{destination: {host: hidden}}]
`

func TestDelegate(t *testing.T) {
	tbl := compileYAML(t, delegateConfig)
	tests := []struct {
		name    string
		path    string
		host    string
		rule    string
		timeout time.Duration
	}{
		{"delegate routes replace the root route, hosts expand in the delegate's namespace", "/products/v2/x", "products-v2.team.svc.cluster.local", "products-v2", 3 * time.Second},
		{"a delegate route without match takes the root's match", "/products/list", "products.team.svc.cluster.local", "products-all", time.Second},
		{"a delegate match that conflicts with every root match drops the route", "/other", "rest.front.svc.cluster.local", "rest", 15 * time.Second},
		{"a delegate not exported to the root namespace drops the root route", "/hidden", "rest.front.svc.cluster.local", "rest", 15 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := tbl.Decide(req("GET", "shop.example.com", tc.path))
			got := []any{d.Destination.Host, d.Rule.Name, d.Timeout}
			if diff := cmp.Diff([]any{tc.host, tc.rule, tc.timeout}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDelegateDecisionNamesBothVirtualServices(t *testing.T) {
	d := compileYAML(t, delegateConfig).Decide(req("GET", "shop.example.com", "/products/v2"))
	got := [2]ObjectRef{d.VirtualService, d.Delegate}
	want := [2]ObjectRef{{Kind: KindVirtualService, Namespace: "front", Name: "root"}, {Kind: KindVirtualService, Namespace: "team", Name: "products"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDelegateMatchConflicts(t *testing.T) {
	exact := func(v string) string { return "{exact: " + v + "}" }
	prefix := func(v string) string { return "{prefix: " + v + "}" }
	tests := []struct {
		name       string
		root, leaf string
		conflict   bool
	}{
		{"root exact needs the same exact", exact("/a"), exact("/a"), false},
		{"root exact with another exact conflicts", exact("/a"), exact("/b"), true},
		{"root prefix accepts a longer prefix", prefix("/a"), prefix("/a/b"), false},
		{"root prefix accepts an exact under it", prefix("/a"), exact("/a/b"), false},
		{"root prefix rejects a prefix outside it", prefix("/a"), prefix("/b"), true},
		{"regex on either side conflicts", "{regex: /a.*}", prefix("/a"), true},
		{"root prefix with a delegate exact outside it conflicts", prefix("/a"), exact("/b"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: root}
spec:
  hosts: [h]
  http:
  - match: [{uri: `+tc.root+`}]
    delegate: {name: leaf}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: leaf}
spec:
  http:
  - match: [{uri: `+tc.leaf+`}]
    route: [{destination: {host: leaf}}]
`)
			got := len(tbl.vss[0].http) == 0
			if got != tc.conflict {
				t.Errorf("conflict = %v, want %v", got, tc.conflict)
			}
		})
	}
}

func TestDelegateSourceNamespaceMustBeRepeated(t *testing.T) {
	for _, tc := range []struct {
		name, leafNS string
		conflict     bool
	}{
		{"a delegate repeating the root's sourceNamespace refines it", "sourceNamespace: client", false},
		{"a delegate without the root's sourceNamespace conflicts (as Istio)", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: root}
spec:
  hosts: [h]
  http:
  - match: [{sourceNamespace: client}]
    delegate: {name: leaf}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: leaf}
spec:
  http:
  - match: [{uri: {prefix: /}, `+tc.leafNS+`}]
    route: [{destination: {host: leaf}}]
`)
			if got := len(tbl.vss[0].http) == 0; got != tc.conflict {
				t.Errorf("conflict = %v, want %v", got, tc.conflict)
			}
		})
	}
}
