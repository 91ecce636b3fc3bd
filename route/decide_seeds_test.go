package route

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/fault"
)

// The seeds' examples (seeds/002, "Rules Configuration", and seeds/001),
// each with the request it is about and the decision it describes.
// Fragments ending in "..." are completed with a route to ratings v1.

// seedReviewsSubsets is the seeds' DestinationRule for reviews: subsets v1
// and v2 by the version label.
const seedReviewsSubsets = `
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`

const seedReviewsV1 = `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
---` + seedReviewsSubsets

const seedRatingsV1 = `
    route:
    - destination: {host: ratings, subset: v1}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: ratings}
spec:
  host: ratings
  subsets:
  - {name: v1, labels: {version: v1}}
`

func seedRatings(match string) string {
	return `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: ratings}
spec:
  hosts: [ratings]
  http:
  - match:
` + match + seedRatingsV1
}

const cookieRegex = `"^(.*?;)?(user=jason)(;.*)?$"`

func TestSeedExamples(t *testing.T) {
	reviewsV2 := map[string]string{"app": "reviews", "version": "v2"}
	reviewsV1 := map[string]string{"app": "reviews", "version": "v1"}
	const ratings = "ratings.default.svc.cluster.local"
	const reviews = "reviews.default.svc.cluster.local"
	tests := []struct {
		name            string
		config          string
		authority, path string
		labels          map[string]string
		headers         []string
		wantHost        string // "" for no route
		subset          string
	}{
		{"send 100% of reviews traffic to v1", seedReviewsV1, "reviews", "/", nil, nil, reviews, "v1"},
		{"sourceLabels restrict to callers from reviews", seedRatings("    - sourceLabels: {app: reviews}\n"), "ratings", "/", reviewsV1, nil, ratings, "v1"},
		{"sourceLabels do not match other callers", seedRatings("    - sourceLabels: {app: reviews}\n"), "ratings", "/", map[string]string{"app": "productpage"}, nil, "", ""},
		{"sourceLabels restrict to reviews v2", seedRatings("    - sourceLabels: {app: reviews, version: v2}\n"), "ratings", "/", reviewsV1, nil, "", ""},
		{"cookie regex containing user=jason matches", seedRatings("    - headers: {cookie: {regex: " + cookieRegex + "}}\n"), "ratings", "/", nil, []string{"Cookie: a=1;user=jason;b=2"}, ratings, "v1"},
		{"cookie regex is a full match and needs user=jason", seedRatings("    - headers: {cookie: {regex: " + cookieRegex + "}}\n"), "ratings", "/", nil, []string{"Cookie: user=jasonx"}, "", ""},
		{"conditions in one match are ANDed: labels without cookie fail", seedRatings("    - sourceLabels: {app: reviews, version: v2}\n      headers: {cookie: {regex: " + cookieRegex + "}}\n"), "ratings", "/", reviewsV2, nil, "", ""},
		{"conditions in one match are ANDed: labels and cookie pass", seedRatings("    - sourceLabels: {app: reviews, version: v2}\n      headers: {cookie: {regex: " + cookieRegex + "}}\n"), "ratings", "/", reviewsV2, []string{"Cookie: user=jason"}, ratings, "v1"},
		{"separate match clauses are ORed: cookie alone passes", seedRatings("    - sourceLabels: {app: reviews, version: v2}\n    - headers: {cookie: {regex: " + cookieRegex + "}}\n"), "ratings", "/", nil, []string{"Cookie: user=jason"}, ratings, "v1"},
		{"separate match clauses are ORed: labels alone pass", seedRatings("    - sourceLabels: {app: reviews, version: v2}\n    - headers: {cookie: {regex: " + cookieRegex + "}}\n"), "ratings", "/", reviewsV2, nil, ratings, "v1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl := compileYAML(t, tc.config)
			r := req("GET", tc.authority, tc.path, tc.headers...)
			r.SourceLabels = tc.labels
			d := tbl.Decide(r)
			got := [2]string{d.Destination.Host, d.Destination.Subset}
			if d.Action == ActionNoRoute {
				got = [2]string{}
			}
			if diff := cmp.Diff([2]string{tc.wantHost, tc.subset}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSeedHeaderPrecedence(t *testing.T) {
	// "all requests for the reviews service that includes a header named
	// Foo with the value bar will be sent to v2; all remaining to v1".
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match:
    - headers:
        Foo: {exact: bar}
    route:
    - destination: {host: reviews, subset: v2}
  - route:
    - destination: {host: reviews, subset: v1}
---`+seedReviewsSubsets)
	for _, tc := range []struct{ name, header, want string }{
		{"header Foo: bar goes to v2", "foo: bar", "v2"},
		{"other requests go to v1", "foo: baz", "v1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tbl.Decide(req("GET", "reviews", "/", tc.header)).Destination.Subset; got != tc.want {
				t.Errorf("subset %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSeedSplit75to25(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 75
    - destination: {host: reviews, subset: v2}
      weight: 25
`)
	n := map[string]int{}
	for i := 0; i < 4000; i++ {
		n[tbl.Decide(req("GET", "reviews", "/")).Destination.Subset]++
	}
	if abs(n["v1"]-3000) > 150 || abs(n["v2"]-1000) > 150 {
		t.Errorf("75/25 split drew %v of 4000", n)
	}
}

func TestSeedTimeoutsAndRetries(t *testing.T) {
	tests := []struct {
		name     string
		extra    string
		timeout  time.Duration
		attempts int
		perTry   time.Duration
	}{
		{"by default the timeout for http requests is 15 seconds", "", 15 * time.Second, 2, 0},
		{"a route rule overrides the timeout", "    timeout: 10s\n", 10 * time.Second, 2, 0},
		{"a route rule sets retries", "    retries: {attempts: 3, perTryTimeout: 2s}\n", 15 * time.Second, 3, 2 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: ratings}
spec:
  hosts: [ratings]
  http:
  - route:
    - destination: {host: ratings, subset: v1}
`+tc.extra+`---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: ratings}
spec:
  host: ratings
  subsets: [{name: v1, labels: {version: v1}}]
`)
			d := tbl.Decide(req("GET", "ratings", "/"))
			got := []any{d.Timeout, d.Retry.Attempts, d.Retry.PerTryTimeout}
			if diff := cmp.Diff([]any{tc.timeout, tc.attempts, tc.perTry}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSeedTimeoutsCanBeOverriddenPerRequest(t *testing.T) {
	tbl := compileYAML(t, seedRatings("    - uri: {prefix: /}\n"))
	d := tbl.Decide(req("GET", "ratings", "/", "x-envoy-upstream-rq-timeout-ms: 1500"))
	if d.Timeout != 1500*time.Millisecond || d.TimeoutSource != TimeoutHeader {
		t.Errorf("timeout %v from %v, want 1.5s from the header", d.Timeout, d.TimeoutSource)
	}
}

func TestSeedFaults(t *testing.T) {
	route := "    route:\n    - destination: {host: ratings, subset: v1}\n"
	tests := []struct {
		name   string
		rule   string
		labels map[string]string
		want   *fault.Spec
	}{
		{"delay 5s for 10% of requests", "  - fault: {delay: {percent: 10, fixedDelay: 5s}}\n" + route, nil,
			&fault.Spec{Delay: &fault.Delay{Duration: 5 * time.Second, Chance: 100000}}},
		{"abort with 400 for 10% of requests (legacy abort.percent)", "  - fault: {abort: {percent: 10, httpStatus: 400}}\n" + route, nil,
			&fault.Spec{Abort: &fault.Abort{HTTPStatus: 400, Chance: 100000}}},
		{"delay all requests from reviews v2 and abort 10% of them", "  - match: [{sourceLabels: {app: reviews, version: v2}}]\n    fault: {delay: {fixedDelay: 5s}, abort: {percent: 10, httpStatus: 400}}\n" + route,
			map[string]string{"app": "reviews", "version": "v2"},
			&fault.Spec{Delay: &fault.Delay{Duration: 5 * time.Second, Chance: fault.Million}, Abort: &fault.Abort{HTTPStatus: 400, Chance: 100000}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: ratings}
spec:
  hosts: [ratings]
  http:
`+tc.rule)
			r := req("GET", "ratings", "/")
			r.SourceLabels = tc.labels
			if diff := cmp.Diff(tc.want, tbl.Decide(r).Fault.Spec); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

const seedReviewsDR = `
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer: {simple: RANDOM}
  subsets:
  - {name: v1, labels: {version: v1}}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      loadBalancer: {simple: ROUND_ROBIN}
  - {name: v3, labels: {version: v3}}
`

func TestSeedDestinationRulePolicies(t *testing.T) {
	simple := func(s networking.LoadBalancerSettings_SimpleLB) *networking.TrafficPolicy {
		return &networking.TrafficPolicy{LoadBalancer: &networking.LoadBalancerSettings{LbPolicy: &networking.LoadBalancerSettings_Simple{Simple: s}}}
	}
	maxConn := &networking.TrafficPolicy{ConnectionPool: &networking.ConnectionPoolSettings{Tcp: &networking.ConnectionPoolSettings_TCPSettings{MaxConnections: 100}}}
	subsetOnly := `
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy:
      connectionPool: {tcp: {maxConnections: 100}}
`
	vsV1 := `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
---
`
	tests := []struct {
		name   string
		config string
		want   *networking.TrafficPolicy
		defRt  bool
	}{
		{"the default policy applies to v1", vsV1 + seedReviewsDR, simple(networking.LoadBalancerSettings_RANDOM), false},
		{"v2's own policy applies when v2 is routed to", "apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata: {name: reviews}\nspec:\n  hosts: [reviews]\n  http:\n  - route: [{destination: {host: reviews, subset: v2}}]\n---\n" + seedReviewsDR, simple(networking.LoadBalancerSettings_ROUND_ROBIN), false},
		{"a subset policy is never applied without a route to the subset", subsetOnly, nil, true},
		{"moving the policy up a level applies it to any version", "apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata: {name: reviews}\nspec:\n  host: reviews\n  trafficPolicy: {connectionPool: {tcp: {maxConnections: 100}}}\n  subsets: [{name: v1, labels: {version: v1}}]\n", maxConn, true},
		{"a route rule for reviews v1 activates the subset policy", vsV1 + subsetOnly, maxConn, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := compileYAML(t, tc.config).Decide(req("GET", "reviews", "/"))
			if diff := cmp.Diff(tc.want, d.TrafficPolicy(), protocmp.Transform()); diff != "" {
				t.Errorf("policy (-want +got):\n%s", diff)
			}
			if d.DefaultRoute != tc.defRt {
				t.Errorf("DefaultRoute = %v, want %v", d.DefaultRoute, tc.defRt)
			}
		})
	}
}

func TestSeedServiceEntryAndExternalTimeout(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: foo-ext-svc}
spec:
  hosts: ["*.foo.com"]
  ports:
  - {number: 80, name: http, protocol: HTTP}
  - {number: 443, name: https, protocol: HTTPS}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: bar-foo-ext-svc}
spec:
  hosts: [bar.foo.com]
  http:
  - route:
    - destination: {host: ratings, subset: v1}
    timeout: 10s
`)
	tests := []struct {
		name, authority string
		want            outcome
	}{
		{"bar.foo.com gets its VirtualService's 10s timeout", "bar.foo.com",
			outcome{Action: ActionRoute, VS: "default/bar-foo-ext-svc", Match: -1, Host: "ratings.default.svc.cluster.local", Subset: "v1", Port: 80,
				Path: "/", Authority: "bar.foo.com", Timeout: 10 * time.Second, TimeoutSource: TimeoutRoute, Retries: 2, RetryDefault: true,
				Reason: `no healthy upstream: subset "v1" of ratings.default.svc.cluster.local is not defined by any DestinationRule`, Status: 503}},
		{"other hosts under *.foo.com take the ServiceEntry's default route", "baz.foo.com",
			outcome{Action: ActionRoute, Rule: -1, Match: -1, Host: "*.foo.com", Port: 80, Path: "/", Authority: "baz.foo.com",
				Timeout: SeedsDefaultTimeout, TimeoutSource: TimeoutDefault, Retries: 2, RetryDefault: true, DefaultRoute: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := req("GET", tc.authority, "/")
			r.Port = 80
			want := tc.want
			if want.Status == 503 {
				want.Action = ActionUnavailable
			}
			if diff := cmp.Diff(want, summarize(tbl.Decide(r))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSeedGateway(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: {name: bookinfo-gateway}
spec:
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [bookinfo.com]
    tls: {mode: SIMPLE, serverCertificate: /tmp/tls.crt, privateKey: /tmp/tls.key}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: bookinfo}
spec:
  hosts: [bookinfo.com]
  gateways: [bookinfo-gateway]
  http:
  - match:
    - uri: {prefix: /reviews}
    route:
    - destination: {host: reviews}
`)
	tests := []struct {
		name, gateway, path, want string
	}{
		{"the gateway routes /reviews of bookinfo.com", "default/bookinfo-gateway", "/reviews/1", "reviews.default.svc.cluster.local"},
		{"other paths on the gateway get no route", "default/bookinfo-gateway", "/other", ""},
		{"the gateway-bound VirtualService is not applied in the mesh", "mesh", "/reviews/1", "bookinfo.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := req("GET", "bookinfo.com", tc.path)
			r.Scheme, r.Port, r.Gateway = "https", 443, tc.gateway
			d := tbl.Decide(r)
			got := hostOr(d, "")
			if got != tc.want {
				t.Errorf("got %q (%v), want %q", got, d.Action, tc.want)
			}
		})
	}
}

