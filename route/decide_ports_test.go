package route

import (
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
	type got struct {
		Action       Action
		Status       int
		Passthrough  bool
		DefaultRoute bool
		VS           string
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
		{"any declared port counts, whatever its protocol", "httpbin.org:8443", 0, nil, routed("httpbin")},
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
		{"a ServiceEntry host under a wildcard VirtualService: declared port", "api.example.com:443", 0, nil, routed("wild")},
		{"a ServiceEntry host under a wildcard VirtualService: undeclared port", "api.example.com:80", 0, nil, passthrough},
		{"a wildcard VirtualService's other hosts take every port", "other.example.com:80", 0, nil, routed("wild")},
		{"a host no ServiceEntry describes takes every port", "reviews:1234", 0, nil, defaultRoute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl := compileYAML(t, portsConfig, tc.opts...)
			r := req("GET", tc.authority, "/")
			r.Port, r.SourceNamespace = tc.port, "default"
			for name, d := range map[string]Decision{"Decide": tbl.Decide(r), "linear": tbl.decideLinear(r)} {
				g := got{Action: d.Action, Status: d.Status, Passthrough: d.Passthrough, DefaultRoute: d.DefaultRoute, VS: d.VirtualService.Name}
				if diff := cmp.Diff(tc.want, g); diff != "" {
					t.Errorf("%s (-want +got):\n%s", name, diff)
				}
			}
		})
	}
}
