package routebench

import (
	"net/http"
	"testing"
)

func TestExpectedRule(t *testing.T) {
	const h = "a.example.com"
	one := func(r Rule) []Rule {
		r.Host, r.VirtualService = h, "vs"
		return []Rule{r}
	}
	get := func(path string) Request { return Request{Method: "GET", Host: h, Path: path} }
	tests := []struct {
		name  string
		rules []Rule
		req   Request
		want  int
	}{
		{"uri prefix has no segment boundary",
			one(Rule{PathKind: Prefix, Path: "/foo"}), get("/foobar"), 0},
		{"uri prefix compares the path as sent, query included",
			one(Rule{PathKind: Prefix, Path: "/search?q="}), get("/search?q=go"), 0},
		{"exact uri ignores the query string",
			one(Rule{PathKind: Exact, Path: "/a"}), get("/a?x=1"), 0},
		{"exact uri does not match a longer path",
			one(Rule{PathKind: Exact, Path: "/a"}), get("/a/"), -1},
		{"regex must match the whole path, not a part",
			one(Rule{PathKind: Regex, Path: "/re/[0-9]+"}), get("/re/12/x"), -1},
		{"regex is anchored at the start too",
			one(Rule{PathKind: Regex, Path: "/re/[0-9]+"}), get("/x/re/12"), -1},
		{"regex ignores the query string",
			one(Rule{PathKind: Regex, Path: "/re/[0-9]+"}), get("/re/12?x=1"), 0},
		{"an invalid regex never matches",
			one(Rule{PathKind: Regex, Path: "/re/(["}), get("/re/(["), -1},
		{"method is compared case-sensitively",
			one(Rule{PathKind: Prefix, Path: "/", Method: "POST"}), Request{Method: "post", Host: h, Path: "/"}, -1},
		{"header value is exact and case-sensitive",
			one(Rule{PathKind: Prefix, Path: "/", HeaderName: "x-tenant", HeaderValue: "t1"}),
			Request{Method: "GET", Host: h, Path: "/", Headers: http.Header{"X-Tenant": {"T1"}}}, -1},
		{"a missing header never matches",
			one(Rule{PathKind: Prefix, Path: "/", HeaderName: "x-tenant", HeaderValue: ""}), get("/"), -1},
		{"several header values match as their comma join",
			one(Rule{PathKind: Prefix, Path: "/", HeaderName: "x-tenant", HeaderValue: "a,b"}),
			Request{Method: "GET", Host: h, Path: "/", Headers: http.Header{"X-Tenant": {"a", "b"}}}, 0},
		{"the first matching rule wins over a later, more specific one",
			[]Rule{{Host: h, VirtualService: "vs", PathKind: Prefix, Path: "/"},
				{Host: h, VirtualService: "vs", PathKind: Exact, Path: "/a", Index: 1}}, get("/a"), 0},
		{"the port in the authority is ignored for host selection",
			one(Rule{PathKind: Prefix, Path: "/"}), Request{Method: "GET", Host: h + ":8080", Path: "/"}, 0},
		{"host selection is case-insensitive",
			one(Rule{PathKind: Prefix, Path: "/"}), Request{Method: "GET", Host: "A.Example.COM", Path: "/"}, 0},
		{"an unknown host matches nothing",
			one(Rule{PathKind: Prefix, Path: "/"}), Request{Method: "GET", Host: "b.example.com", Path: "/"}, -1},
		{"an exact host beats a wildcard listed first",
			[]Rule{{Host: "*.example.com", VirtualService: "w", PathKind: Prefix, Path: "/"},
				{Host: h, VirtualService: "e", PathKind: Prefix, Path: "/"}}, get("/"), 1},
		{"the longest wildcard suffix wins",
			[]Rule{{Host: "*.example.com", VirtualService: "short", PathKind: Prefix, Path: "/"},
				{Host: "*.b.example.com", VirtualService: "long", PathKind: Prefix, Path: "/"}},
			Request{Method: "GET", Host: "x.b.example.com", Path: "/"}, 1},
		{"a wildcard matches several labels deep",
			[]Rule{{Host: "*.example.com", VirtualService: "w", PathKind: Prefix, Path: "/"}},
			Request{Method: "GET", Host: "x.y.example.com", Path: "/"}, 0},
		{"a wildcard does not match its bare suffix",
			[]Rule{{Host: "*.example.com", VirtualService: "w", PathKind: Prefix, Path: "/"}},
			Request{Method: "GET", Host: "example.com", Path: "/"}, -1},
		{"a wildcard never matches the empty label",
			[]Rule{{Host: "*.example.com", VirtualService: "w", PathKind: Prefix, Path: "/"}},
			Request{Method: "GET", Host: ".example.com", Path: "/"}, -1},
		{"star catches a host no other name matches",
			[]Rule{{Host: "*.example.com", VirtualService: "w", PathKind: Prefix, Path: "/"},
				{Host: "*", VirtualService: "all", PathKind: Prefix, Path: "/"}},
			Request{Method: "GET", Host: "other.org", Path: "/"}, 1},
		{"star loses to a matching wildcard",
			[]Rule{{Host: "*", VirtualService: "all", PathKind: Prefix, Path: "/"},
				{Host: "*.example.com", VirtualService: "w", PathKind: Prefix, Path: "/"}},
			Request{Method: "GET", Host: "x.example.com", Path: "/"}, 1},
		{"only the oldest VirtualService of a host is used: later ones are not merged",
			[]Rule{{Host: h, VirtualService: "old", PathKind: Exact, Path: "/a"},
				{Host: h, VirtualService: "young", PathKind: Exact, Path: "/b"}}, get("/b"), -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExpectedRule(tt.rules, tt.req); got != tt.want {
				t.Errorf("ExpectedRule = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestExpectedAgreesWithNaiveWalk(t *testing.T) {
	for _, w := range []Workload{Routes(300), Hosts(300), Compile(30, 10)} {
		t.Run(w.Name, func(t *testing.T) {
			for i, req := range w.Requests {
				if got, want := w.Expected(i), ExpectedRule(w.Rules, req); got != want {
					t.Errorf("request %d %s %s%s: Expected %d, ExpectedRule %d", i, req.Method, req.Host, req.Path, got, want)
				}
			}
		})
	}
}
