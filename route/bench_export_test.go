package route

import (
	"slices"
	"testing"

	"github.com/meshroute/meshroute/match"
)

// Hooks for the fixed-name benchmarks (bench_decide_test.go, package
// route_test): they build workloads with internal/routebench, which imports
// this package, so they cannot live here. Nothing of this is in the
// library: _test files only.

// DecideLinear runs the plain linear reference matcher.
func (t *Table) DecideLinear(req *match.Request) Decision { return t.decideLinear(req) }

// BenchCase is one request on one of this package's test configurations.
type BenchCase struct {
	Name  string
	Table *Table
	Req   *match.Request
	Want  Action
}

// SeedBenchCases returns the bookinfo cases (the seeds' configuration),
// one of them without per-request overrides, and the passthrough and
// no-route decisions.
func SeedBenchCases(tb testing.TB) []BenchCase {
	tbl := compileYAML(tb, bookinfo)
	noOverrides := compileYAML(tb, bookinfo, WithPerRequestOverrides(false))
	// One rule for exact /only: a request for /other matches no rule and
	// gets Envoy's 404 NR (the worked example's last rule catches all).
	nr := compileYAML(tb, `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{uri: {exact: /only}}]
    route: [{destination: {host: reviews}}]
`)
	noRoute := req("GET", "reviews", "/other")
	return []BenchCase{
		{"bookinfo", tbl, req("GET", "reviews:9080", "/reviews/0", "end-user: jason"), ActionRoute},
		// The same request on a table that ignores the x-envoy-* override
		// headers: three header-map lookups fewer (what they cost).
		{"bookinfo-no-overrides", noOverrides, req("GET", "reviews:9080", "/reviews/0", "end-user: jason"), ActionRoute},
		{"bookinfo-weighted", tbl, req("GET", "Reviews.default.svc.cluster.local", "/reviews/0"), ActionRoute},
		{"bookinfo-ratings", tbl, req("GET", "ratings:9080", "/ratings/0"), ActionRoute},
		{"passthrough", tbl, req("GET", "Unknown.Example.com:8080", "/x", "x-envoy-upstream-rq-timeout-ms: 100"), ActionRoute},
		{"no-route", nr, noRoute, ActionNoRoute},
	}
}

// DropIndexPart files one part of every rule index of t under the
// unindexed list, to measure what each part buys: "exact" (the exact-path
// maps), "prefix" (the tries, regex literal prefixes included), or "all"
// (no rule index: Decide walks the rules in order, with the host index
// still in use).
func (t *Table) DropIndexPart(part string) {
	seen := map[*ruleIndex]bool{}
	for _, v := range t.views {
		for _, vh := range v.vhosts {
			x := vh.index
			if x == nil {
				continue
			}
			if part == "all" {
				vh.index = nil
				continue
			}
			if seen[x] {
				continue
			}
			seen[x] = true
			switch part {
			case "exact":
				for _, m := range []*slotMap{x.exact, x.foldExact} {
					if m != nil {
						x.other = append(x.other, m.all()...)
					}
				}
				x.exact, x.foldExact = nil, nil
			case "prefix":
				for _, t := range []*flatTrie{x.prefix, x.foldPrefix} {
					if t != nil {
						x.other = append(x.other, t.all()...)
					}
				}
				x.prefix, x.foldPrefix = nil, nil
			}
			slices.Sort(x.other)
		}
	}
	for _, v := range t.views {
		v.refreshHostRefs()
	}
}
