package route

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// oneRule compiles a VirtualService for host "svc" with the given http
// rules (YAML list items, indented by two spaces).
func oneRule(t *testing.T, rules string, opts ...Option) *Table {
	t.Helper()
	return compileYAML(t, `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: svc}
spec:
  hosts: [svc]
  http:
`+rules, opts...)
}

func TestRewriteURI(t *testing.T) {
	tests := []struct {
		name, match, rewrite, path, want string
	}{
		{"prefix replaces exactly the matched prefix and keeps the query", `{prefix: /foo}`, "/baz", "/foo/bar?x=1", "/baz/bar?x=1"},
		{"prefix with trailing slash rewritten to slash", `{prefix: /foo/}`, "/", "/foo/bar", "/bar"},
		{"prefix without trailing slash rewritten to slash leaves a double slash", `{prefix: /foo}`, "/", "/foo/bar", "//bar"},
		{"prefix rewrite has no segment boundary", `{prefix: /foo}`, "/baz", "/foobar", "/bazbar"},
		{"exact match replaces the whole path", `{exact: /foo}`, "/baz", "/foo?x=1", "/baz?x=1"},
		{"regex match replaces the whole path", `{regex: "/foo/.*"}`, "/baz", "/foo/a?x=1", "/baz?x=1"},
		{"no uri match is prefix slash: slash plus v2 turns foo into v2foo", ``, "/v2", "/foo", "/v2foo"},
		{"no uri match with trailing slash rewrite", ``, "/x/", "/foo", "/x/foo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := ""
			if tc.match != "" {
				m = "    match: [{uri: " + tc.match + "}]\n"
			}
			tbl := oneRule(t, "  -\n"+m+"    rewrite: {uri: \""+tc.rewrite+"\"}\n    route: [{destination: {host: svc}}]\n")
			d := tbl.Decide(req("GET", "svc", tc.path))
			got := [2]string{d.Path, d.OriginalPath}
			if diff := cmp.Diff([2]string{tc.want, tc.path}, got); diff != "" {
				t.Errorf("path, original path (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRewritePrefixIgnoringCaseReplacesPrefixLength(t *testing.T) {
	tbl := oneRule(t, "  - match: [{uri: {prefix: /FOO}, ignoreUriCase: true}]\n    rewrite: {uri: /baz}\n    route: [{destination: {host: svc}}]\n")
	if got := tbl.Decide(req("GET", "svc", "/foo/bar")).Path; got != "/baz/bar" {
		t.Errorf("got %q, want /baz/bar", got)
	}
}

func TestRewriteURIRegex(t *testing.T) {
	tests := []struct{ name, match, rewrite, path, want string }{
		// virtualservice.md §5.2 prints "/customprefix/v1/api/update", but
		// group 2 is "/v1/api" (it starts with a slash), so Envoy's
		// substitution yields a double slash; we do what Envoy does.
		{"captures reorder path segments", `^/service/([^/]+)(/.*)$`, `/customprefix/\2/\1`, "/service/update/v1/api", "/customprefix//v1/api/update"},
		{"captures in Envoy's own example", `^/service/([^/]+)(/.*)$`, `\2/instance/\1`, "/service/foo/v1/api", "/v1/api/instance/foo"},
		{"case-insensitive pattern", `(?i)/xxx/`, `/yyy/`, "/aaa/XxX/bbb", "/aaa/yyy/bbb"},
		{"every occurrence is replaced and the query kept", `one`, `two`, "/xxx/one/yyy/one/zzz?one=1", "/xxx/two/yyy/two/zzz?one=1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl := oneRule(t, fmt.Sprintf("  - rewrite: {uriRegexRewrite: {match: '%s', rewrite: '%s'}}\n    route: [{destination: {host: svc}}]\n", tc.match, tc.rewrite))
			if got := tbl.Decide(req("GET", "svc", tc.path)).Path; got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRewriteAuthority(t *testing.T) {
	tests := []struct{ name, rule, want string }{
		{"rewrite authority replaces the upstream authority", "  - rewrite: {authority: new.host}\n    route: [{destination: {host: svc}}]\n", "new.host"},
		{"host in headers.request.set becomes the authority rewrite", "  - headers: {request: {set: {Host: set.host}}}\n    route: [{destination: {host: svc}}]\n", "set.host"},
		{":authority in headers.request.add becomes the authority rewrite", "  - headers: {request: {add: {':authority': add.host}}}\n    route: [{destination: {host: svc}}]\n", "add.host"},
		{"route-level authority wins over a destination's", "  - rewrite: {authority: route.host}\n    route: [{destination: {host: svc}, headers: {request: {set: {host: dest.host}}}}]\n", "route.host"},
		{"destination authority applies when the route sets none", "  - route: [{destination: {host: svc}, headers: {request: {set: {host: dest.host}}}}]\n", "dest.host"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := oneRule(t, tc.rule).Decide(req("GET", "svc", "/"))
			if d.Authority != tc.want {
				t.Errorf("authority %q, want %q", d.Authority, tc.want)
			}
			for _, h := range d.RequestHeaders.Set() {
				if h.Name == "Host" || h.Name == ":authority" {
					t.Errorf("authority emitted as a header operation: %v", h)
				}
			}
		})
	}
}

func TestRedirect(t *testing.T) {
	tests := []struct {
		name, match, redirect, scheme, authority, path string
		port                                           uint32
		wantLoc                                        string
		wantCode                                       int
	}{
		{"uri replaces the whole path and keeps the query; code defaults to 301", `{prefix: /old}`, `{uri: /new}`, "http", "svc", "/old/x?bar=1", 0, "http://svc/new?bar=1", 301},
		{"a query in uri replaces the request's query", ``, `{uri: "/new?a=b"}`, "http", "svc", "/old?bar=1", 0, "http://svc/new?a=b", 301},
		{"authority replaces the host and drops the request port", ``, `{authority: other.com}`, "http", "svc:8080", "/p", 0, "http://other.com/p", 301},
		{"port sets the Location port", ``, `{port: 8443}`, "http", "svc:8080", "/p", 0, "http://svc:8443/p", 301},
		{"port 80 with http is not written", ``, `{port: 80}`, "http", "svc:8080", "/p", 0, "http://svc/p", 301},
		{"derivePort FROM_REQUEST_PORT uses the listener port", ``, `{derivePort: FROM_REQUEST_PORT, authority: a.com}`, "http", "svc", "/p", 9090, "http://a.com:9090/p", 301},
		{"derivePort FROM_PROTOCOL_DEFAULT writes no port", ``, `{derivePort: FROM_PROTOCOL_DEFAULT, scheme: https}`, "http", "svc:8080", "/p", 0, "https://svc/p", 301},
		{"scheme change drops the old scheme's default port", ``, `{scheme: https}`, "http", "svc:80", "/p", 0, "https://svc/p", 301},
		{"scheme change keeps a non-default port", ``, `{scheme: https}`, "http", "svc:8080", "/p", 0, "https://svc:8080/p", 301},
		{"redirectCode is used", ``, `{uri: /x, redirectCode: 308}`, "http", "svc", "/p", 0, "http://svc/x", 308},
		{"prefixRewrite replaces only the matched prefix", `{prefix: /foo}`, `{prefixRewrite: /bar}`, "http", "svc", "/foo/baz?q", 0, "http://svc/bar/baz?q", 301},
		{"prefixRewrite slash after prefix without slash doubles the slash", `{prefix: /foo}`, `{prefixRewrite: /}`, "http", "svc", "/foo/baz", 0, "http://svc//baz", 301},
		{"no uri keeps the original path", ``, `{authority: x.com}`, "https", "svc", "/keep?q=1", 0, "https://x.com/keep?q=1", 301},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := ""
			if tc.match != "" {
				m = "    match: [{uri: " + tc.match + "}]\n"
			}
			tbl := oneRule(t, "  -\n"+m+"    redirect: "+tc.redirect+"\n")
			r := req("GET", tc.authority, tc.path)
			r.Scheme, r.Port = tc.scheme, tc.port
			d := tbl.Decide(r)
			got := [3]any{d.Action, d.Redirect.Location, d.Redirect.Code}
			if diff := cmp.Diff([3]any{ActionRedirect, tc.wantLoc, tc.wantCode}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if d.Status != tc.wantCode {
				t.Errorf("status %d, want %d", d.Status, tc.wantCode)
			}
		})
	}
}

func TestDirectResponse(t *testing.T) {
	tbl := oneRule(t, "  - directResponse: {status: 503, body: {string: down}}\n    headers: {response: {set: {content-type: text/plain}}}\n")
	d := tbl.Decide(req("GET", "svc", "/"))
	got := []any{d.Action, d.Status, d.DirectResponse, d.ResponseHeaders.Set()}
	want := []any{ActionDirectResponse, 503, DirectResponse{Status: 503, Body: "down"}, []HeaderValue{{Name: "Content-Type", Value: "text/plain"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestWeights(t *testing.T) {
	tests := []struct {
		name  string
		route string
		want  map[string]bool // subsets that must be reached
	}{
		{"a single destination gets all traffic whatever its weight", "[{destination: {host: svc, subset: a}, weight: 0}]", map[string]bool{"a": true}},
		{"weight-0 entries of a weighted route get nothing", "[{destination: {host: svc, subset: a}, weight: 0}, {destination: {host: svc, subset: b}, weight: 5}]", map[string]bool{"b": true}},
		{"weights are relative and need not add up to 100", "[{destination: {host: svc, subset: a}, weight: 1}, {destination: {host: svc, subset: b}, weight: 1}]", map[string]bool{"a": true, "b": true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl := oneRule(t, "  - route: "+tc.route+"\n")
			got := map[string]bool{}
			for i := 0; i < 200; i++ {
				got[tbl.Decide(req("GET", "svc", "/")).Destination.Subset] = true
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("subsets reached (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWeightedPickIsCumulative(t *testing.T) {
	ds := []*routeDest{{cum: 90}, {cum: 100}}
	for _, tc := range []struct {
		r    uint64
		want int
	}{{0, 0}, {89, 0}, {90, 1}, {99, 1}, {100, 0}} {
		if got := pickWeighted(ds, 100, tc.r); got != ds[tc.want] {
			t.Errorf("r=%d: got entry %v, want %d", tc.r, got, tc.want)
		}
	}
}

func TestNoRuleMatchesIs404(t *testing.T) {
	tbl := oneRule(t, "  - match: [{uri: {exact: /only}}]\n    route: [{destination: {host: svc}}]\n")
	d := tbl.Decide(req("GET", "svc", "/other"))
	got := summarize(d)
	want := outcome{Action: ActionNoRoute, Status: 404, Rule: -1, Match: -1, Reason: reasonNoRoute}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFirstRuleWinsAndMatchesAreORed(t *testing.T) {
	tbl := oneRule(t, `  - name: first
    match:
    - {name: a, uri: {prefix: /a}}
    - {name: b, headers: {x-b: {exact: "1"}}}
    route: [{destination: {host: one}}]
  - name: second
    match: [{uri: {prefix: /a}}]
    route: [{destination: {host: two}}]
`)
	tests := []struct {
		name string
		r    []string
		want RuleRef
	}{
		{"first clause fires", []string{"/a"}, RuleRef{Index: 0, Name: "first", MatchIndex: 0, MatchName: "a"}},
		{"second clause of the same rule fires (OR across matches)", []string{"/z", "x-b: 1"}, RuleRef{Index: 0, Name: "first", MatchIndex: 1, MatchName: "b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := tbl.Decide(req("GET", "svc", tc.r[0], tc.r[1:]...))
			if diff := cmp.Diff(tc.want, d.Rule); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPathIsNormalisedBeforeMatchingAndForwarding(t *testing.T) {
	tbl := oneRule(t, "  - match: [{uri: {prefix: /api}}]\n    rewrite: {uri: /v2}\n    route: [{destination: {host: svc}}]\n  - route: [{destination: {host: other}}]\n")
	d := tbl.Decide(req("GET", "svc", "/x/../api/list?q=/../"))
	got := []string{d.Destination.Host, d.Path, d.OriginalPath}
	want := []string{"svc.default.svc.cluster.local", "/v2/list?q=/../", "/api/list?q=/../"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
