package route

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshroute/meshroute/match"
)

const l4Config = `
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: db, namespace: data}
spec:
  hosts: [db.internal]
  addresses: [10.1.0.5]
  ports: [{number: 5432, name: tcp, protocol: TCP}]
  resolution: STATIC
  endpoints: [{address: 10.1.0.6}]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: db, namespace: data}
spec:
  hosts: [db.internal]
  tcp:
  - match: [{port: 5432, sourceLabels: {app: admin}}]
    route: [{destination: {host: db-primary.internal, port: {number: 5432}}}]
  - match: [{destinationSubnets: [10.1.0.0/16]}]
    route:
    - {destination: {host: db-replica.internal}, weight: 1}
    - {destination: {host: db-replica.internal}, weight: 1}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: tls, namespace: edge}
spec:
  hosts: ["*.secure.com"]
  gateways: [mesh, istio-system/passthrough]
  tls:
  - match: [{sniHosts: [login.secure.com]}]
    route: [{destination: {host: login.internal, port: {number: 443}}}]
  - match: [{sniHosts: ["*.secure.com"], port: 443}]
    route: [{destination: {host: catchall.internal, port: {number: 443}}}]
`

func TestDecideTCP(t *testing.T) {
	tbl := compileYAML(t, l4Config)
	tests := []struct {
		name   string
		r      match.Request
		action Action
		host   string
		port   uint32
		rule   int
	}{
		{"the service is found by its ServiceEntry address; port and sourceLabels select the rule",
			match.Request{DestinationIP: netip.MustParseAddr("10.1.0.5"), Port: 5432, SourceLabels: map[string]string{"app": "admin"}},
			ActionRoute, "db-primary.internal", 5432, 0},
		{"destinationSubnets match the original destination address",
			match.Request{DestinationIP: netip.MustParseAddr("10.1.0.5"), Port: 5432},
			ActionRoute, "db-replica.internal", 5432, 1},
		{"the service is found by the dialled authority",
			match.Request{Authority: "db.internal:5432", DestinationIP: netip.MustParseAddr("10.1.9.9"), Port: 5432},
			ActionRoute, "db-replica.internal", 5432, 1},
		{"an unknown destination passes through",
			match.Request{DestinationIP: netip.MustParseAddr("192.0.2.1"), Port: 80},
			ActionRoute, "192.0.2.1", 80, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := tbl.DecideTCP(&tc.r)
			got := []any{d.Action, d.Destination.Host, d.Destination.Port, d.Rule.Index}
			if diff := cmp.Diff([]any{tc.action, tc.host, tc.port, tc.rule}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecideTLS(t *testing.T) {
	tbl := compileYAML(t, l4Config)
	tests := []struct {
		name string
		r    match.Request
		host string
		rule int
	}{
		{"exact SNI wins by rule order", match.Request{SNI: "login.secure.com", Port: 443}, "login.internal", 0},
		{"wildcard SNI matches deeper names", match.Request{SNI: "a.b.secure.com", Port: 443}, "catchall.internal", 1},
		{"wildcard SNI does not match the bare domain", match.Request{SNI: "secure.com", Port: 443}, "secure.com", -1},
		{"port restricts the TLS match", match.Request{SNI: "a.secure.com", Port: 8443}, "a.secure.com", -1},
		{"TLS rules apply on a bound gateway", match.Request{SNI: "a.secure.com", Port: 443, Gateway: "istio-system/passthrough"}, "catchall.internal", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := tbl.DecideTLS(&tc.r)
			got := []any{d.Destination.Host, d.Rule.Index}
			if diff := cmp.Diff([]any{tc.host, tc.rule}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecideTCPWithoutTCPRuleGoesToTheService(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http: [{route: [{destination: {host: web, subset: v1}}]}]
`)
	d := tbl.DecideTCP(&match.Request{Authority: "web:8080", Port: 8080})
	got := []any{d.Action, d.DefaultRoute, d.Destination}
	want := []any{ActionRoute, true, Destination{Host: "web.default.svc.cluster.local", Port: 8080}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
