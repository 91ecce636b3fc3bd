package route

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// portsConfig has ServiceEntry hosts that declare their ports, one owned
// by a wildcard VirtualService, one described by two ServiceEntries, and
// a DestinationRule host whose ports are unknown.
const portsConfig = `
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: httpbin, namespace: default}
spec:
  hosts: [httpbin.org]
  addresses: [240.0.0.1]
  ports: [{number: 80, name: http, protocol: HTTP}, {number: 8443, name: https, protocol: HTTPS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: httpbin, namespace: default}
spec:
  hosts: [httpbin.org]
  http: [{route: [{destination: {host: httpbin.org, port: {number: 80}}}], timeout: 3s}]
  tls:
  - match: [{port: 8443, sniHosts: [httpbin.org]}]
    route: [{destination: {host: httpbin.org, port: {number: 8443}}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: secure, namespace: default}
spec:
  hosts: [secure.org]
  ports: [{number: 443, name: https, protocol: HTTPS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: secure, namespace: default}
spec:
  hosts: [secure.org]
  http: [{route: [{destination: {host: secure.org}}], timeout: 1s}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: wild-api, namespace: default}
spec:
  hosts: ["*.googleapis.test"]
  ports: [{number: 443, name: https, protocol: HTTPS}]
  resolution: NONE
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: pinned, namespace: default}
spec:
  hosts: [pinned.googleapis.test]
  ports: [{number: 8080, name: http, protocol: HTTP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: wild-api, namespace: default}
spec:
  hosts: ["*.googleapis.test"]
  http: [{route: [{destination: {host: backend}}], timeout: 1s}]
  tls:
  - match: [{port: 443, sniHosts: ["*.googleapis.test"]}]
    route: [{destination: {host: egress-proxy.internal, port: {number: 443}}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: own, namespace: default}
spec:
  hosts: [own.googleapis.test]
  http: [{route: [{destination: {host: own.googleapis.test}}]}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: lower, namespace: default}
spec:
  hosts: [lower.org]
  ports: [{number: 7000, name: tcp-lower, protocol: tcp}, {number: 7001, name: http-lower, protocol: http}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: lower, namespace: default}
spec:
  hosts: [lower.org]
  http: [{route: [{destination: {host: lower.org}}]}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: pg, namespace: default}
spec:
  hosts: [pg.internal]
  addresses: [240.0.0.9]
  ports: [{number: 5432, name: tcp, protocol: TCP}, {number: 8080, name: http, protocol: HTTP}, {number: 9000, name: sniffed}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: pg, namespace: default}
spec:
  hosts: [pg.internal]
  http: [{route: [{destination: {host: pg.internal, port: {number: 8080}}}], timeout: 1s}]
  tcp:
  - match: [{port: 5432}]
    route: [{destination: {host: pg-replica.internal, port: {number: 5432}}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: api, namespace: default}
spec:
  hosts: [api.example.com]
  ports: [{number: 443, name: https, protocol: HTTPS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: wild, namespace: default}
spec:
  hosts: ["*.example.com"]
  http: [{route: [{destination: {host: backend}}]}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: multi-a, namespace: default}
spec:
  hosts: [multi.org]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: multi-b, namespace: default}
spec:
  hosts: [multi.org]
  ports: [{number: 8080, name: http-alt, protocol: HTTP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy: {loadBalancer: {simple: RANDOM}}
`

