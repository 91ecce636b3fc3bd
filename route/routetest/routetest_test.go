package routetest_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/meshroute/meshroute/route"
	"github.com/meshroute/meshroute/route/routetest"
)

// The seeds' header rule: requests with "Foo: bar" go to v2, the rest to v1.
const reviewsYAML = `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - match:
    - headers:
        foo:
          exact: bar
    route:
    - destination:
        host: reviews
        subset: v2
  - route:
    - destination:
        host: reviews
        subset: v1
    timeout: 10s
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
`

func TestExpectPassesOnMatchingDecision(t *testing.T) {
	tbl := routetest.LoadYAML(t, reviewsYAML, route.WithRand(rand.NewPCG(1, 2)))
	routetest.Expect(t, tbl, routetest.Get("http://reviews/", "Foo: bar"), routetest.Want{Action: "route", Host: "reviews", Subset: "v2", Rule: routetest.Int(0)})
	routetest.Expect(t, tbl, routetest.Get("http://reviews:9080/x"), routetest.Want{
		Host: "reviews.default.svc.cluster.local", Subset: "v1", Timeout: "10s", VirtualService: "default/reviews",
	})
}

func TestCheckReportsDiffOfRequestedFieldsOnly(t *testing.T) {
	tbl := routetest.LoadYAML(t, reviewsYAML)
	diff, err := routetest.Check(tbl, routetest.Case{
		Request: routetest.Get("http://reviews/"),
		Want:    routetest.Want{Subset: "v2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !diffLine(diff, "-", "Subset", `"v2"`) || !diffLine(diff, "+", "Subset", `"v1"`) {
		t.Errorf("diff does not show the subset mismatch:\n%s", diff)
	}
	if diffLine(diff, "-", "Host", "") || diffLine(diff, "+", "Host", "") || diffLine(diff, "+", "Timeout", "") {
		t.Errorf("diff mentions fields the Want did not set:\n%s", diff)
	}
}

func TestShortHostMatchesLeadingLabelsOnly(t *testing.T) {
	tbl := routetest.LoadYAML(t, reviewsYAML)
	for _, tc := range []struct {
		host     string
		wantDiff bool
	}{
		{"reviews", false},
		{"reviews.default", false},
		{"reviews.default.svc.cluster.local", false},
		{"review", true},
		{"ratings", true},
	} {
		diff, err := routetest.Check(tbl, routetest.Case{Request: routetest.Get("http://reviews/"), Want: routetest.Want{Host: tc.host}})
		if err != nil {
			t.Fatal(err)
		}
		if (diff != "") != tc.wantDiff {
			t.Errorf("Host %q: diff = %q, want a diff: %v", tc.host, diff, tc.wantDiff)
		}
	}
}

func TestMatchRequestRejectsRelativeURL(t *testing.T) {
	_, err := routetest.Get("/reviews").MatchRequest()
	if err == nil || !strings.Contains(err.Error(), "absolute URL") {
		t.Fatalf("err = %v, want a hint to use an absolute URL", err)
	}
}

func TestMatchRequestDefaultsPortFromScheme(t *testing.T) {
	for _, tc := range []struct {
		url  string
		port uint32
	}{
		{"http://reviews/", 80},
		{"https://reviews/", 443},
		{"http://reviews:9080/", 9080},
	} {
		req, err := routetest.Get(tc.url).MatchRequest()
		if err != nil {
			t.Fatal(err)
		}
		if req.Port != tc.port {
			t.Errorf("%s: port %d, want %d", tc.url, req.Port, tc.port)
		}
	}
}

// diffLine reports whether diff has a line starting with sign (after
// indentation) that names field and contains value.
func diffLine(diff, sign, field, value string) bool {
	for _, l := range strings.Split(diff, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, sign) && strings.Contains(l, field+":") && strings.Contains(l, value) {
			return true
		}
	}
	return false
}

// The DestinationRule a decision applies, with a workload-selected rule
// for the callers labelled app=canary.
func TestWantDestinationRule(t *testing.T) {
	tbl := routetest.LoadYAML(t, reviewsYAML+`---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: reviews-canary}
spec:
  host: reviews
  workloadSelector: {matchLabels: {app: canary}}
  trafficPolicy: {loadBalancer: {simple: RANDOM}}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: other}
spec:
  hosts: [other.example]
  http: [{route: [{destination: {host: other.example}}]}]
`)
	canary := routetest.Get("http://reviews/")
	canary.SourceLabels = map[string]string{"app": "canary"}
	tests := []struct {
		name string
		req  routetest.Request
		want string
	}{
		{"the host's rule", routetest.Get("http://reviews/"), "default/reviews"},
		{"the rule a workload selector picks for the caller", canary, "default/reviews-canary"},
		{"no rule", routetest.Get("http://other.example/"), "none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			routetest.Expect(t, tbl, tc.req, routetest.Want{DestinationRule: tc.want})
			diff, err := routetest.Check(tbl, routetest.Case{Request: tc.req, Want: routetest.Want{DestinationRule: "elsewhere/x"}})
			if err != nil || !diffLine(diff, "+", "DestinationRule", `"`+tc.want+`"`) {
				t.Errorf("a wrong want: diff %q, err %v; want it to show %q", diff, err, tc.want)
			}
		})
	}
}
