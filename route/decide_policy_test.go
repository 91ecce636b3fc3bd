package route

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/testing/protocmp"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/fault"
)

func TestTimeout(t *testing.T) {
	const plain = "  - route: [{destination: {host: svc}}]\n"
	tests := []struct {
		name    string
		rule    string
		opts    []Option
		headers []string
		want    time.Duration
		source  TimeoutSource
	}{
		{"unset timeout is the seeds' 15s", plain, nil, nil, 15 * time.Second, TimeoutDefault},
		{"IstioSemantics has no default timeout", plain, []Option{IstioSemantics()}, nil, 0, TimeoutNone},
		{"WithDefaultTimeout sets the default", plain, []Option{WithDefaultTimeout(3 * time.Second)}, nil, 3 * time.Second, TimeoutDefault},
		{"route timeout wins", "  - route: [{destination: {host: svc}}]\n    timeout: 2s\n", nil, nil, 2 * time.Second, TimeoutRoute},
		{"upgrade requests never get the default timeout", plain, nil, []string{"Connection: keep-alive, Upgrade", "Upgrade: websocket"}, 0, TimeoutNone},
		{"an Upgrade header without the connection token is no upgrade (Envoy isUpgrade)", plain, nil, []string{"Upgrade: websocket"}, 15 * time.Second, TimeoutDefault},
		{"a connection upgrade token without an Upgrade header is no upgrade", plain, nil, []string{"Connection: upgrade"}, 15 * time.Second, TimeoutDefault},
		{"the connection token must be whole (upgraded is another token)", plain, nil, []string{"Connection: upgraded", "Upgrade: websocket"}, 15 * time.Second, TimeoutDefault},
		{"the connection token is matched in any case, among spaces", plain, nil, []string{"Connection: close ,\tUPGRADE ", "Upgrade: h2c"}, 0, TimeoutNone},
		{"upgrade requests keep a route timeout", "  - route: [{destination: {host: svc}}]\n    timeout: 2s\n", nil, []string{"Upgrade: websocket"}, 2 * time.Second, TimeoutRoute},
		{"x-envoy-upstream-rq-timeout-ms overrides the route timeout", "  - route: [{destination: {host: svc}}]\n    timeout: 2s\n", nil, []string{"x-envoy-upstream-rq-timeout-ms: 250"}, 250 * time.Millisecond, TimeoutHeader},
		{"x-envoy-upstream-rq-timeout-ms 0 disables the timeout", plain, nil, []string{"x-envoy-upstream-rq-timeout-ms: 0"}, 0, TimeoutNone},
		{"a malformed override header is ignored", plain, nil, []string{"x-envoy-upstream-rq-timeout-ms: soon"}, 15 * time.Second, TimeoutDefault},
		{"WithPerRequestOverrides(false) ignores the header", plain, []Option{WithPerRequestOverrides(false)}, []string{"x-envoy-upstream-rq-timeout-ms: 250"}, 15 * time.Second, TimeoutDefault},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := oneRule(t, tc.rule, tc.opts...).Decide(req("GET", "svc", "/", tc.headers...))
			got := [2]any{d.Timeout, d.TimeoutSource}
			if diff := cmp.Diff([2]any{tc.want, tc.source}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRetries(t *testing.T) {
	def := Retry{Attempts: 2, On: RetryConnectFailure | RetryRefusedStream | RetryUnavailable | RetryCancelled,
		Backoff: 25 * time.Millisecond, MaxBackoff: 250 * time.Millisecond, IgnorePreviousHosts: true, FromDefault: true,
		RetryOnText: "connect-failure,refused-stream,unavailable,cancelled"}
	tests := []struct {
		name    string
		retries string
		opts    []Option
		headers []string
		want    Retry
	}{
		{"unset retries get today's Istio default", "", nil, nil, def},
		{"WithDefaultRetries(false) turns the default off", "", []Option{WithDefaultRetries(false)}, nil, Retry{}},
		{"attempts 0 disables retries", "{attempts: 0}", nil, nil, Retry{}},
		{"retryOn tokens and numeric codes parse into a set and status codes", `{attempts: 3, perTryTimeout: 2s, retryOn: "5xx,503,reset"}`, nil, nil,
			Retry{Attempts: 3, PerTryTimeout: 2 * time.Second, On: Retry5xx | RetryReset | RetryRetriableStatusCodes, StatusCodes: []int{503},
				Backoff: 25 * time.Millisecond, MaxBackoff: 250 * time.Millisecond, IgnorePreviousHosts: true, RetryOnText: "5xx,503,reset"}},
		{"empty retryOn uses Istio's default conditions", `{attempts: 1}`, nil, nil,
			Retry{Attempts: 1, On: RetryConnectFailure | RetryRefusedStream | RetryUnavailable | RetryCancelled | RetryRetriableStatusCodes,
				Backoff: 25 * time.Millisecond, MaxBackoff: 250 * time.Millisecond, IgnorePreviousHosts: true, RetryOnText: retryOnWhenEmpty}},
		{"backoff sets the base and 10x the cap; previous hosts can be kept", `{attempts: 1, retryOn: reset, backoff: 100ms, retryIgnorePreviousHosts: false, retryRemoteLocalities: true}`, nil, nil,
			Retry{Attempts: 1, On: RetryReset, Backoff: 100 * time.Millisecond, MaxBackoff: time.Second, RetryRemoteLocalities: true, RetryOnText: "reset"}},
		{"x-envoy-max-retries and per-try timeout headers override", `{attempts: 3, retryOn: reset}`, nil, []string{"x-envoy-max-retries: 5", "x-envoy-upstream-rq-per-try-timeout-ms: 100"},
			Retry{Attempts: 5, PerTryTimeout: 100 * time.Millisecond, On: RetryReset, Backoff: 25 * time.Millisecond, MaxBackoff: 250 * time.Millisecond, IgnorePreviousHosts: true, RetryOnText: "reset"}},
		{"x-envoy-max-retries does not create a policy", `{attempts: 0}`, nil, []string{"x-envoy-max-retries: 5"}, Retry{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rule := "  - route: [{destination: {host: svc}}]\n"
			if tc.retries != "" {
				rule += "    retries: " + tc.retries + "\n"
			}
			d := oneRule(t, rule, tc.opts...).Decide(req("GET", "svc", "/", tc.headers...))
			if diff := cmp.Diff(tc.want, d.Retry, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRetryKeepsPreviousHostsWithConsistentHash(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: svc}
spec:
  hosts: [svc]
  http:
  - route: [{destination: {host: svc}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: svc}
spec:
  host: svc
  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}
`)
	if d := tbl.Decide(req("GET", "svc", "/")); d.Retry.IgnorePreviousHosts {
		t.Errorf("default retry with consistent hash: IgnorePreviousHosts = true, want false")
	}
}

func TestHeaderOperations(t *testing.T) {
	tests := []struct {
		name     string
		rule     string
		in       map[string][]string
		wantOut  map[string][]string
		wantResp []HeaderValue
	}{
		{"removals run first, then set, then add; empty values are dropped",
			"  - headers: {request: {remove: [x-a], set: {x-a: '1', x-empty: ''}, add: {x-b: '2'}}}\n    route: [{destination: {host: svc}}]\n",
			map[string][]string{"X-A": {"0"}, "X-B": {"1"}, "X-Empty": {"keep"}},
			map[string][]string{"X-A": {"1"}, "X-B": {"1", "2"}, "X-Empty": {"keep"}}, nil},
		{"single destination: the destination's set wins over the route's",
			"  - headers: {request: {set: {x-v: route}}}\n    route: [{destination: {host: svc}, headers: {request: {set: {x-v: dest}}}}]\n",
			map[string][]string{}, map[string][]string{"X-V": {"dest"}}, nil},
		{"weighted destinations: the route's set wins over the destination's",
			"  - headers: {request: {set: {x-v: route}}}\n    route: [{destination: {host: svc}, weight: 1, headers: {request: {set: {x-v: dest}}}}, {destination: {host: svc}, weight: 1, headers: {request: {set: {x-v: dest}}}}]\n",
			map[string][]string{}, map[string][]string{"X-V": {"route"}}, nil},
		{"weighted destinations: a route-level remove deletes what the destination set",
			"  - headers: {request: {remove: [x-v]}}\n    route: [{destination: {host: svc}, weight: 1, headers: {request: {set: {x-v: dest}}}}, {destination: {host: svc}, weight: 1, headers: {request: {set: {x-v: dest}}}}]\n",
			map[string][]string{}, map[string][]string{}, nil},
		{"single destination: a route-level remove does not delete what the destination set",
			"  - headers: {request: {remove: [x-v]}}\n    route: [{destination: {host: svc}, headers: {request: {set: {x-v: dest}}}}]\n",
			map[string][]string{}, map[string][]string{"X-V": {"dest"}}, nil},
		{"response operations are compiled in canonical form, set sorted by name",
			"  - headers: {response: {set: {x-z: '1', x-a: '2'}}}\n    route: [{destination: {host: svc}}]\n",
			map[string][]string{}, map[string][]string{}, []HeaderValue{{Name: "X-A", Value: "2"}, {Name: "X-Z", Value: "1"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := oneRule(t, tc.rule).Decide(req("GET", "svc", "/"))
			hdr := map[string][]string{}
			for k, v := range tc.in {
				hdr[k] = append([]string(nil), v...)
			}
			d.RequestHeaders.Apply(hdr)
			if diff := cmp.Diff(tc.wantOut, hdr); diff != "" {
				t.Errorf("request headers (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantResp, d.ResponseHeaders.Set()); diff != "" {
				t.Errorf("response set (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFaultSampling(t *testing.T) {
	tests := []struct {
		name        string
		fault       string
		opts        []Option
		wantDelayed int // out of 1000, ±60
		wantAborted int
	}{
		{"delay and abort are sampled independently", "{delay: {fixedDelay: 1s, percentage: {value: 50}}, abort: {httpStatus: 503, percentage: {value: 50}}}", nil, 500, 500},
		{"no percentage means every request, as in the seeds", "{delay: {fixedDelay: 5s}}", nil, 1000, 0},
		{"no percentage never fires under IstioSemantics", "{delay: {fixedDelay: 5s}}", []Option{IstioSemantics()}, 0, 0},
		{"the legacy integer delay percent is honoured", "{delay: {fixedDelay: 5s, percent: 10}}", nil, 100, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl := oneRule(t, "  - fault: "+tc.fault+"\n    route: [{destination: {host: svc}}]\n", tc.opts...)
			delayed, aborted, both := 0, 0, 0
			for i := 0; i < 1000; i++ {
				f := tbl.Decide(req("GET", "svc", "/")).Fault
				if f.Delayed {
					delayed++
				}
				if f.Aborted {
					aborted++
				}
				if f.Delayed && f.Aborted {
					both++
				}
			}
			if abs(delayed-tc.wantDelayed) > 60 || abs(aborted-tc.wantAborted) > 60 {
				t.Errorf("delayed %d aborted %d of 1000, want about %d and %d", delayed, aborted, tc.wantDelayed, tc.wantAborted)
			}
			if tc.wantDelayed == 500 && tc.wantAborted == 500 && abs(both-250) > 60 {
				t.Errorf("both %d of 1000, want about 250 (independent draws)", both)
			}
		})
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestMirrors(t *testing.T) {
	tests := []struct {
		name   string
		rule   string
		opts   []Option
		want   []Destination
		chance []fault.PerMillion
	}{
		{"mirror without percentage mirrors everything", "    mirror: {host: shadow}\n", nil,
			[]Destination{{Host: "shadow.default.svc.cluster.local"}}, []fault.PerMillion{fault.Million}},
		{"mirrorPercentage 0 disables the mirror", "    mirror: {host: shadow}\n    mirrorPercentage: {value: 0}\n", nil, nil, nil},
		{"mirrors are each kept with their percentage", "    mirrors: [{destination: {host: a, port: {number: 81}}, percentage: {value: 25}}, {destination: {host: b}}]\n", nil,
			[]Destination{{Host: "a.default.svc.cluster.local", Port: 81}, {Host: "b.default.svc.cluster.local"}}, []fault.PerMillion{250000, fault.Million}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := oneRule(t, "  - route: [{destination: {host: svc}}]\n"+tc.rule, tc.opts...).Decide(req("GET", "svc", "/"))
			var got []Destination
			var chance []fault.PerMillion
			for _, m := range d.Mirrors.Configured() {
				got = append(got, m.Destination)
				chance = append(chance, m.Chance)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("mirrors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.chance, chance); diff != "" {
				t.Errorf("chances (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMirrorSampling(t *testing.T) {
	tbl := oneRule(t, "  - route: [{destination: {host: svc}}]\n    mirrors: [{destination: {host: a}, percentage: {value: 30}}, {destination: {host: b}}]\n")
	n := 0
	for i := 0; i < 1000; i++ {
		ms := tbl.Decide(req("GET", "svc", "/")).Mirrors
		if ms.Len() == 2 {
			n++
		}
	}
	if abs(n-300) > 60 {
		t.Errorf("a 30%% mirror was selected %d times of 1000", n)
	}
}

func TestShadowSuffixOption(t *testing.T) {
	d := oneRule(t, "  - route: [{destination: {host: svc}}]\n    mirror: {host: shadow}\n", WithShadowSuffix(true)).Decide(req("GET", "svc", "/"))
	if !d.Mirrors.Configured()[0].ShadowSuffix {
		t.Error("WithShadowSuffix(true): mirror has ShadowSuffix false")
	}
	if got := ShadowAuthority("reviews:9080"); got != "reviews-shadow:9080" {
		t.Errorf("ShadowAuthority = %q", got)
	}
}

func TestCORSPolicyIsCompiled(t *testing.T) {
	d := oneRule(t, `  - route: [{destination: {host: svc}}]
    corsPolicy:
      allowOrigins: [{exact: "https://a.com"}, {regex: "https://.*\\.b\\.com"}]
      allowMethods: [GET, POST]
      allowHeaders: [x-a]
      exposeHeaders: [x-b, x-c]
      maxAge: 24h
      allowCredentials: true
`).Decide(req("GET", "svc", "/"))
	c := d.CORS
	if c == nil {
		t.Fatal("no CORS policy")
	}
	got := []any{c.AllowMethods, c.AllowHeaders, c.ExposeHeaders, c.MaxAge, c.AllowCredentials,
		c.AllowsOrigin("https://a.com"), c.AllowsOrigin("https://x.b.com"), c.AllowsOrigin("https://evil.com")}
	want := []any{"GET,POST", "x-a", "x-b,x-c", "86400", true, true, true, false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

const drConfig = `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: reviews, namespace: bookinfo}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {x-s: {exact: v1}}}]
    route: [{destination: {host: reviews, subset: v1}}]
  - match: [{headers: {x-s: {exact: v3}}}]
    route: [{destination: {host: reviews, subset: v3}}]
  - match: [{headers: {x-s: {exact: p}}}]
    route: [{destination: {host: reviews, subset: v1, port: {number: 9080}}}]
  - route: [{destination: {host: reviews}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews, namespace: bookinfo}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer: {simple: RANDOM}
    connectionPool: {tcp: {maxConnections: 7}}
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy:
      connectionPool: {http: {maxRetries: 3}}
      portLevelSettings:
      - port: {number: 9080}
        loadBalancer: {simple: LEAST_REQUEST}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews-local, namespace: client}
spec:
  host: reviews.bookinfo.svc.cluster.local
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: mesh-default, namespace: istio-system}
spec:
  host: "*.svc.cluster.local"
  trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}
`

func TestDestinationRulePolicy(t *testing.T) {
	tbl := compileYAML(t, drConfig)
	lb := func(s networking.LoadBalancerSettings_SimpleLB) *networking.LoadBalancerSettings {
		return &networking.LoadBalancerSettings{LbPolicy: &networking.LoadBalancerSettings_Simple{Simple: s}}
	}
	tcp7 := &networking.ConnectionPoolSettings{Tcp: &networking.ConnectionPoolSettings_TCPSettings{MaxConnections: 7}}
	retries3 := &networking.ConnectionPoolSettings{Http: &networking.ConnectionPoolSettings_HTTPSettings{MaxRetries: 3}}
	tests := []struct {
		name       string
		ns, header string
		wantDR     string
		wantLabels map[string]string
		want       *networking.TrafficPolicy
	}{
		{"no subset uses the top-level policy only", "bookinfo", "", "bookinfo/reviews", nil,
			&networking.TrafficPolicy{LoadBalancer: lb(networking.LoadBalancerSettings_RANDOM), ConnectionPool: tcp7}},
		{"a routed subset's block replaces the whole top-level block", "bookinfo", "v1", "bookinfo/reviews", map[string]string{"version": "v1"},
			&networking.TrafficPolicy{LoadBalancer: lb(networking.LoadBalancerSettings_RANDOM), ConnectionPool: retries3}},
		{"a subset port-level entry replaces all four blocks", "bookinfo", "p", "bookinfo/reviews", map[string]string{"version": "v1"},
			&networking.TrafficPolicy{LoadBalancer: lb(networking.LoadBalancerSettings_LEAST_REQUEST)}},
		{"the caller's namespace rule comes first", "client", "", "client/reviews-local", nil,
			&networking.TrafficPolicy{LoadBalancer: lb(networking.LoadBalancerSettings_ROUND_ROBIN)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hs []string
			if tc.header != "" {
				hs = []string{"x-s: " + tc.header}
			}
			r := req("GET", "reviews.bookinfo", "/", hs...)
			r.SourceNamespace = tc.ns
			d := tbl.Decide(r)
			if got := d.DestinationRule.Namespace + "/" + d.DestinationRule.Name; got != tc.wantDR {
				t.Errorf("DestinationRule %s, want %s", got, tc.wantDR)
			}
			if diff := cmp.Diff(tc.wantLabels, d.Target.SubsetLabels); diff != "" {
				t.Errorf("subset labels (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, d.TrafficPolicy(), protocmp.Transform()); diff != "" {
				t.Errorf("policy (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRootNamespaceDestinationRuleIsTheLastResort(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: details, namespace: shop}
spec:
  hosts: [details]
  http: [{route: [{destination: {host: details}}]}]
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: mesh-default, namespace: istio-system}
spec:
  host: "*.svc.cluster.local"
  trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}
`)
	r := req("GET", "details.shop", "/")
	if got := tbl.Decide(r).DestinationRule; got != (ObjectRef{Kind: KindDestinationRule, Namespace: "istio-system", Name: "mesh-default"}) {
		t.Errorf("got %v", got)
	}
}

func TestUndefinedSubsetIs503(t *testing.T) {
	tbl := compileYAML(t, drConfig)
	r := req("GET", "reviews.bookinfo", "/", "x-s: v3")
	d := tbl.Decide(r)
	got := []any{d.Action, d.Status, d.Reason}
	want := []any{ActionUnavailable, 503, `no healthy upstream: subset "v3" of reviews.bookinfo.svc.cluster.local is not defined by any DestinationRule`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestWildcardDestinationRuleCreatesNoService(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: mesh-default, namespace: istio-system}
spec:
  host: "*.svc.cluster.local"
  trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}
`)
	d := tbl.Decide(req("GET", "foo.bar.svc.cluster.local", "/"))
	if !d.Passthrough || d.DefaultRoute {
		t.Errorf("got DefaultRoute=%v Passthrough=%v host %q, want a passthrough", d.DefaultRoute, d.Passthrough, d.Destination.Host)
	}
}

func TestCompileKeepsWarningsAndRefusesErrors(t *testing.T) {
	cfg, err := LoadBytes([]byte(`
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: ratings}
spec:
  hosts: [ratings]
  http:
  - fault: {abort: {percent: 10, httpStatus: 400}}
    route: [{destination: {host: ratings}}]
`), "w.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := Compile(cfg)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if len(tbl.Warnings()) == 0 {
		t.Error("the deprecated abort.percent warning was not kept")
	}
	bad, err := LoadBytes([]byte(`
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: bad}
spec:
  hosts: [bad]
  http:
  - match: [{uri: {regex: "(unclosed"}}]
    route: [{destination: {host: bad}}]