func TestServiceEntryPortsScopeHTTPRoutes(t *testing.T) {
	// Explain decides with Decide; its trace is checked in
	// TestExplainFollowsServiceEntryPorts.
	type got struct {
		Action       Action
		Status       int
		Passthrough  bool
		DefaultRoute bool
		VS           string
		Host         string // compared only when the case names one
		Section      RuleSection
	}
	routed := func(vs string) got { return got{Action: ActionRoute, VS: vs} }
	defaultRoute := got{Action: ActionRoute, DefaultRoute: true}
	passthrough := got{Action: ActionRoute, Passthrough: true}
	tests := []struct {
		name      string
		authority string
		port      uint32
		opts      []Option
		want      got
	}{
		{"a declared port reaches the host's routes", "httpbin.org:80", 0, nil, routed("httpbin")},
		{"a port declared HTTPS takes no HTTP route: a plain request is opaque TCP to the service", "httpbin.org:8443", 0, nil, defaultRoute},
		{"a port declared HTTPS takes no HTTP route: an https request is TLS, routed by SNI", "https://httpbin.org:8443", 0, nil, got{Action: ActionRoute, VS: "httpbin", Host: "httpbin.org", Section: SectionTLS}},
		{"an https request on a port declared HTTPS that no tls rule takes goes to the service itself", "https://secure.org:443", 0, nil, got{Action: ActionRoute, DefaultRoute: true, Host: "secure.org"}},
		{"a name under a wildcard ServiceEntry, on a port it does not declare: passthrough", "storage.googleapis.test:80", 0, nil, passthrough},
		{"a name under a wildcard ServiceEntry, https on its HTTPS port: tls rules by SNI", "https://storage.googleapis.test:443", 0, nil,
			got{Action: ActionRoute, VS: "wild-api", Host: "egress-proxy.internal", Section: SectionTLS}},
		{"a name with a VirtualService of its own is not scoped by the wildcard ServiceEntry", "own.googleapis.test:80", 0, nil, routed("own")},
		{"an exact ServiceEntry host under the wildcard keeps its own ports: declared", "pinned.googleapis.test:8080", 0, nil, routed("wild-api")},
		{"an exact ServiceEntry host under the wildcard keeps its own ports: the wildcard's is not one", "pinned.googleapis.test:443", 0, nil, passthrough},
		{"protocol names ignore case: tcp is TCP", "lower.org:7000", 0, nil, defaultRoute},
		{"protocol names ignore case: http is HTTP", "lower.org:7001", 0, nil, routed("lower")},
		{"a port declared TCP takes no HTTP route: the request is opaque TCP, routed by tcp rules", "pg.internal:5432", 0, nil, got{Action: ActionRoute, VS: "pg", Host: "pg-replica.internal", Section: SectionTCP}},
		{"a port declared TCP, by the service's address", "240.0.0.9:5432", 0, nil, got{Action: ActionRoute, VS: "pg", Host: "pg-replica.internal", Section: SectionTCP}},
		{"a port declared HTTP takes the HTTP routes", "pg.internal:8080", 0, nil, got{Action: ActionRoute, VS: "pg", Host: "pg.internal"}},
		{"a port declared without a protocol is sniffed: HTTP takes the HTTP routes", "pg.internal:9000", 0, nil, got{Action: ActionRoute, VS: "pg", Host: "pg.internal"}},
		{"an undeclared port is for an unknown host: passthrough", "httpbin.org:9999", 0, nil, passthrough},
		{"under REGISTRY_ONLY an undeclared port is refused", "httpbin.org:9999", 0, []Option{WithOutboundPolicy(RegistryOnly)},
			got{Action: ActionUnavailable, Status: 502}},
		{"the request's Port counts over the authority's", "httpbin.org:80", 9999, nil, passthrough},
		{"Request.Port alone decides for an authority without a port", "httpbin.org", 80, nil, routed("httpbin")},
		{"no port known: the host's routes apply", "httpbin.org", 0, nil, routed("httpbin")},
		{"the host's domains ignore case, and so does the port check", "HTTPBin.ORG:9999", 0, nil, passthrough},
		{"a service address is scoped like its name", "240.0.0.1:9999", 0, nil, passthrough},
		{"a service address on a declared port reaches the routes", "240.0.0.1:80", 0, nil, routed("httpbin")},
		{"a host of several ServiceEntries takes each one's ports", "multi.org:8080", 0, nil, defaultRoute},
		{"a host of several ServiceEntries: the other's port", "multi.org:80", 0, nil, defaultRoute},
		{"a host of several ServiceEntries: a port neither declares", "multi.org:81", 0, nil, passthrough},
		{"a ServiceEntry host under a wildcard VirtualService: its HTTPS port is opaque TCP to it", "api.example.com:443", 0, nil, defaultRoute},
		{"a ServiceEntry host under a wildcard VirtualService: undeclared port", "api.example.com:80", 0, nil, passthrough},
		{"a wildcard VirtualService's other hosts take every port", "other.example.com:80", 0, nil, routed("wild")},
		{"a host no ServiceEntry describes takes every port", "reviews:1234", 0, nil, defaultRoute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl := compileYAML(t, portsConfig, tc.opts...)
			authority, scheme := tc.authority, "http"
			if rest, ok := strings.CutPrefix(authority, "https://"); ok {
				authority, scheme = rest, "https"
			}
			r := req("GET", authority, "/x?y")
			r.Port, r.SourceNamespace, r.Scheme = tc.port, "default", scheme
			for name, d := range map[string]Decision{"Decide": tbl.Decide(r), "linear": tbl.decideLinear(r), "Explain": tbl.Explain(r).Decision} {
				g := got{Action: d.Action, Status: d.Status, Passthrough: d.Passthrough, DefaultRoute: d.DefaultRoute, VS: d.VirtualService.Name}
				if tc.want.Host != "" {
					g.Host = d.Destination.Host
				}
				if tc.want.Section != 0 || d.Rule.Index >= 0 {
					g.Section = d.Rule.Section
				}
				if d.Action == ActionRoute && (d.Path != "/x?y" || d.Authority != authority) {
					t.Errorf("%s: forwarded as %q %q, want the request's own path and authority", name, d.Path, d.Authority)
				}
				if diff := cmp.Diff(tc.want, g); diff != "" {
					t.Errorf("%s (-want +got):\n%s", name, diff)
				}
			}
		})
	}
}

