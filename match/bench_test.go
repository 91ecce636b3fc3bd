package match

import (
	"testing"

	networking "istio.io/api/networking/v1alpha3"
)

func BenchmarkHTTPMatch(b *testing.B) {
	cases := []struct {
		name string
		m    *hm
		req  Request
	}{
		{"uri exact", &hm{Uri: exact("/api/v1/items")}, get("/api/v1/items?page=2")},
		{"uri prefix", &hm{Uri: prefix("/api/")}, get("/api/v1/items")},
		{"uri prefix ignore case", &hm{Uri: prefix("/API/"), IgnoreUriCase: true}, get("/api/v1/items")},
		{"uri regex", &hm{Uri: regex(`/api/v[0-9]+/items`)}, get("/api/v1/items")},
		{"uri dot segments", &hm{Uri: prefix("/api/")}, get("/x/../api/v1")},
		{"header exact", &hm{Headers: map[string]*networking.StringMatch{"end-user": exact("jason")}}, get("/", "End-User", "jason")},
		{"header two values", &hm{Headers: map[string]*networking.StringMatch{"x-a": prefix("a,b")}}, get("/", "X-A", "a", "X-A", "b")},
		{"withoutHeaders", &hm{WithoutHeaders: map[string]*networking.StringMatch{"x-debug": present()}}, get("/", "End-User", "jason")},
		{"query exact", &hm{QueryParams: map[string]*networking.StringMatch{"debug": exact("")}}, get("/p?a=1&b=2&debug")},
		{"everything", &hm{
			Uri: prefix("/api"), Method: exact("GET"), Authority: prefix("reviews"),
			Headers:      map[string]*networking.StringMatch{"end-user": exact("jason"), "x-v": regex(`v\d`)},
			QueryParams:  map[string]*networking.StringMatch{"page": regex(`\d+`)},
			SourceLabels: map[string]string{"app": "productpage"}, Port: 9080,
		}, with(get("/api/x?page=2", "End-User", "jason", "X-V", "v2"), func(r *Request) { r.SourceLabels = map[string]string{"app": "productpage"} })},
	}
	for _, c := range cases {
		m, err := CompileHTTPMatch(c.m, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		req := c.req
		if !m.Match(&req) {
			b.Fatalf("%s: benchmark request does not match %s", c.name, m)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.Match(&req)
			}
		})
	}
}

func BenchmarkNormalizePath(b *testing.B) {
	for _, p := range []string{"/api/v1/items?x=1", "/a/b/../c/./d"} {
		b.Run(p, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = NormalizePath(p)
			}
		})
	}
}

func BenchmarkTLSMatch(b *testing.B) {
	m, _ := CompileTLSMatch(&networking.TLSMatchAttributes{SniHosts: []string{"a.com", "*.example.com"}}, nil)
	r := conn("10.0.0.1", "www.example.com")
	b.ReportAllocs()
	for b.Loop() {
		m.Match(&r)
	}
}

func TestHTTPMatchAllocatesNothing(t *testing.T) {
	m, err := CompileHTTPMatch(&hm{
		Uri: prefix("/api"), Method: exact("GET"), Authority: prefix("reviews"), IgnoreUriCase: true,
		Headers:        map[string]*networking.StringMatch{"end-user": exact("jason"), "x-v": regex(`v\d`)},
		WithoutHeaders: map[string]*networking.StringMatch{"x-debug": exact("1")},
		QueryParams:    map[string]*networking.StringMatch{"page": regex(`\d+`)},
	}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	req := get("/API/x?page=2", "End-User", "jason", "X-V", "v2")
	if !m.Match(&req) {
		t.Fatal("request should match")
	}
	if n := testing.AllocsPerRun(200, func() { m.Match(&req) }); n != 0 {
		t.Errorf("Match allocates %v times, want 0", n)
	}
}
