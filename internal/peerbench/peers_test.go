package peerbench

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshroute/meshroute/internal/routebench"
)

func TestWhatEachRouterCannotExpress(t *testing.T) {
	tests := []struct {
		name     string
		workload routebench.Workload
		want     map[string]string // router → Why
	}{
		{"one host: only gorilla/mux matches headers; chi and gorilla/mux take segment regexes", routebench.Routes(100),
			map[string]string{
				"meshroute":   "",
				"chi":         "9 rules: no header conditions",
				"gorilla/mux": "",
				"httprouter":  "9 rules: no header conditions; 1 rule: no regex parameters",
				"servemux":    "9 rules: no header conditions; 1 rule: no regexes ({name} matches any segment)",
			}},
		{"many hosts: chi and httprouter have no host routing, servemux no wildcard hosts", routebench.Hosts(100),
			map[string]string{
				"meshroute":   "",
				"chi":         "300 rules: no host routing",
				"gorilla/mux": "",
				"httprouter":  "300 rules: no host routing",
				"servemux":    "75 rules: no wildcard hosts",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]string{}
			for _, c := range Plan(tt.workload, Routers) {
				got[c.Router.Name] = c.Why()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Why per router (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCannot(t *testing.T) {
	rule := func(kind routebench.PathKind, path string) routebench.Rule {
		return routebench.Rule{Host: "a.example.com", PathKind: kind, Path: path}
	}
	tests := []struct {
		name   string
		router Router
		rule   routebench.Rule
		multi  bool
		want   string
	}{
		{"chi takes a one-segment class regex", Chi, rule(routebench.Regex, "/re/r1/[0-9]+"), false, ""},
		{"chi refuses a regex that could span segments", Chi, rule(routebench.Regex, "/re/.+"), false,
			"regex other than <literal>/<class>+"},
		{"chi refuses a regex class that admits a slash", Chi, rule(routebench.Regex, "/re/[a/]+"), false,
			"regex other than <literal>/<class>+"},
		{"chi refuses a prefix without a trailing slash", Chi, rule(routebench.Prefix, "/static"), false,
			"prefix without a trailing /"},
		{"gorilla/mux takes a suffix wildcard host", GorillaMux,
			routebench.Rule{Host: "*.w.example.com", PathKind: routebench.Prefix, Path: "/"}, true, ""},
		{"gorilla/mux takes a prefix without a trailing slash", GorillaMux, rule(routebench.Prefix, "/static"), false, ""},
		{"httprouter refuses a path with its parameter syntax", HTTPRouter, rule(routebench.Exact, "/a/:b"), false,
			"path contains pattern syntax"},
		{"servemux refuses GET, which it also matches for HEAD", ServeMux,
			routebench.Rule{Method: "GET", PathKind: routebench.Exact, Path: "/a"}, false, "GET also matches HEAD"},
		{"servemux takes POST", ServeMux,
			routebench.Rule{Method: "POST", PathKind: routebench.Exact, Path: "/a"}, false, ""},
		{"servemux takes an exact host on a many-host table", ServeMux,
			routebench.Rule{Host: "a.example.com", PathKind: routebench.Exact, Path: "/a"}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.router.Cannot(tt.rule, tt.multi); got != tt.want {
				t.Errorf("Cannot = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPeersAgreeWithExpected checks that each peer, on the rules it
// expresses, routes every request to the rule Istio would pick: the
// benchmarks measure real lookups, not misses.
func TestPeersAgreeWithExpected(t *testing.T) {
	for _, w := range []routebench.Workload{routebench.Routes(10), routebench.Routes(1000), routebench.Hosts(400)} {
		for _, c := range Plan(w, Routers) {
			t.Run(w.Name+"/"+c.Router.Name, func(t *testing.T) {
				if c.Empty() {
					t.Skipf("%s expresses none of %s: %s", c.Router.Name, w.Name, c.Why())
				}
				l, err := c.Router.Build(c.Workload)
				if err != nil {
					t.Fatal(err)
				}
				if bad, first := Check(l, c.Workload); bad > 0 {
					t.Errorf("%d of %d requests disagree with Expected; first: %s", bad, len(c.Workload.Requests), first)
				}
			})
		}
	}
}

// wrongLookup routes every request to rule 0.
type wrongLookup struct{}

func (wrongLookup) Hit(int) bool  { return true }
func (wrongLookup) Route(int) int { return 0 }

func TestCheckCountsDisagreements(t *testing.T) {
	w := routebench.Routes(10)
	want, wantSample := 0, 0
	for i := range w.Requests {
		if w.Expected(i) != 0 {
			want++
			if i%3 == 0 {
				wantSample++
			}
		}
	}
	tests := []struct {
		name  string
		limit int
		want  int
	}{
		{"every request is checked", len(w.Requests), want},
		{"a sample of 4 of 12 requests checks every third", 4, wantSample},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if bad, _ := CheckSample(wrongLookup{}, w, tt.limit); bad != tt.want {
				t.Errorf("CheckSample(limit %d) = %d disagreements, want %d", tt.limit, bad, tt.want)
			}
		})
	}
}