func TestSeedCatalogRewrite(t *testing.T) {
	// seeds/001 with its empty hosts completed as reviews.prod.
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: reviews-route, namespace: prod}
spec:
  hosts: [reviews.prod.svc.cluster.local]
  http:
  - name: reviews-v2-routes
    match:
    - uri: {prefix: /wpcatalog}
    - uri: {prefix: /consumercatalog}
    rewrite: {uri: /newcatalog}
    route:
    - destination: {host: reviews.prod.svc.cluster.local, subset: v2}
  - name: reviews-v1-route
    route:
    - destination: {host: reviews.prod.svc.cluster.local, subset: v1}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews-destination, namespace: prod}
spec:
  host: reviews.prod.svc.cluster.local
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`)
	tests := []struct{ name, path, wantPath, subset, rule, matchName string }{
		{"first clause rewrites its prefix", "/wpcatalog/item", "/newcatalog/item", "v2", "reviews-v2-routes", ""},
		{"second clause rewrites its own prefix", "/consumercatalog?id=1", "/newcatalog?id=1", "v2", "reviews-v2-routes", ""},
		{"everything else goes to v1 unchanged", "/other", "/other", "v1", "reviews-v1-route", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := req("GET", "reviews.prod:9080", tc.path)
			d := tbl.Decide(r)
			got := []string{d.Path, d.Destination.Subset, d.Rule.Name}
			if diff := cmp.Diff([]string{tc.wantPath, tc.subset, tc.rule}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if lbl := d.Target.SubsetLabels["version"]; lbl != tc.subset {
				t.Errorf("subset labels %v", d.Target.SubsetLabels)
			}
		})
	}
}
