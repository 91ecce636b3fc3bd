package route

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshroute/meshroute/fault"
)

// TestSeedFiles decides one request against each seed example as the
// loader keeps it in testdata/seeds (completed where the seed is a
// fragment), together with the DestinationRule it relies on.
func TestSeedFiles(t *testing.T) {
	type want struct {
		Action  Action
		Host    string
		Subset  string
		Path    string
		Timeout time.Duration
		Retries int
		PerTry  time.Duration
		Fault   *fault.Spec
		Labels  map[string]string
		Default bool
	}
	const reviews, ratings = "reviews.default.svc.cluster.local", "ratings.default.svc.cluster.local"
	v1 := map[string]string{"version": "v1"}
	v2 := map[string]string{"version": "v2"}
	reviewsV2 := map[string]string{"app": "reviews", "version": "v2"}
	tests := []struct {
		name      string
		files     []string
		gateway   string
		authority string
		path      string
		labels    map[string]string
		headers   []string
		want      want
	}{
		{"reviews to v1", []string{"002-01-reviews-v1.yaml", "002-02-reviews-destinationrule.yaml"}, "", "reviews", "/", nil, nil,
			want{Action: ActionRoute, Host: reviews, Subset: "v1", Path: "/", Timeout: 15 * time.Second, Retries: 2, Labels: v1}},
		{"reviews and bookinfo.com share one VirtualService", []string{"002-03-hosts-fragment.yaml"}, "", "bookinfo.com", "/", nil, nil,
			want{Action: ActionRoute, Host: reviews, Path: "/", Timeout: 15 * time.Second, Retries: 2}},
		{"ratings from reviews v2 (no DestinationRule defines v1: 503)", []string{"002-05-ratings-sourcelabels-v2.yaml"}, "", "ratings", "/", reviewsV2, nil,
			want{Action: ActionUnavailable, Host: ratings, Subset: "v1", Path: "/", Timeout: 15 * time.Second, Retries: 2}},
		{"ratings from others get no route", []string{"002-05-ratings-sourcelabels-v2.yaml"}, "", "ratings", "/", map[string]string{"app": "reviews", "version": "v1"}, nil,
			want{Action: ActionNoRoute}},
		{"cookie user=jason goes to v2", []string{"002-06-reviews-cookie-regex.yaml", "002-02-reviews-destinationrule.yaml"}, "", "reviews", "/", nil, []string{"Cookie: user=jason"},
			want{Action: ActionRoute, Host: reviews, Subset: "v2", Path: "/", Timeout: 15 * time.Second, Retries: 2, Labels: v2}},
		{"ratings timeout 10s", []string{"002-10-ratings-timeout.yaml"}, "", "ratings", "/", nil, nil,
			want{Action: ActionUnavailable, Host: ratings, Subset: "v1", Path: "/", Timeout: 10 * time.Second, Retries: 2}},
		{"ratings retries 3 with 2s per try", []string{"002-11-ratings-retries.yaml"}, "", "ratings", "/", nil, nil,
			want{Action: ActionUnavailable, Host: ratings, Subset: "v1", Path: "/", Timeout: 15 * time.Second, Retries: 3, PerTry: 2 * time.Second}},
		{"ratings delay 10%", []string{"002-12-ratings-delay.yaml"}, "", "ratings", "/", nil, nil,
			want{Action: ActionUnavailable, Host: ratings, Subset: "v1", Path: "/", Timeout: 15 * time.Second, Retries: 2,
				Fault: &fault.Spec{Delay: &fault.Delay{Duration: 5 * time.Second, Chance: 100000}}}},
		{"ratings abort 10% with 400", []string{"002-13-ratings-abort.yaml"}, "", "ratings", "/", nil, nil,
			want{Action: ActionUnavailable, Host: ratings, Subset: "v1", Path: "/", Timeout: 15 * time.Second, Retries: 2,
				Fault: &fault.Spec{Abort: &fault.Abort{HTTPStatus: 400, Chance: 100000}}}},
		{"delay every request from reviews v2, abort 10%", []string{"002-14-ratings-delay-and-abort.yaml"}, "", "ratings", "/", reviewsV2, nil,
			want{Action: ActionUnavailable, Host: ratings, Subset: "v1", Path: "/", Timeout: 15 * time.Second, Retries: 2,
				Fault: &fault.Spec{Delay: &fault.Delay{Duration: 5 * time.Second, Chance: fault.Million}, Abort: &fault.Abort{HTTPStatus: 400, Chance: 100000}}}},
		{"header Foo bar has precedence", []string{"002-15-reviews-precedence.yaml", "002-02-reviews-destinationrule.yaml"}, "", "reviews", "/", nil, []string{"foo: bar"},
			want{Action: ActionRoute, Host: reviews, Subset: "v2", Path: "/", Timeout: 15 * time.Second, Retries: 2, Labels: v2}},
		{"no VirtualService: the default route ignores the subset policy", []string{"002-18-reviews-dr-subset-only-policy.yaml"}, "", "reviews", "/", nil, nil,
			want{Action: ActionRoute, Host: reviews, Path: "/", Timeout: 15 * time.Second, Retries: 2, Default: true}},
		{"a route to v1 activates the subset policy", []string{"002-17-reviews-dr-circuit-breaker.yaml", "002-20-reviews-default-route.yaml"}, "", "reviews", "/", nil, nil,
			want{Action: ActionRoute, Host: reviews, Subset: "v1", Path: "/", Timeout: 15 * time.Second, Retries: 2, Labels: v1}},
		{"bar.foo.com has a 10s timeout", []string{"002-22-foo-ext-svc.yaml", "002-23-bar-foo-ext-svc.yaml"}, "", "bar.foo.com", "/", nil, nil,
			want{Action: ActionUnavailable, Host: ratings, Subset: "v1", Path: "/", Timeout: 10 * time.Second, Retries: 2}},
		{"the gateway routes /reviews", []string{"002-24-bookinfo-gateway.yaml", "002-25-bookinfo-vs.yaml"}, "default/bookinfo-gateway", "bookinfo.com", "/reviews", nil, nil,
			want{Action: ActionRoute, Host: reviews, Path: "/reviews", Timeout: 15 * time.Second, Retries: 2}},
		{"catalog prefixes are rewritten to /newcatalog", []string{"001-reviews-route.yaml", "001-reviews-destination.yaml"}, "", "reviews.prod", "/wpcatalog/x", nil, nil,
			want{Action: ActionRoute, Host: "reviews.prod.svc.cluster.local", Subset: "v2", Path: "/newcatalog/x", Timeout: 15 * time.Second, Retries: 2, Labels: v2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var paths []string
			for _, f := range tc.files {
				paths = append(paths, filepath.Join("testdata", "seeds", f))
			}
			cfg, err := LoadPaths(paths)
			if err != nil {
				t.Fatal(err)
			}
			tbl, err := Compile(cfg, WithRand(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			r := req("GET", tc.authority, tc.path, tc.headers...)
			r.SourceLabels = tc.labels
			if tc.gateway != "" {
				r.Gateway = tc.gateway
			}
			d := tbl.Decide(r)
			got := want{Action: d.Action, Host: d.Destination.Host, Subset: d.Destination.Subset, Path: d.Path, Timeout: d.Timeout,
				Retries: d.Retry.Attempts, PerTry: d.Retry.PerTryTimeout, Fault: d.Fault.Spec, Labels: d.Target.SubsetLabels, Default: d.DefaultRoute}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