// Explain follows a request Decide decides as a connection, or for an
// unknown host, because of its ServiceEntry's ports.
func TestExplainFollowsServiceEntryPorts(t *testing.T) {
	tbl := compileYAML(t, portsConfig)
	tests := []struct {
		name, scheme, authority string
		protocol                string
		listener                string // the start of the listener line
		virtualHost             string
	}{
		{"an HTTP port: the HTTP trace", "http", "httpbin.org:80", "", "", "httpbin.org"},
		{"an undeclared port: no virtual host", "http", "httpbin.org:9999", "", "none for httpbin.org:9999 on port 9999", ""},
		{"an https request on an HTTPS port: the TLS trace", "https", "httpbin.org:8443", "tls", "port 8443, which httpbin.org:8443 declares TLS or HTTPS: no HTTP route applies, the request is decided as the TLS connection it is, by SNI", ""},
		{"a request on a TCP port: the TCP trace", "http", "pg.internal:5432", "tcp", "port 5432, which pg.internal:5432 declares with a protocol other than HTTP: no HTTP route applies, the request is decided as opaque TCP", "pg.internal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := req("GET", tc.authority, "/")
			r.Scheme, r.SourceNamespace = tc.scheme, "default"
			ex := tbl.Explain(r)
			got := []string{ex.Protocol, ex.VirtualHost, ex.Listener[:min(len(ex.Listener), len(tc.listener))]}
			if diff := cmp.Diff([]string{tc.protocol, tc.virtualHost, tc.listener}, got); diff != "" {
				t.Errorf("[protocol, virtual host, listener] (-want +got):\n%s\n%s", diff, ex)
			}
		})
	}
}