`), "bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(bad)
	var ps Problems
	if !errors.As(err, &ps) || len(ps.Errors()) == 0 || !strings.Contains(err.Error(), "spec.http[0].match[0].uri") {
		t.Errorf("Compile error %v, want Problems naming spec.http[0].match[0].uri", err)
	}
}

func TestMirrorWithoutPortTakesTheRequestPort(t *testing.T) {
	tbl := oneRule(t, "  - route: [{destination: {host: svc}}]\n    mirror: {host: shadow}\n")
	var got []Destination
	tbl.Decide(req("GET", "svc:8080", "/")).Mirrors.Each(func(m Mirror) { got = append(got, m.Destination) })
	if diff := cmp.Diff([]Destination{{Host: "shadow.default.svc.cluster.local", Port: 8080}}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Two callers whose DestinationRules for a host carry the same name but
// merge differently (a later rule is exported to one of them only)
// resolve the host's subsets each by their own merge.
func TestCallersMergingDifferentlyKeepTheirOwnTargets(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews.shop.svc.cluster.local]
  http: [{route: [{destination: {host: reviews.shop.svc.cluster.local, subset: v2, port: {number: 9080}}}]}]
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
metadata: {name: reviews-v2, namespace: shop, creationTimestamp: "2024-01-02T00:00:00Z"}
spec:
  host: reviews
  exportTo: ["."]
  subsets: [{name: v2, labels: {version: v2}}]
`)
	tests := []struct {
		name, ns string
		want     Action
	}{
		{"the namespace that sees both rules has subset v2", "shop", ActionRoute},
		{"a namespace that sees only the first has none", "another", ActionUnavailable},
		{"nor has one that sorts before it", "aaa", ActionUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := req("GET", "reviews.shop.svc.cluster.local", "/")
			r.SourceNamespace = tc.ns
			if d := tbl.Decide(r); d.Action != tc.want || d.DestinationRule.Name != "reviews" {
				t.Errorf("%v under %v, want %v under shop/reviews", d.Action, d.DestinationRule, tc.want)
			}
		})
	}
}

// A mirror to a subset no DestinationRule defines names a cluster Envoy
// does not have: nothing is mirrored (virtualservice.md §4, §11). Sent
// with the subset's missing labels, it would reach the whole service.
func TestMirrorToAnUndefinedSubsetMirrorsNothing(t *testing.T) {
	tbl := oneRule(t, "  - route: [{destination: {host: svc}}]\n    mirrors: [{destination: {host: shadow, subset: v9}}, {destination: {host: shadow}}]\n")
	d := tbl.Decide(req("GET", "svc", "/"))
	var sent []Destination
	d.Mirrors.Each(func(m Mirror) { sent = append(sent, m.Destination) })
	want := []Destination{{Host: "shadow.default.svc.cluster.local"}}
	if diff := cmp.Diff(want, sent); diff != "" {
		t.Errorf("mirrors sent (-want +got):\n%s", diff)
	}
	if got := [2]int{d.Mirrors.Len(), len(d.Mirrors.Configured())}; got != [2]int{1, 2} {
		t.Errorf("[Len, configured] = %v, want [1 2]", got)
	}
}
