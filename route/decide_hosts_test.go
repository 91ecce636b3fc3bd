package route

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const hostsConfig = `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: reviews, namespace: bookinfo}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: wild, namespace: edge}
spec:
  hosts: ["*.example.com"]
  http:
  - route:
    - destination: {host: wild.internal}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: wild-deeper, namespace: edge}
spec:
  hosts: ["*.api.example.com"]
  http:
  - route:
    - destination: {host: deeper.internal}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: exact, namespace: edge}
spec:
  hosts: [www.example.com]
  http:
  - route:
    - destination: {host: www.internal}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: private, namespace: team}
spec:
  hosts: [private.team.svc.cluster.local]
  exportTo: ["."]
  http:
  - route:
    - destination: {host: private}
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: ext, namespace: edge}
spec:
  hosts: [api.partner.com]
  addresses: [240.0.0.1]
  ports: [{number: 443, name: https, protocol: HTTPS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: ratings, namespace: bookinfo}
spec:
  host: ratings
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
`

func TestDecideHosts(t *testing.T) {
	tbl := compileYAML(t, hostsConfig)
	const reviews = "reviews.bookinfo.svc.cluster.local"
	def := func(o outcome) outcome {
		o.Action, o.Retries, o.RetryDefault = ActionRoute, 2, true
		o.Path, o.Match = "/", -1
		if o.VS == "" {
			o.Rule = -1
		}
		if o.Timeout == 0 { // -1 marks "no timeout" (passthrough)
			o.Timeout, o.TimeoutSource = SeedsDefaultTimeout, TimeoutDefault
		} else {
			o.Timeout = 0
		}
		return o
	}
	// opaque is a request on a port its ServiceEntry declares TLS or TCP:
	// forwarded as the connection it is, without HTTP timeout or retries.
	opaque := func(o outcome) outcome {
		o.Retries, o.RetryDefault = 0, false
		return o
	}
	tests := []struct {
		name      string
		authority string
		ns        string
		want      outcome
	}{
		{"bare short name from the service's namespace", "reviews", "bookinfo",
			def(outcome{VS: "bookinfo/reviews", Host: reviews, Authority: "reviews"})},
		{"port in the Host header is ignored for virtual-host selection", "reviews:9080", "bookinfo",
			def(outcome{VS: "bookinfo/reviews", Host: reviews, Port: 9080, Authority: "reviews:9080"})},
		{"host matching is case-insensitive", "REVIEWS.Bookinfo", "default",
			def(outcome{VS: "bookinfo/reviews", Host: reviews, Authority: "REVIEWS.Bookinfo"})},
		{"name.namespace form from another namespace", "reviews.bookinfo", "default",
			def(outcome{VS: "bookinfo/reviews", Host: reviews, Authority: "reviews.bookinfo"})},
		{"name.namespace.svc form", "reviews.bookinfo.svc", "default",
			def(outcome{VS: "bookinfo/reviews", Host: reviews, Authority: "reviews.bookinfo.svc"})},
		{"FQDN form", reviews, "default",
			def(outcome{VS: "bookinfo/reviews", Host: reviews, Authority: reviews})},
		{"bare short name from another namespace is not the service", "reviews", "default",
			def(outcome{Host: "reviews", Authority: "reviews", Passthrough: true, Timeout: -1})},
		{"exact host beats a wildcard", "www.example.com", "default",
			def(outcome{VS: "edge/exact", Host: "www.internal", Authority: "www.example.com"})},
		{"longest suffix wildcard wins", "v1.api.example.com", "default",
			def(outcome{VS: "edge/wild-deeper", Host: "deeper.internal", Authority: "v1.api.example.com"})},
		{"wildcard covers deeper names", "a.b.example.com", "default",
			def(outcome{VS: "edge/wild", Host: "wild.internal", Authority: "a.b.example.com"})},
		{"suffix wildcard never matches the bare domain", "example.com", "default",
			def(outcome{Host: "example.com", Authority: "example.com", Passthrough: true, Timeout: -1})},
		{"exportTo dot hides the VirtualService from other namespaces", "private.team.svc.cluster.local", "default",
			def(outcome{Host: "private.team.svc.cluster.local", Authority: "private.team.svc.cluster.local", Passthrough: true, Timeout: -1})},
		{"exportTo dot keeps it visible in its own namespace", "private", "team",
			def(outcome{VS: "team/private", Host: "private.team.svc.cluster.local", Authority: "private"})},
		{"ServiceEntry host without VirtualService takes the default route on its single port", "api.partner.com", "default",
			def(outcome{Host: "api.partner.com", Port: 443, Authority: "api.partner.com", DefaultRoute: true})},
		{"ServiceEntry address on its HTTPS port reaches the service as opaque TCP", "240.0.0.1:443", "default",
			opaque(def(outcome{Host: "api.partner.com", Port: 443, Authority: "240.0.0.1:443", DefaultRoute: true, Timeout: -1}))},
		{"DestinationRule host without VirtualService takes the default route with the rule", "ratings:9080", "bookinfo",
			def(outcome{Host: "ratings.bookinfo.svc.cluster.local", Port: 9080, Authority: "ratings:9080", DefaultRoute: true, DR: "bookinfo/ratings"})},
		{"unknown host passes through with no timeout under ALLOW_ANY", "unknown.org", "default",
			def(outcome{Host: "unknown.org", Authority: "unknown.org", Passthrough: true, Timeout: -1})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := req("GET", tc.authority, "/")
			r.SourceNamespace = tc.ns
			want := tc.want
			if diff := cmp.Diff(want, summarize(tbl.Decide(r))); diff != "" {
				t.Errorf("Decide (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnknownHostUnderRegistryOnlyIs502(t *testing.T) {
	tbl := compileYAML(t, hostsConfig, WithOutboundPolicy(RegistryOnly))
	got := summarize(tbl.Decide(req("GET", "unknown.org", "/")))
	want := outcome{Action: ActionUnavailable, Status: 502, Rule: -1, Match: -1, Reason: reasonRegistryOnly}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestWithNamespaceIsTheCallerWhenTheRequestNamesNone(t *testing.T) {
	tbl := compileYAML(t, hostsConfig, WithNamespace("bookinfo"))
	got := tbl.Decide(req("GET", "reviews", "/"))
	if got.VirtualService.Name != "reviews" {
		t.Errorf("bare name from WithNamespace(bookinfo): got %+v, want VirtualService bookinfo/reviews", got.VirtualService)
	}
}

const severalVS = `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: b-newer, namespace: default, creationTimestamp: "2024-02-01T00:00:00Z"}
spec:
  hosts: [shop.example.com]
  gateways: [mesh, istio-system/ingress]
  http:
  - match: [{uri: {prefix: /cart}}]
    route: [{destination: {host: cart}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: a-older, namespace: default, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: [shop.example.com]
  gateways: [mesh, istio-system/ingress]
  http:
  - route: [{destination: {host: shop}}]
`

func TestSeveralVirtualServicesForOneHost(t *testing.T) {
	tbl := compileYAML(t, severalVS)
	tests := []struct {
		name    string
		gateway string
		path    string
		wantVS  string
		wantDst string
	}{
		{"sidecar: the oldest VirtualService wins the host", "mesh", "/cart", "a-older", "shop.default.svc.cluster.local"},
		{"gateway: VirtualServices merge and catch-all rules move last", "istio-system/ingress", "/cart", "b-newer", "cart.default.svc.cluster.local"},
		{"gateway: the merged catch-all still serves the rest", "istio-system/ingress", "/other", "a-older", "shop.default.svc.cluster.local"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := req("GET", "shop.example.com", tc.path)
			r.Gateway = tc.gateway
			d := tbl.Decide(r)
			got := [2]string{d.VirtualService.Name, d.Destination.Host}
			if diff := cmp.Diff([2]string{tc.wantVS, tc.wantDst}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

const gatewayConfig = `
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: {name: ingress, namespace: istio-system}
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*.shop.com"]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: front, namespace: web}
spec:
  hosts: ["*"]
  gateways: [istio-system/ingress]
  http:
  - route: [{destination: {host: front}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: legacy, namespace: istio-system}
spec:
  hosts: [legacy.example.org]
  gateways: [ingress.istio-system.svc.cluster.local]
  http:
  - route: [{destination: {host: legacy}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: bare, namespace: istio-system}
spec:
  hosts: [bare.example.org]
  gateways: [other]
  http:
  - route: [{destination: {host: bare}}]
`

func TestGatewayBinding(t *testing.T) {
	tbl := compileYAML(t, gatewayConfig)
	tests := []struct {
		name      string
		gateway   string
		authority string
		want      string // destination host, or "404"
	}{
		{"gateway vhost is the intersection of server and VirtualService hosts", "istio-system/ingress", "a.shop.com", "front.web.svc.cluster.local"},
		{"a host outside the server hosts gets 404 on the gateway", "istio-system/ingress", "b.example.org", "404"},
		{"legacy FQDN gateway name binds ns/name, but the server hosts still filter", "istio-system/ingress", "legacy.example.org", "404"},
		{"bare gateway name is in the VirtualService namespace", "istio-system/other", "bare.example.org", "bare.istio-system.svc.cluster.local"},
		{"gateway-bound VirtualService does not apply to sidecars", "mesh", "a.shop.com", "a.shop.com"},
		{"unknown gateway gets 404", "nowhere/gw", "a.shop.com", "404"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := req("GET", tc.authority, "/")
			r.Gateway = tc.gateway
			d := tbl.Decide(r)
			got := hostOr(d, "404")
			if got != tc.want {
				t.Errorf("got %q (%v, %s), want %q", got, d.Action, d.Reason, tc.want)
			}
		})
	}
}

func TestLegacyGatewayNameResolves(t *testing.T) {
	for in, want := range map[string]string{
		"ingress.istio-system.svc.cluster.local": "istio-system/ingress",
		"ingress.istio-system":                   "istio-system/ingress",
		"ingress":                                "ns/ingress",
		"./ingress":                              "ns/ingress",
		"other/ingress":                          "other/ingress",
		"mesh":                                   "mesh",
	} {
		if got := resolveGateway(in, "ns"); got != want {
			t.Errorf("resolveGateway(%q) = %q, want %q", in, got, want)
		}
	}
}

var _ = time.Second

func TestGatewayHTTPSRedirect(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [shop.com]
    tls: {httpsRedirect: true}
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [shop.com]
    tls: {mode: SIMPLE, credentialName: shop}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: shop, namespace: istio-system}
spec:
  hosts: [shop.com]
  gateways: [gw]
  http: [{route: [{destination: {host: shop.web.svc.cluster.local}}]}]
`)
	tests := []struct {
		name, scheme, authority string
		port                    uint32
		want                    string
	}{
		{"plain HTTP on an httpsRedirect server gets 301 to https, dropping :80", "http", "shop.com:80", 80, "301 https://shop.com/p?q=1"},
		{"https on the TLS server is routed", "https", "shop.com", 443, "route shop.web.svc.cluster.local"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := req("GET", tc.authority, "/p?q=1")
			r.Scheme, r.Port, r.Gateway = tc.scheme, tc.port, "istio-system/gw"
			d := tbl.Decide(r)
			got := fmt.Sprintf("%d %s", d.Status, d.Redirect.Location)
			if d.Action == ActionRoute {
				got = "route " + d.Destination.Host
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMatchGatewaysBindOnlyTheirClauses(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: svc}
spec:
  hosts: [svc.example.com]
  http:
  - match: [{uri: {prefix: /edge}, gateways: [istio-system/ingress]}]
    route: [{destination: {host: edge}}]
  - route: [{destination: {host: inner}}]
`)
	tests := []struct{ name, gateway, path, want string }{
		{"a clause's gateways bind the VirtualService to that gateway", "istio-system/ingress", "/edge", "edge.default.svc.cluster.local"},
		{"on that gateway only the clauses naming it apply", "istio-system/ingress", "/other", ""},
		{"in the mesh the clause naming a gateway does not apply", "mesh", "/edge", "inner.default.svc.cluster.local"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := req("GET", "svc.example.com", tc.path)
			r.Gateway = tc.gateway
			d := tbl.Decide(r)
			got := hostOr(d, "")
			if got != tc.want {
				t.Errorf("got %q (%v), want %q", got, d.Action, tc.want)
			}
		})
	}
}

func TestRegistryHostUnderAWildcardVirtualServiceGetsItsRoutesOnShortForms(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: all, namespace: bookinfo}
spec:
  hosts: ["*.bookinfo.svc.cluster.local"]
  http: [{route: [{destination: {host: catchall}}]}]
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews, namespace: bookinfo}
spec:
  host: reviews
  trafficPolicy: {loadBalancer: {simple: RANDOM}}
`)
	for _, authority := range []string{"reviews", "reviews.bookinfo", "reviews.bookinfo.svc.cluster.local"} {
		r := req("GET", authority, "/")
		r.SourceNamespace = "bookinfo"
		if d := tbl.Decide(r); d.VirtualService.Name != "all" {
			t.Errorf("%s: VirtualService %v (default route %v), want bookinfo/all", authority, d.VirtualService, d.DefaultRoute)
		}
	}
}
