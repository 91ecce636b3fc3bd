package routebench

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// shape classifies a rule the way the Routes mix documents it.
func shape(r Rule) string {
	switch {
	case r.PathKind == Regex:
		return "regex"
	case r.HeaderName != "":
		return "prefix+header"
	case r.Method != "":
		return "exact+method"
	case r.PathKind == Prefix:
		return "prefix"
	default:
		return "exact"
	}
}

func mix(w Workload) map[string]int {
	m := map[string]int{}
	for _, r := range w.Rules {
		m[shape(r)]++
	}
	return m
}

func misses(w Workload) int {
	n := 0
	for i := range w.Requests {
		if w.Expected(i) < 0 {
			n++
		}
	}
	return n
}

func TestRoutesMix(t *testing.T) {
	tests := []struct {
		name string
		n    int
		want map[string]int
	}{
		{"ten rules have every kind but headers", 10,
			map[string]int{"exact": 5, "prefix": 3, "exact+method": 1, "regex": 1}},
		{"a hundred rules are 50/30/10/9/1 percent", 100,
			map[string]int{"exact": 50, "prefix": 30, "exact+method": 10, "prefix+header": 9, "regex": 1}},
		{"ten thousand rules keep the percentages", 10000,
			map[string]int{"exact": 5000, "prefix": 3000, "exact+method": 1000, "prefix+header": 900, "regex": 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, mix(Routes(tt.n))); diff != "" {
				t.Errorf("Routes(%d) mix (-want +got):\n%s", tt.n, diff)
			}
		})
	}
}