// outsideConfig has VirtualService hosts no ServiceEntry declares and that
// are not Kubernetes service names: Istio has no service for them, and
// puts their virtual hosts on port 80 only, unless the VirtualService also
// names a service on the port (buildSidecarOutboundHTTPRouteConfig: "only
// select virtualServices that matches a service" unless the port is 80).
const outsideConfig = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ext, namespace: default}
spec:
  hosts: [api.example.test]
  http:
  - route: [{destination: {host: api.example.test}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: mixed, namespace: default}
spec:
  hosts: [alias.example.test, svc.example.test]
  http:
  - route: [{destination: {host: svc.example.test}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: svc, namespace: default}
spec:
  hosts: [svc.example.test]
  ports: [{number: 9000, name: http, protocol: HTTP}, {number: 9443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: kube, namespace: default}
spec:
  hosts: [reviews, reviews.example.test]
  http:
  - route: [{destination: {host: reviews}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: under-wild, namespace: default}
spec:
  hosts: [a.wild.test]
  http:
  - route: [{destination: {host: a.wild.test}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: wild, namespace: default}
spec:
  hosts: ["*.wild.test"]
  ports: [{number: 8080, name: http, protocol: HTTP}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: private, namespace: default}
spec:
  hosts: [private.example.test]
  http:
  - route: [{destination: {host: private.example.test}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: private, namespace: default}
spec:
  hosts: [private.example.test]
  exportTo: ["."]
  ports: [{number: 8080, name: http, protocol: HTTP}]
`

func TestVirtualServiceHostsOutsideTheRegistryAreOnPort80(t *testing.T) {
	type got struct {
		Action      Action
		Status      int
		Passthrough bool
		VS          string
	}
	routed := func(vs string) got { return got{Action: ActionRoute, VS: vs} }
	passthrough := got{Action: ActionRoute, Passthrough: true}
	tests := []struct {
		name      string
		authority string
		namespace string
		opts      []Option
		want      got
	}{
		{"a host outside the registry is routed on port 80", "api.example.test:80", "default", nil, routed("ext")},
		{"a host outside the registry, port unknown: routed", "api.example.test", "default", nil, routed("ext")},
		{"a host outside the registry on another port is an unknown host", "api.example.test:8080", "default", nil, passthrough},
		{"a host outside the registry on another port, REGISTRY_ONLY: 502", "api.example.test:8080", "default", []Option{WithOutboundPolicy(RegistryOnly)},
			got{Action: ActionUnavailable, Status: 502}},
		{"a VirtualService that names a ServiceEntry host takes its other hosts to that host's HTTP port", "alias.example.test:9000", "default", nil, routed("mixed")},
		{"... and to port 80", "alias.example.test:80", "default", nil, routed("mixed")},
		{"... but not to the ServiceEntry host's TLS port", "alias.example.test:9443", "default", nil, passthrough},
		{"... nor to a port no host has", "alias.example.test:7000", "default", nil, passthrough},
		{"a VirtualService that names a Kubernetes service keeps its other hosts on every port", "reviews.example.test:8080", "default", nil, routed("kube")},
		{"a host a wildcard ServiceEntry host covers is a service: every port", "a.wild.test:1234", "default", nil, routed("under-wild")},
		{"a ServiceEntry host in its own namespace is scoped by its ports", "private.example.test:8080", "default", nil, routed("private")},
		{"a ServiceEntry not exported to the caller leaves its host outside the registry: port 80", "private.example.test:80", "other", nil, routed("private")},
		{"a ServiceEntry not exported to the caller leaves its host outside the registry: not its port", "private.example.test:8080", "other", nil, passthrough},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl := compileYAML(t, outsideConfig, tc.opts...)
			r := req("GET", tc.authority, "/x")
			r.SourceNamespace = tc.namespace
			for name, d := range map[string]Decision{"Decide": tbl.Decide(r), "linear": tbl.decideLinear(r), "Explain": tbl.Explain(r).Decision} {
				g := got{Action: d.Action, Status: d.Status, Passthrough: d.Passthrough, VS: d.VirtualService.Name}
				if diff := cmp.Diff(tc.want, g); diff != "" {
					t.Errorf("%s (-want +got):\n%s", name, diff)
				}
			}
		})
	}
	r := req("GET", "api.example.test:8080", "/")
	r.SourceNamespace = "default"
	ex := compileYAML(t, outsideConfig).Explain(r)
	if want := "none for api.example.test:8080 on port 8080: the host is neither a ServiceEntry host nor a Kubernetes service, so its VirtualService's routes are on port 80 and its ServiceEntry hosts' HTTP ports only ([80])"; ex.Listener != want {
		t.Errorf("Explain listener:\n%s\nwant\n%s", ex.Listener, want)
	}
}
