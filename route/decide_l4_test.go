package route

import (
	"net/netip"
	"sync"
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

// servicePortsConfig has ServiceEntries with and without addresses and
// ports, for the rule that a sidecar listens for a service's TCP traffic
// on each of its addresses and declared ports only (one outbound listener
// per address and port; a service without addresses on 0.0.0.0 with its
// ports; a CIDR address as a filter chain of 0.0.0.0).
const servicePortsConfig = `
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
  - match: [{port: 6432}]
    route: [{destination: {host: pgbouncer.internal, port: {number: 6432}}}]
  - match: [{destinationSubnets: [10.1.0.0/16]}]
    route: [{destination: {host: db-replica.internal}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: cache, namespace: data}
spec:
  hosts: [cache.internal]
  addresses: [10.1.0.7]
  ports: [{number: 6379, name: redis, protocol: TCP}]
  resolution: STATIC
  endpoints: [{address: 10.1.0.17}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: a, namespace: data, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: [a.internal]
  addresses: [10.1.0.9]
  ports: [{number: 1000, name: tcp, protocol: TCP}]
  resolution: STATIC
  endpoints: [{address: 10.1.0.19}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: b, namespace: data, creationTimestamp: "2024-01-02T00:00:00Z"}
spec:
  hosts: [b.internal]
  addresses: [10.1.0.9]
  ports: [{number: 2000, name: tcp, protocol: TCP}]
  resolution: STATIC
  endpoints: [{address: 10.1.0.29}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: noports, namespace: data}
spec:
  hosts: [noports.internal]
  addresses: [10.1.0.8]
  resolution: STATIC
  endpoints: [{address: 10.1.0.18}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: pool, namespace: data}
spec:
  hosts: [pool.internal]
  ports: [{number: 7000, name: tcp, protocol: TCP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: pool, namespace: data}
spec:
  hosts: [pool.internal]
  tcp:
  - match: [{destinationSubnets: [192.0.2.0/24]}]
    route: [{destination: {host: pool-canary.internal}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: net, namespace: data}
spec:
  hosts: [net.internal]
  addresses: [10.2.0.0/16]
  ports: [{number: 3306, name: mysql, protocol: TCP}]
  resolution: NONE
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: api, namespace: data}
spec:
  hosts: [api.example.org]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: web, namespace: data}
spec:
  hosts: [web]
  tcp:
  - match: [{port: 6379}]
    route: [{destination: {host: web-v1}}]
`

// l4Outcome is what the service-port tests compare of a decision.
type l4Outcome struct {
	Action       Action
	Passthrough  bool
	DefaultRoute bool
	Host         string
	Port         uint32
	Rule         int
}

func outcomeOf(d Decision) l4Outcome {
	return l4Outcome{d.Action, d.Passthrough, d.DefaultRoute, d.Destination.Host, d.Destination.Port, d.Rule.Index}
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

// TestDecideTCPServicePorts pins where a TCP connection goes by the
// address and port it was sent to: Envoy picks the outbound listener of
// the exact address and port, else the 0.0.0.0 listener of the port
// (services without addresses, CIDR addresses), else the virtual
// outbound listener, which passes the connection through (ALLOW_ANY) or
// drops it (REGISTRY_ONLY). A VirtualService's tcp rules, and the
// service's own default route, exist only on its service's listeners
// (virtualservice.md §2.1, §14; serviceentry.md "Ports", "Resolution").
func TestDecideTCPServicePorts(t *testing.T) {
	tbl := compileYAML(t, servicePortsConfig)
	pass := func(host string, port uint32) l4Outcome {
		return l4Outcome{Action: ActionRoute, Passthrough: true, Host: host, Port: port, Rule: -1}
	}
	self := func(host string, port uint32) l4Outcome {
		return l4Outcome{Action: ActionRoute, DefaultRoute: true, Host: host, Port: port, Rule: -1}
	}
	rule := func(host string, port uint32, index int) l4Outcome {
		return l4Outcome{Action: ActionRoute, Host: host, Port: port, Rule: index}
	}
	tests := []struct {
		name string
		r    match.Request
		want l4Outcome
	}{
		{"a declared port of the service's address takes the service's tcp rules",
			match.Request{DestinationIP: ip("10.1.0.5"), Port: 5432},
			rule("db-replica.internal", 5432, 1)},
		{"a tcp match on a port the service does not declare never applies: no listener, the connection passes through",
			match.Request{DestinationIP: ip("10.1.0.5"), Port: 6432},
			pass("10.1.0.5", 6432)},
		{"destinationSubnets do not reach a port the service does not declare",
			match.Request{DestinationIP: ip("10.1.0.5"), Port: 9999},
			pass("10.1.0.5", 9999)},
		{"destinationSubnets of a service with an address only see connections to that address",
			match.Request{DestinationIP: ip("10.1.200.1"), Port: 5432},
			pass("10.1.200.1", 5432)},
		{"a service without a VirtualService goes to itself on a declared port, not by another VirtualService's rules",
			match.Request{DestinationIP: ip("10.1.0.7"), Port: 6379},
			self("cache.internal", 6379)},
		{"a service without a VirtualService passes through on a port it does not declare",
			match.Request{DestinationIP: ip("10.1.0.7"), Port: 6380},
			pass("10.1.0.7", 6380)},
		{"ServiceEntries sharing an address are told apart by port (the later one)",
			match.Request{DestinationIP: ip("10.1.0.9"), Port: 2000},
			self("b.internal", 2000)},
		{"ServiceEntries sharing an address are told apart by port (the earlier one)",
			match.Request{DestinationIP: ip("10.1.0.9"), Port: 1000},
			self("a.internal", 1000)},
		{"a ServiceEntry without ports has no listener: its address passes through",
			match.Request{DestinationIP: ip("10.1.0.8"), Port: 80},
			pass("10.1.0.8", 80)},
		{"the dialled authority's service must declare the port",
			match.Request{Authority: "db.internal:6432", Port: 6432},
			pass("db.internal", 6432)},
		{"the dialled authority's service on a declared port takes its tcp rules",
			match.Request{Authority: "db.internal:5432", DestinationIP: ip("10.1.0.5"), Port: 5432},
			rule("db-replica.internal", 5432, 1)},
		{"an authority that is an address is looked up as an address",
			match.Request{Authority: "10.1.0.5:6432", Port: 6432},
			pass("10.1.0.5", 6432)},
		{"a service without addresses listens on its ports at every address: its tcp rules apply",
			match.Request{DestinationIP: ip("192.0.2.7"), Port: 7000},
			rule("pool-canary.internal", 7000, 0)},
		{"a service without addresses takes what its tcp rules do not on its default route",
			match.Request{DestinationIP: ip("198.51.100.1"), Port: 7000},
			self("pool.internal", 7000)},
		{"a service without addresses does not listen on other ports",
			match.Request{DestinationIP: ip("192.0.2.7"), Port: 7001},
			pass("192.0.2.7", 7001)},
		{"a CIDR address listens for every address in it",
			match.Request{DestinationIP: ip("10.2.3.4"), Port: 3306},
			self("net.internal", 3306)},
		{"a CIDR address does not listen on other ports",
			match.Request{DestinationIP: ip("10.2.3.4"), Port: 3307},
			pass("10.2.3.4", 3307)},
		{"a host the registry does not describe (no ServiceEntry) has unknown ports: its rules apply on any port",
			match.Request{Authority: "web.data.svc.cluster.local:6379", Port: 6379},
			rule("web-v1.data.svc.cluster.local", 6379, 0)},
		{"a host the registry does not describe goes to itself on any port",
			match.Request{Authority: "web.data.svc.cluster.local:8080", Port: 8080},
			self("web.data.svc.cluster.local", 8080)},
		{"a connection to no known service skips the tcp rules of ServiceEntry hosts that do not declare its port",
			match.Request{Port: 6432},
			pass("", 6432)},
		{"a connection to no known service still tries the rules of hosts the registry does not describe",
			match.Request{DestinationIP: ip("192.0.2.50"), Port: 6379},
			rule("web-v1.data.svc.cluster.local", 6379, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, outcomeOf(tbl.DecideTCP(&tc.r))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecideTCPServicePortsRegistryOnly: under REGISTRY_ONLY a connection
// no listener takes goes to the BlackHoleCluster (serviceentry.md,
// "Outbound traffic policy").
func TestDecideTCPServicePortsRegistryOnly(t *testing.T) {
	tbl := compileYAML(t, servicePortsConfig, WithOutboundPolicy(RegistryOnly))
	refused := l4Outcome{Action: ActionUnavailable, Rule: -1}
	tests := []struct {
		name string
		r    match.Request
		want l4Outcome
	}{
		{"a port the service does not declare is refused",
			match.Request{DestinationIP: ip("10.1.0.5"), Port: 6432}, refused},
		{"the address of a ServiceEntry without ports is refused",
			match.Request{DestinationIP: ip("10.1.0.8"), Port: 80}, refused},
		{"a declared port is still served",
			match.Request{DestinationIP: ip("10.1.0.7"), Port: 6379},
			l4Outcome{Action: ActionRoute, DefaultRoute: true, Host: "cache.internal", Port: 6379, Rule: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, outcomeOf(tbl.DecideTCP(&tc.r))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecideTLSServicePorts: the default route a TLS connection takes to
// the service its SNI names exists only on the service's declared ports,
// as for TCP.
func TestDecideTLSServicePorts(t *testing.T) {
	tbl := compileYAML(t, servicePortsConfig)
	tests := []struct {
		name string
		r    match.Request
		want l4Outcome
	}{
		{"the SNI's service on a declared port goes to itself",
			match.Request{SNI: "api.example.org", Port: 443},
			l4Outcome{Action: ActionRoute, DefaultRoute: true, Host: "api.example.org", Port: 443, Rule: -1}},
		{"the SNI's service on a port it does not declare passes through",
			match.Request{SNI: "api.example.org", Port: 8443},
			l4Outcome{Action: ActionRoute, Passthrough: true, Host: "api.example.org", Port: 8443, Rule: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, outcomeOf(tbl.DecideTLS(&tc.r))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// tlsRulePortsConfig has VirtualServices with tls rules for ServiceEntry
// hosts with TLS, HTTPS, TCP and protocol-less ports, wildcard hosts on
// either side, and a host no ServiceEntry describes.
const tlsRulePortsConfig = `
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: api, namespace: egress}
spec:
  hosts: [api.example.org]
  ports: [{number: 443, name: tls, protocol: TLS}, {number: 9000, name: tcp, protocol: TCP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: api, namespace: egress}
spec:
  hosts: [api.example.org]
  gateways: [mesh, istio-system/passthrough]
  tls:
  - match: [{sniHosts: [api.example.org], port: 8443}]
    route: [{destination: {host: api-8443.internal}}]
  - match: [{sniHosts: [api.example.org]}]
    route: [{destination: {host: api-v2.internal}}]
  tcp:
  - match: [{port: 9000, sourceLabels: {app: admin}}]
    route: [{destination: {host: api-admin.internal}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: plain, namespace: egress}
spec:
  hosts: [plain.example.org]
  ports: [{number: 443, name: p443}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: plain, namespace: egress}
spec:
  hosts: [plain.example.org]
  tls:
  - match: [{sniHosts: [plain.example.org]}]
    route: [{destination: {host: plain-v2.internal}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: wild, namespace: egress}
spec:
  hosts: ["*.wild.example"]
  ports: [{number: 8443, name: https, protocol: HTTPS}]
  resolution: NONE
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: wild, namespace: egress}
spec:
  hosts: ["*.wild.example"]
  tls:
  - match: [{sniHosts: ["*.wild.example"]}]
    route: [{destination: {host: wild-proxy.internal}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: multi-wild, namespace: egress}
spec:
  hosts: ["*.multi.example"]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: NONE
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: multi-b, namespace: egress}
spec:
  hosts: [b.multi.example]
  ports: [{number: 8443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: multi, namespace: egress}
spec:
  hosts: [b.multi.example]
  tls:
  - match: [{sniHosts: [b.multi.example]}]
    route: [{destination: {host: b-v2.internal}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: partial-a, namespace: egress}
spec:
  hosts: [a.partial.example]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: partial, namespace: egress}
spec:
  hosts: ["*.partial.example"]
  tls:
  - match: [{sniHosts: ["*.partial.example"]}]
    route: [{destination: {host: partial-proxy.internal}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: unknown, namespace: egress}
spec:
  hosts: [unknown.example.net]
  tls:
  - match: [{sniHosts: [unknown.example.net]}]
    route: [{destination: {host: unknown-v2.internal}}]
`

// TestDecideTLSRulesServicePorts pins on which ports a sidecar applies a
// VirtualService's tls rules: Istio puts them, as SNI-matched filter
// chains, on the outbound listeners of the TLS and HTTPS ports of each
// service the VirtualService's hosts match (istio/istio
// pilot/pkg/networking/core/tls.go: getConfigsForHost matches hosts with
// host.Name.Matches; buildSidecarOutboundTLSFilterChainOpts builds nothing
// for a port that is not TLS; a match's port must equal the listener's).
// A connection on any other port meets no tls rule: it takes the
// service's default route where the service declares the port, else it
// passes through (virtualservice.md §14; serviceentry.md "Ports",
// "Protocol"). Gateways are decided by the server's port.
func TestDecideTLSRulesServicePorts(t *testing.T) {
	tbl := compileYAML(t, tlsRulePortsConfig)
	pass := func(host string, port uint32) l4Outcome {
		return l4Outcome{Action: ActionRoute, Passthrough: true, Host: host, Port: port, Rule: -1}
	}
	self := func(host string, port uint32) l4Outcome {
		return l4Outcome{Action: ActionRoute, DefaultRoute: true, Host: host, Port: port, Rule: -1}
	}
	rule := func(host string, port uint32, index int) l4Outcome {
		return l4Outcome{Action: ActionRoute, Host: host, Port: port, Rule: index}
	}
	tests := []struct {
		name string
		r    match.Request
		want l4Outcome
	}{
		{"tls rules apply on a TLS port the service declares",
			match.Request{SNI: "api.example.org", Port: 443},
			rule("api-v2.internal", 443, 1)},
		{"a tls match port the service does not declare never applies: no listener, the connection passes through",
			match.Request{SNI: "api.example.org", Port: 8443},
			pass("api.example.org", 8443)},
		{"tls rules are not on a declared TCP port: the connection is opaque TCP to the service",
			match.Request{SNI: "api.example.org", Port: 9000},
			self("api.example.org", 9000)},
		{"on a declared TCP port the VirtualService's tcp rules take the connection",
			match.Request{SNI: "api.example.org", Port: 9000, SourceLabels: map[string]string{"app": "admin"}},
			rule("api-admin.internal", 9000, 0)},
		{"tls rules are not on a declared port without a protocol",
			match.Request{SNI: "plain.example.org", Port: 443},
			self("plain.example.org", 443)},
		{"a wildcard ServiceEntry host's HTTPS port carries the tls rules of the VirtualService for it",
			match.Request{SNI: "x.wild.example", Port: 8443},
			rule("wild-proxy.internal", 8443, 0)},
		{"a wildcard ServiceEntry host does not carry them on a port it does not declare",
			match.Request{SNI: "x.wild.example", Port: 443},
			pass("x.wild.example", 443)},
		{"a VirtualService host's rules are on the ports of the ServiceEntry host equal to it",
			match.Request{SNI: "b.multi.example", Port: 8443},
			rule("b-v2.internal", 8443, 0)},
		{"a VirtualService host's rules are on the ports of a wildcard ServiceEntry host that matches it",
			match.Request{SNI: "b.multi.example", Port: 443},
			rule("b-v2.internal", 443, 0)},
		{"a wildcard VirtualService host no wildcard ServiceEntry host covers may name services of unknown ports: its rules apply on any port",
			match.Request{SNI: "a.partial.example", Port: 9443},
			rule("partial-proxy.internal", 9443, 0)},
		{"a host no ServiceEntry describes has unknown ports: its rules apply on any port",
			match.Request{SNI: "unknown.example.net", Port: 8443},
			rule("unknown-v2.internal", 8443, 0)},
		{"an unknown port is assumed to be a declared one",
			match.Request{SNI: "api.example.org"},
			rule("api-v2.internal", 0, 1)},
		{"on a gateway the server's port decides, not the service's ports",
			match.Request{SNI: "api.example.org", Port: 8443, Gateway: "istio-system/passthrough"},
			rule("api-8443.internal", 8443, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, outcomeOf(tbl.DecideTLS(&tc.r))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecideTLSRulesServicePortsRegistryOnly: under REGISTRY_ONLY a TLS
// connection on a port where no listener has the tls rules and the
// service declares no port is refused (BlackHoleCluster).
func TestDecideTLSRulesServicePortsRegistryOnly(t *testing.T) {
	tbl := compileYAML(t, tlsRulePortsConfig, WithOutboundPolicy(RegistryOnly))
	tests := []struct {
		name string
		r    match.Request
		want l4Outcome
	}{
		{"a tls match port the service does not declare is refused",
			match.Request{SNI: "api.example.org", Port: 8443},
			l4Outcome{Action: ActionUnavailable, Rule: -1}},
		{"a declared TLS port is still served by the tls rules",
			match.Request{SNI: "api.example.org", Port: 443},
			l4Outcome{Action: ActionRoute, Host: "api-v2.internal", Port: 443, Rule: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, outcomeOf(tbl.DecideTLS(&tc.r))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestL4ListenersConcurrentFirstUse decides from several goroutines on a
// fresh table, for the race detector, and checks every goroutine got the
// same answer.
func TestL4ListenersConcurrentFirstUse(t *testing.T) {
	tbl := compileYAML(t, servicePortsConfig)
	want := l4Outcome{Action: ActionRoute, DefaultRoute: true, Host: "b.internal", Port: 2000, Rule: -1}
	got := make([]l4Outcome, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			got[i] = outcomeOf(tbl.DecideTCP(&match.Request{DestinationIP: ip("10.1.0.9"), Port: 2000}))
		})
	}
	wg.Wait()
	for i, g := range got {
		if diff := cmp.Diff(want, g); diff != "" {
			t.Errorf("goroutine %d (-want +got):\n%s", i, diff)
		}
	}
}

// wildcardOwnedConfig has ServiceEntry and DestinationRule hosts whose
// virtual hosts belong to wildcard VirtualServices, which have tcp rules
// for other ports only (and an http rule), so that no tcp rule takes most
// connections to them.
const wildcardOwnedConfig = `
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: db, namespace: data}
spec:
  hosts: [db.example.com]
  addresses: [10.3.0.5]
  ports:
  - {number: 5432, name: tcp, protocol: TCP}
  - {number: 1234, name: tcp-admin, protocol: TCP}
  - {number: 8080, name: http, protocol: HTTP}
  resolution: STATIC
  endpoints: [{address: 10.3.0.6}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: single, namespace: data}
spec:
  hosts: [single.example.com]
  ports: [{number: 6000, name: tcp, protocol: TCP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: corp, namespace: data}
spec:
  hosts: ["*.corp.example"]
  ports: [{number: 7000, name: tcp, protocol: TCP}]
  resolution: NONE
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: db, namespace: team}
spec:
  host: db.example.com
  exportTo: ["."]
  trafficPolicy: {connectionPool: {tcp: {maxConnections: 7}}}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: cache, namespace: data}
spec:
  host: cache.example.com
  trafficPolicy: {connectionPool: {tcp: {maxConnections: 3}}}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: wild, namespace: data}
spec:
  hosts: ["*.example.com", "*.corp.example"]
  gateways: [mesh, istio-system/tcp]
  http:
  - route: [{destination: {host: web-proxy.internal}}]
  tcp:
  - match: [{port: 1234}]
    route: [{destination: {host: admin-proxy.internal}}]
`

// l4Target is what the wildcard-owner tests compare of a decision: the
// outcome plus the DestinationRule resolved for the destination.
type l4Target struct {
	Outcome         l4Outcome
	DestinationRule string
	Policy          bool
}

func targetOf(d Decision) l4Target {
	dr := ""
	if d.DestinationRule.Name != "" {
		dr = d.DestinationRule.Namespace + "/" + d.DestinationRule.Name
	}
	return l4Target{outcomeOf(d), dr, d.Target.Policy != nil}
}

// TestDecideL4WildcardOwnedService pins where a connection to a registry
// host whose virtual host is a wildcard VirtualService's goes when no tcp
// rule takes it: to the service itself on its default route, as for a
// host with its own VirtualService (Istio adds to the service's outbound
// listener a filter chain to the service's cluster when no tcp route of
// its VirtualService is a catch-all: istio/istio
// pilot/pkg/networking/core/tcp.go, buildSidecarOutboundTCPFilterChainOpts),
// with the service's port and the DestinationRule the caller's namespace
// sees. Connections on ports the service does not declare still pass
// through, and gateways, which have no per-service listeners, are
// unchanged.
func TestDecideL4WildcardOwnedService(t *testing.T) {
	tbl := compileYAML(t, wildcardOwnedConfig)
	registryOnly := compileYAML(t, wildcardOwnedConfig, WithOutboundPolicy(RegistryOnly))
	self := func(host string, port uint32, dr string) l4Target {
		return l4Target{l4Outcome{Action: ActionRoute, DefaultRoute: true, Host: host, Port: port, Rule: -1}, dr, dr != ""}
	}
	pass := func(host string, port uint32) l4Target {
		return l4Target{Outcome: l4Outcome{Action: ActionRoute, Passthrough: true, Host: host, Port: port, Rule: -1}}
	}
	rule := func(host string, port uint32, index int) l4Target {
		return l4Target{Outcome: l4Outcome{Action: ActionRoute, Host: host, Port: port, Rule: index}}
	}
	tcp, tls := (*Table).DecideTCP, (*Table).DecideTLS
	tests := []struct {
		name   string
		tbl    *Table
		decide func(*Table, *match.Request) Decision
		r      match.Request
		want   l4Target
	}{
		{"a ServiceEntry host found by the dialled name goes to itself when no tcp rule of its wildcard VirtualService takes the connection",
			tbl, tcp, match.Request{Authority: "db.example.com:5432", Port: 5432},
			self("db.example.com", 5432, "")},
		{"a ServiceEntry host found by its address goes to itself likewise",
			tbl, tcp, match.Request{DestinationIP: ip("10.3.0.5"), Port: 5432},
			self("db.example.com", 5432, "")},
		{"the service's own destination takes the DestinationRule the caller's namespace sees",
			tbl, tcp, match.Request{DestinationIP: ip("10.3.0.5"), Port: 5432, SourceNamespace: "team"},
			self("db.example.com", 5432, "team/db")},
		{"a DestinationRule exported to its own namespace only is not seen from another",
			tbl, tcp, match.Request{DestinationIP: ip("10.3.0.5"), Port: 5432, SourceNamespace: "elsewhere"},
			self("db.example.com", 5432, "")},
		{"the wildcard VirtualService's tcp rules still come first",
			tbl, tcp, match.Request{Authority: "db.example.com:1234", Port: 1234},
			rule("admin-proxy.internal", 1234, 0)},
		{"a port the service does not declare passes through, as before",
			tbl, tcp, match.Request{Authority: "db.example.com:9999", Port: 9999},
			pass("db.example.com", 9999)},
		{"an unknown port takes the ServiceEntry's single port, as a default route does",
			tbl, tcp, match.Request{Authority: "single.example.com"},
			self("single.example.com", 6000, "")},
		{"a DestinationRule host (a service of unknown ports) goes to itself with its DestinationRule",
			tbl, tcp, match.Request{Authority: "cache.example.com:6379", Port: 6379, SourceNamespace: "data"},
			self("cache.example.com", 6379, "data/cache")},
		{"a wildcard ServiceEntry host claimed by the same wildcard VirtualService host goes to the wildcard service",
			tbl, tcp, match.Request{Authority: "a.corp.example:7000", Port: 7000},
			self("*.corp.example", 7000, "")},
		{"a name the registry does not describe passes through, as before",
			tbl, tcp, match.Request{Authority: "nowhere.example.com:5432", Port: 5432},
			pass("nowhere.example.com", 5432)},
		{"under REGISTRY_ONLY the service is still served",
			registryOnly, tcp, match.Request{DestinationIP: ip("10.3.0.5"), Port: 5432},
			self("db.example.com", 5432, "")},
		{"on a gateway a connection no tcp rule takes is still closed",
			tbl, tcp, match.Request{Authority: "db.example.com:5432", Port: 5432, Gateway: "istio-system/tcp"},
			l4Target{Outcome: l4Outcome{Action: ActionNoRoute, Rule: -1}}},
		{"a TLS connection on a declared TCP port is opaque TCP to the service",
			tbl, tls, match.Request{SNI: "db.example.com", Port: 5432},
			self("db.example.com", 5432, "")},
		{"a TLS connection on a declared TCP port takes the wildcard VirtualService's tcp rules first",
			tbl, tls, match.Request{SNI: "db.example.com", Port: 1234},
			rule("admin-proxy.internal", 1234, 0)},
		{"a TLS connection on a port the service does not declare passes through, as before",
			tbl, tls, match.Request{SNI: "db.example.com", Port: 443},
			pass("db.example.com", 443)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, targetOf(tc.decide(tc.tbl, &tc.r))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecideWildcardOwnedServiceHTTPUnchanged: the TCP fallback leaves
// HTTP alone: a request to a registry host a wildcard VirtualService owns
// takes that VirtualService's http rules.
func TestDecideWildcardOwnedServiceHTTPUnchanged(t *testing.T) {
	tbl := compileYAML(t, wildcardOwnedConfig)
	for _, authority := range []string{"db.example.com:8080", "cache.example.com"} {
		t.Run(authority, func(t *testing.T) {
			d := tbl.Decide(req("GET", authority, "/"))
			got := []any{d.Action, d.DefaultRoute, d.Passthrough, d.Destination.Host, d.VirtualService.Name, d.Rule.Index}
			want := []any{ActionRoute, false, false, "web-proxy.internal", "wild", 0}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecideL4WildcardOwnedServiceAllocatesNothing: the service's own
// destination is resolved when the table is compiled.
func TestDecideL4WildcardOwnedServiceAllocatesNothing(t *testing.T) {
	tbl := compileYAML(t, wildcardOwnedConfig)
	tests := []struct {
		name   string
		decide func(*Table, *match.Request) Decision
		r      match.Request
	}{
		{"tcp by address", (*Table).DecideTCP, match.Request{DestinationIP: ip("10.3.0.5"), Port: 5432, SourceNamespace: "team"}},
		{"tcp by name", (*Table).DecideTCP, match.Request{Authority: "db.example.com:5432", Port: 5432}},
		{"tls on a tcp port", (*Table).DecideTLS, match.Request{SNI: "db.example.com", Port: 5432}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.decide(tbl, &tc.r).DefaultRoute {
				t.Fatal("not the service's default route")
			}
			if n := testing.AllocsPerRun(100, func() { tc.decide(tbl, &tc.r) }); n != 0 {
				t.Errorf("%v allocations per decision, want 0", n)
			}
		})
	}
}

// TestDecideTLSNoRuleOnATLSPortGoesToTheService pins what happens to a
// TLS connection on a port its service declares TLS or HTTPS when none of
// its VirtualService's tls rules takes it: Istio ends that listener with
// a filter chain to the service's own cluster (istio/istio
// pilot/pkg/networking/core/tls.go, buildSidecarOutboundTLSFilterChainOpts),
// so the connection goes to the service, not through.
func TestDecideTLSNoRuleOnATLSPortGoesToTheService(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: api, namespace: egress}
spec:
  hosts: [api.example.org]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: api, namespace: egress}
spec:
  hosts: [api.example.org]
  tls:
  - match: [{sniHosts: [api.example.org], sourceLabels: {app: admin}}]
    route: [{destination: {host: api-admin.internal}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: wild, namespace: egress}
spec:
  hosts: [b.wild.example]
  ports: [{number: 443, name: https, protocol: HTTPS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: wild, namespace: egress}
spec:
  hosts: ["*.wild.example"]
  tls:
  - match: [{sniHosts: ["*.wild.example"], sourceLabels: {app: admin}}]
    route: [{destination: {host: wild-admin.internal}}]
`)
	admin := map[string]string{"app": "admin"}
	tests := []struct {
		name string
		r    match.Request
		want l4Outcome
	}{
		{"a tls rule that takes the connection routes it",
			match.Request{SNI: "api.example.org", Port: 443, SourceLabels: admin},
			l4Outcome{Action: ActionRoute, Host: "api-admin.internal", Port: 443, Rule: 0}},
		{"no tls rule takes it: the service itself",
			match.Request{SNI: "api.example.org", Port: 443},
			l4Outcome{Action: ActionRoute, DefaultRoute: true, Host: "api.example.org", Port: 443, Rule: -1}},
		{"no tls rule takes it, on a port the service does not declare: through",
			match.Request{SNI: "api.example.org", Port: 8443},
			l4Outcome{Action: ActionRoute, Passthrough: true, Host: "api.example.org", Port: 8443, Rule: -1}},
		{"a service a wildcard VirtualService owns: the service itself",
			match.Request{SNI: "b.wild.example", Port: 443},
			l4Outcome{Action: ActionRoute, DefaultRoute: true, Host: "b.wild.example", Port: 443, Rule: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, outcomeOf(tbl.DecideTLS(&tc.r))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if ex := tbl.ExplainTLS(&tc.r); outcomeOf(ex.Decision) != tc.want {
				t.Errorf("ExplainTLS decided %+v", outcomeOf(ex.Decision))
			}
		})
	}
}