func TestRequestCounts(t *testing.T) {
	type counts struct{ Rules, Requests, Misses, VirtualServices int }
	tests := []struct {
		name string
		w    Workload
		want counts
	}{
		{"routes: one request per rule and a ninth more that match none", Routes(100),
			counts{Rules: 100, Requests: 112, Misses: 12, VirtualServices: 1}},
		{"routes: the miss count rounds up", Routes(10),
			counts{Rules: 10, Requests: 12, Misses: 2, VirtualServices: 1}},
		{"hosts: three rules per host, one request per host plus a ninth", Hosts(100),
			counts{Rules: 300, Requests: 112, Misses: 12, VirtualServices: 100}},
		{"compile: rulesPerVS rules per VirtualService", Compile(50, 10),
			counts{Rules: 500, Requests: 56, Misses: 6, VirtualServices: 50}},
		{"routes: zero rules is an empty workload", Routes(0), counts{}},
		{"routes: a negative count is an empty workload", Routes(-3), counts{}},
		{"compile: zero rules per VirtualService is an empty workload", Compile(5, 0), counts{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := counts{len(tt.w.Rules), len(tt.w.Requests), misses(tt.w), len(tt.w.Config().VirtualServices)}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEveryRuleHasItsRequest(t *testing.T) {
	for _, w := range []Workload{Routes(1000), Hosts(1000), Compile(100, 10)} {
		t.Run(w.Name, func(t *testing.T) {
			hit := make([]int, len(w.Rules))
			for i := range w.Requests {
				if e := w.Expected(i); e >= 0 {
					hit[e]++
				}
			}
			perVS := map[string]int{}
			for i, h := range hit {
				perVS[w.Rules[i].VirtualService] += h
			}
			for vs, h := range perVS {
				if h != 1 && w.Name != "routes=1000" {
					t.Errorf("VirtualService %s gets %d requests, want 1", vs, h)
				}
			}
			if w.Name == "routes=1000" {
				for i, h := range hit {
					if h != 1 {
						t.Errorf("rule %d (%s %s) gets %d requests, want 1", i, w.Rules[i].PathKind, w.Rules[i].Path, h)
					}
				}
			}
		})
	}
}

func TestGeneratorsAreDeterministic(t *testing.T) {
	tests := []struct {
		name string
		gen  func() Workload
	}{
		{"routes", func() Workload { return Routes(500) }},
		{"hosts", func() Workload { return Hosts(500) }},
		{"compile", func() Workload { return Compile(50, 10) }},
	}
	for _, tt := range tests {
		t.Run(tt.name+" gives the same workload twice", func(t *testing.T) {
			a, b := tt.gen(), tt.gen()
			type view struct {
				Name     string
				Rules    []Rule
				Requests []Request
				Expected []int
			}
			see := func(w Workload) view {
				v := view{Name: w.Name, Rules: w.Rules, Requests: w.Requests}
				for i := range w.Requests {
					v.Expected = append(v.Expected, w.Expected(i))
				}
				return v
			}
			if diff := cmp.Diff(see(a), see(b)); diff != "" {
				t.Errorf("two calls differ (-first +second):\n%s", diff)
			}
		})
	}
	t.Run("requests are shuffled, not in rule order", func(t *testing.T) {
		w := Routes(100)
		inOrder := 0
		for i := range 100 {
			if w.Expected(i) == i {
				inOrder++
			}
		}
		if inOrder > 10 {
			t.Errorf("%d of the first 100 requests hit the rule of the same index; want a shuffled stream", inOrder)
		}
	})
}

func TestHostsShapes(t *testing.T) {
	w := Hosts(8)
	got := w.Hosts()
	want := []string{
		"svc0.example.com", "svc1.example.com", "svc2.example.com", "*.w3.example.com",
		"svc4.example.com", "svc5.example.com", "svc6.example.com", "*.w7.example.com",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}
	reqHosts := map[string]bool{}
	for _, r := range Hosts(20).Requests {
		reqHosts[r.Host] = true
	}
	for _, h := range []string{"a3.w3.example.com", "x.y.w7.example.com", "svc4.example.com:80", "a19.w19.example.com:80"} {
		if !reqHosts[h] {
			t.Errorf("no request addressed to %q; requests: %v", h, reqHosts)
		}
	}
}

func TestSubset(t *testing.T) {
	w := Routes(20)
	sub, dropped := w.Subset(func(r Rule) bool { return r.HeaderName == "" && r.PathKind != Regex })
	if dropped != 2 {
		t.Errorf("dropped %d rules, want 2 (one header rule, one regex)", dropped)
	}
	for i, r := range sub.Rules {
		if r.Index != i {
			t.Errorf("rule %d keeps Index %d; subsets renumber rules within their VirtualService", i, r.Index)
		}
	}
	if got, want := len(sub.Requests), len(w.Requests)-2; got != want {
		t.Errorf("subset has %d requests, want %d (the dropped rules' own requests removed)", got, want)
	}
	for i, req := range sub.Requests {
		if got, want := sub.Expected(i), ExpectedRule(sub.Rules, req); got != want {
			t.Errorf("request %d: Expected %d, naive walk over the subset %d", i, got, want)
		}
	}
}

func TestHTTPRequests(t *testing.T) {
	w := Workload{Requests: []Request{{Method: http.MethodPost, Host: "a.example.com:8080", Path: "/x/y?q=1",
		Headers: http.Header{"X-Tenant": {"t1"}}}}}
	r := w.HTTPRequests()[0]
	type view struct{ Method, Host, Path, RawQuery, RequestURI, Tenant string }
	got := view{r.Method, r.Host, r.URL.Path, r.URL.RawQuery, r.RequestURI, r.Header.Get("X-Tenant")}
	want := view{"POST", "a.example.com:8080", "/x/y", "q=1", "/x/y?q=1", "t1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("http.Request (-want +got):\n%s", diff)
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, g := range []struct {
		name string
		gen  func() Workload
	}{
		{"routes=10000", func() Workload { return Routes(10000) }},
		{"hosts=10000", func() Workload { return Hosts(10000) }},
	} {
		b.Run(g.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				g.gen()
			}
		})
	}
}
