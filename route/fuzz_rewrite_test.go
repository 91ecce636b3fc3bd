package route

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
)

// rewriteFuzzConfig is one VirtualService with three rules, chosen by the
// x-kind request header: a prefix match with rewrite.uri, a regex rewrite,
// and a redirect with prefixRewrite and authority.
func rewriteFuzzConfig(prefix, uri, reMatch, reRewrite, redirectPrefix, authority string) *Config {
	kind := func(k string) map[string]*networking.StringMatch {
		return map[string]*networking.StringMatch{"x-kind": {MatchType: &networking.StringMatch_Exact{Exact: k}}}
	}
	uriPrefix := &networking.StringMatch{MatchType: &networking.StringMatch_Prefix{Prefix: prefix}}
	dest := []*networking.HTTPRouteDestination{{Destination: &networking.Destination{Host: "svc"}}}
	vs := &networking.VirtualService{
		Hosts: []string{"svc"},
		Http: []*networking.HTTPRoute{
			{
				Match:   []*networking.HTTPMatchRequest{{Uri: uriPrefix, Headers: kind("prefix")}},
				Rewrite: &networking.HTTPRewrite{Uri: uri},
				Route:   dest,
			},
			{
				Match:   []*networking.HTTPMatchRequest{{Headers: kind("regex")}},
				Rewrite: &networking.HTTPRewrite{UriRegexRewrite: &networking.RegexRewrite{Match: reMatch, Rewrite: reRewrite}},
				Route:   dest,
			},
			{
				Match:    []*networking.HTTPMatchRequest{{Uri: uriPrefix, Headers: kind("redirect")}},
				Redirect: &networking.HTTPRedirect{PrefixRewrite: redirectPrefix, Authority: authority},
			},
		},
	}
	return &Config{VirtualServices: []*VirtualService{{Meta: Meta{Name: "fuzz", Namespace: "default"}, Spec: vs}}}
}

// FuzzRewrite compiles generated prefix, regex and redirect rewrites and
// sends a request through each with Decide. Whatever configuration
// validation accepts, the result must be a request target an upstream
// accepts: it starts with "/", keeps the request's query, and parses with
// url.ParseRequestURI; a prefix rewrite is exactly the rewrite followed by
// the path after the prefix; a redirect's Location parses as a URL.
func FuzzRewrite(f *testing.F) {
	f.Add("/foo", "/baz", "^/service/([^/]+)(/.*)$", `/customprefix/\2/\1`, "/bar", "new.example", "/foo/bar?x=1")
	f.Add("/foo/", "/", "(?i)/xxx/", "/yyy/", "/", "", "/foo/bar")
	f.Add("/", "/x/", "one", "two", "/v2/", "a.example:8080", "/xxx/one/yyy/one/zzz?q=%41")
	f.Add("/service/", "/s/", "^/service/([^/]+)(/.*)$", `/customprefix/\2/\1`, "/", "", "/service/update/v1/api")
	f.Add("/a", "/b", "^/", "x", "/c", "h", "/a%2Fb?z")
	f.Add("/%41", "/%zz", "4", "", "/\r\n", "evil\r\nx: y", "/%41?x")
	f.Add("/p", "/r", "(a+)+$", `\9`, "/q", "[::1]:80", "/paaaaaaaaaaaaaaaaaaaaaaaaa!")
	f.Fuzz(func(t *testing.T, prefix, uri, reMatch, reRewrite, redirectPrefix, authority, path string) {
		if _, err := url.ParseRequestURI(path); err != nil || !strings.HasPrefix(path, "/") || match.NormalizePath(path) != path {
			return // not a request target a server hands on, or one Envoy normalises first
		}
		if strings.Contains(prefix, "?") {
			return // a prefix with a query matches across the "?" and leaves nothing to keep
		}
		tbl, err := Compile(rewriteFuzzConfig(prefix, uri, reMatch, reRewrite, redirectPrefix, authority))
		if err != nil {
			return // refused configurations never serve
		}
		p, query := path, ""
		if i := strings.IndexByte(path, '?'); i >= 0 {
			p, query = path[:i], path[i:]
		}
		for _, kind := range []string{"prefix", "regex", "redirect"} {
			q := &match.Request{Method: "GET", Scheme: "http", Authority: "svc", Path: path,
				Header: http.Header{"X-Kind": {kind}}, Gateway: match.MeshGateway}
			d := tbl.Decide(q)
			switch d.Action {
			case ActionRoute:
				checkTarget(t, kind, d.Path, query)
				if kind == "prefix" && d.Rule.Index == 0 && uri != "" {
					if want := uri + p[len(prefix):] + query; d.Path != want {
						t.Errorf("prefix %q rewrite %q of %q = %q, want %q", prefix, uri, path, d.Path, want)
					}
				}
				if d.Path != path && d.OriginalPath != path {
					t.Errorf("%s: rewritten to %q but OriginalPath = %q, want %q", kind, d.Path, d.OriginalPath, path)
				}
			case ActionRedirect:
				u, err := url.Parse(d.Redirect.Location)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
					t.Errorf("redirect Location %q is not a URL: %v", d.Redirect.Location, err)
					continue
				}
				checkTarget(t, kind, u.RequestURI(), "")
				if !strings.HasSuffix(d.Redirect.Location, query) {
					t.Errorf("redirect Location %q lost the query %q", d.Redirect.Location, query)
				}
			}
		}
	})
}

// checkTarget fails unless target is a request target an upstream
// accepts that ends with query.
func checkTarget(t *testing.T, kind, target, query string) {
	t.Helper()
	if !strings.HasPrefix(target, "/") {
		t.Errorf("%s: result %q does not start with /", kind, target)
	}
	if !strings.HasSuffix(target, query) {
		t.Errorf("%s: result %q lost the query %q", kind, target, query)
	}
	if _, err := url.ParseRequestURI(target); err != nil {
		t.Errorf("%s: result %q is not a request URI: %v", kind, target, err)
	}
}
