package policy

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
)

func TestRoundRobin(t *testing.T) {
	t.Run("equal weights take turns exactly", func(t *testing.T) {
		rt, tg, _ := newTestRuntime(t, endpoints(3), lbPolicy(networking.LoadBalancerSettings_ROUND_ROBIN))
		got := countPicks(t, rt, tg, &match.Request{}, 300)
		want := map[string]int{addr(1): 100, addr(2): 100, addr(3): 100}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("picks (-want +got):\n%s", diff)
		}
	})
	t.Run("weights are honoured exactly over a full cycle", func(t *testing.T) {
		rt, tg, _ := newTestRuntime(t, endpoints(3, 1, 2, 3), lbPolicy(networking.LoadBalancerSettings_ROUND_ROBIN))
		got := countPicks(t, rt, tg, &match.Request{}, 600)
		want := map[string]int{addr(1): 100, addr(2): 200, addr(3): 300}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("picks (-want +got):\n%s", diff)
		}
	})
	t.Run("smooth weighting interleaves a heavy host instead of bursting it", func(t *testing.T) {
		rt, tg, _ := newTestRuntime(t, endpoints(3, 5, 1, 1), lbPolicy(networking.LoadBalancerSettings_ROUND_ROBIN))
		var seq []string
		for i := 0; i < 7; i++ {
			l, _ := rt.Pick(tg, &match.Request{}, nil)
			seq = append(seq, l.Addr)
			l.Release(Result{Status: 200})
		}
		want := []string{addr(1), addr(1), addr(2), addr(1), addr(3), addr(1), addr(1)}
		if diff := cmp.Diff(want, seq); diff != "" {
			t.Errorf("sequence (-want +got):\n%s", diff)
		}
	})
}

// within reports whether got is within frac of want.
func within(got, want int, frac float64) bool {
	return math.Abs(float64(got-want)) <= frac*float64(want)
}

func TestRandom(t *testing.T) {
	t.Run("equal weights: each host within 5% of its share over 30000 picks", func(t *testing.T) {
		rt, tg, _ := newTestRuntime(t, endpoints(3), lbPolicy(networking.LoadBalancerSettings_RANDOM))
		got := countPicks(t, rt, tg, &match.Request{}, 30000)
		for i := 1; i <= 3; i++ {
			if !within(got[addr(i)], 10000, 0.05) {
				t.Errorf("%s got %d picks, want 10000±5%%", addr(i), got[addr(i)])
			}
		}
	})
	t.Run("weights 1:3 split picks 25/75 within 5%", func(t *testing.T) {
		rt, tg, _ := newTestRuntime(t, endpoints(2, 1, 3), lbPolicy(networking.LoadBalancerSettings_RANDOM))
		got := countPicks(t, rt, tg, &match.Request{}, 20000)
		if !within(got[addr(1)], 5000, 0.05) || !within(got[addr(2)], 15000, 0.05) {
			t.Errorf("picks %v, want 5000/15000 ±5%%", got)
		}
	})
}

func TestLeastRequest(t *testing.T) {
	t.Run("unset loadBalancer is LEAST_REQUEST: spreads evenly when idle (±8%)", func(t *testing.T) {
		rt, tg, _ := newTestRuntime(t, endpoints(4), nil)
		got := countPicks(t, rt, tg, &match.Request{}, 20000)
		for i := 1; i <= 4; i++ {
			if !within(got[addr(i)], 5000, 0.08) {
				t.Errorf("%s got %d picks, want 5000±8%%", addr(i), got[addr(i)])
			}
		}
	})
	t.Run("a busy host is picked only when both choices land on it (~1/N², under 3%)", func(t *testing.T) {
		rt, tg, _ := newTestRuntime(t, endpoints(10), lbPolicy(networking.LoadBalancerSettings_LEAST_REQUEST))
		var held []Lease
		for len(held) < 20 { // load host 1 with 20 active requests
			l, _ := rt.Pick(tg, &match.Request{}, nil)
			if l.Addr == addr(1) {
				held = append(held, l)
			} else {
				l.Release(Result{Status: 200})
			}
		}
		got := countPicks(t, rt, tg, &match.Request{}, 10000)
		if got[addr(1)] > 300 {
			t.Errorf("busy host got %d of 10000 picks, want under 300", got[addr(1)])
		}
		for i := range held {
			held[i].Release(Result{Status: 200})
		}
	})
}

func TestPassthrough(t *testing.T) {
	rt, _, _ := newTestRuntime(t, endpoints(2), nil)
	tg := &Target{Host: "orig.example.com", Port: 8080, Policy: lbPolicy(networking.LoadBalancerSettings_PASSTHROUGH)}
	tests := []struct {
		name string
		req  match.Request
		want string
	}{
		{"authority with port is dialled as is", match.Request{Authority: "orig.example.com:9443"}, "orig.example.com:9443"},
		{"authority without port takes the request port", match.Request{Authority: "orig.example.com", Port: 81}, "orig.example.com:81"},
		{"authority without port or request port takes the target port", match.Request{Authority: "orig.example.com"}, "orig.example.com:8080"},
		{"original destination IP wins over the authority", match.Request{Authority: "x", DestinationIP: netip.MustParseAddr("192.0.2.9"), Port: 443}, "192.0.2.9:443"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := rt.Pick(tg, &tc.req, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Release(Result{Status: 200})
			if l.Addr != tc.want {
				t.Errorf("Addr = %q, want %q", l.Addr, tc.want)
			}
		})
	}
}

func TestAvoidPreviousHosts(t *testing.T) {
	for _, lb := range []networking.LoadBalancerSettings_SimpleLB{networking.LoadBalancerSettings_ROUND_ROBIN, networking.LoadBalancerSettings_RANDOM, networking.LoadBalancerSettings_LEAST_REQUEST} {
		t.Run(lb.String()+" retries avoid the hosts already tried", func(t *testing.T) {
			rt, tg, _ := newTestRuntime(t, endpoints(3), lbPolicy(lb))
			for i := 0; i < 200; i++ {
				l, _ := rt.Pick(tg, &match.Request{}, []string{addr(1), addr(2)})
				if l.Addr != addr(3) {
					t.Fatalf("pick %d went to %s despite avoid", i, l.Addr)
				}
				l.Release(Result{Status: 200})
			}
		})
	}
}

func hdrReq(name, value string) *match.Request {
	return &match.Request{Header: http.Header{http.CanonicalHeaderKey(name): {value}}}
}

func TestConsistentHashKeys(t *testing.T) {
	cookieTTL := &networking.LoadBalancerSettings_ConsistentHashLB{HashKey: &networking.LoadBalancerSettings_ConsistentHashLB_HttpCookie{
		HttpCookie: &networking.LoadBalancerSettings_ConsistentHashLB_HTTPCookie{Name: "user", Path: "/app", Ttl: dur(3600e9)}}}
	tests := []struct {
		name string
		ch   *networking.LoadBalancerSettings_ConsistentHashLB
		req  func(i int) *match.Request
	}{
		{"header value keeps a client on one host", headerHash("x-user"), func(i int) *match.Request { return hdrReq("x-user", fmt.Sprint("u", i)) }},
		{"gRPC metadata header keeps a client on one host", headerHash("X-User"), func(i int) *match.Request {
			return &match.Request{Metadata: map[string][]string{"x-user": {fmt.Sprint("u", i)}}}
		}},
		{"cookie keeps a client on one host", cookieTTL, func(i int) *match.Request { return hdrReq("cookie", fmt.Sprintf("a=b; user=u%d", i)) }},
		{"source IP keeps a client on one host", &networking.LoadBalancerSettings_ConsistentHashLB{HashKey: &networking.LoadBalancerSettings_ConsistentHashLB_UseSourceIp{UseSourceIp: true}},
			func(i int) *match.Request {
				return &match.Request{SourceIP: netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})}
			}},
		{"query parameter keeps a client on one host", &networking.LoadBalancerSettings_ConsistentHashLB{HashKey: &networking.LoadBalancerSettings_ConsistentHashLB_HttpQueryParameterName{HttpQueryParameterName: "session"}},
			func(i int) *match.Request { return &match.Request{Path: fmt.Sprintf("/p?x=1&session=s%d", i)} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt, tg, _ := newTestRuntime(t, endpoints(5), hashPolicy(tc.ch))
			hosts := map[string]bool{}
			for i := 0; i < 50; i++ {
				first := ""
				for j := 0; j < 5; j++ {
					l, err := rt.Pick(tg, tc.req(i), nil)
					if err != nil {
						t.Fatal(err)
					}
					if first == "" {
						first = l.Addr
					} else if l.Addr != first {
						t.Fatalf("key %d went to %s then %s", i, first, l.Addr)
					}
					l.Release(Result{Status: 200})
				}
				hosts[first] = true
			}
			if len(hosts) < 4 {
				t.Errorf("50 keys landed on only %d of 5 hosts", len(hosts))
			}
		})
	}
}

func TestHashCookieIssued(t *testing.T) {
	t.Run("absent cookie with ttl is issued with path and Max-Age, and sticks", func(t *testing.T) {
		ch := &networking.LoadBalancerSettings_ConsistentHashLB{HashKey: &networking.LoadBalancerSettings_ConsistentHashLB_HttpCookie{
			HttpCookie: &networking.LoadBalancerSettings_ConsistentHashLB_HTTPCookie{Name: "sticky", Path: "/app", Ttl: dur(90e9),
				Attributes: []*networking.LoadBalancerSettings_ConsistentHashLB_HTTPCookie_Attribute{{Name: "SameSite", Value: "Strict"}}}}}
		rt, tg, _ := newTestRuntime(t, endpoints(5), hashPolicy(ch))
		l, _ := rt.Pick(tg, &match.Request{Header: http.Header{}, SourceIP: netip.MustParseAddr("192.0.2.1")}, nil)
		l.Release(Result{Status: 200})
		if l.SetCookie == nil {
			t.Fatal("no cookie issued")
		}
		c := *l.SetCookie
		c.Value = "<v>"
		want := http.Cookie{Name: "sticky", Value: "<v>", Path: "/app", MaxAge: 90, HttpOnly: true, SameSite: http.SameSiteStrictMode}
		if diff := cmp.Diff(want, c); diff != "" {
			t.Errorf("cookie (-want +got):\n%s", diff)
		}
		for i := 0; i < 20; i++ {
			l2, _ := rt.Pick(tg, hdrReq("cookie", "sticky="+l.SetCookie.Value), nil)
			l2.Release(Result{Status: 200})
			if l2.Addr != l.Addr || l2.SetCookie != nil {
				t.Fatalf("request with the issued cookie went to %s (cookie %v), want %s and no new cookie", l2.Addr, l2.SetCookie, l.Addr)
			}
		}
	})
	t.Run("absent cookie without ttl: no cookie, random host", func(t *testing.T) {
		ch := &networking.LoadBalancerSettings_ConsistentHashLB{HashKey: &networking.LoadBalancerSettings_ConsistentHashLB_HttpCookie{
			HttpCookie: &networking.LoadBalancerSettings_ConsistentHashLB_HTTPCookie{Name: "sticky"}}}
		rt, tg, _ := newTestRuntime(t, endpoints(5), hashPolicy(ch))
		got := map[string]int{}
		for i := 0; i < 500; i++ {
			l, _ := rt.Pick(tg, &match.Request{Header: http.Header{}}, nil)
			if l.SetCookie != nil {
				t.Fatal("cookie issued without ttl")
			}
			got[l.Addr]++
			l.Release(Result{Status: 200})
		}
		if len(got) != 5 {
			t.Errorf("keyless requests hit %d of 5 hosts, want all (random)", len(got))
		}
	})
	t.Run("ttl 0s issues a session cookie", func(t *testing.T) {
		ch := &networking.LoadBalancerSettings_ConsistentHashLB{HashKey: &networking.LoadBalancerSettings_ConsistentHashLB_HttpCookie{
			HttpCookie: &networking.LoadBalancerSettings_ConsistentHashLB_HTTPCookie{Name: "s", Ttl: dur(0)}}}
		rt, tg, _ := newTestRuntime(t, endpoints(2), hashPolicy(ch))
		l, _ := rt.Pick(tg, &match.Request{}, nil)
		l.Release(Result{Status: 200})
		if l.SetCookie == nil || l.SetCookie.MaxAge != 0 {
			t.Errorf("cookie = %v, want a session cookie (no Max-Age)", l.SetCookie)
		}
	})
}

// TestConsistentHashMovement measures how many of 10000 keys change host
// when one of N hosts goes away: ideally the 1/N on the removed host.
func TestConsistentHashMovement(t *testing.T) {
	for _, tc := range []struct {
		name string
		ch   func() *networking.LoadBalancerSettings_ConsistentHashLB
		n    int
	}{
		{"ring hash moves at most 1/N+2% of keys when one of 10 hosts goes", func() *networking.LoadBalancerSettings_ConsistentHashLB { return headerHash("k") }, 10},
		{"ring hash moves at most 1/N+2% of keys when one of 4 hosts goes", func() *networking.LoadBalancerSettings_ConsistentHashLB { return headerHash("k") }, 4},
		{"maglev moves at most 1/N+2% of keys when one of 10 hosts goes", func() *networking.LoadBalancerSettings_ConsistentHashLB { return withMaglev(headerHash("k"), 65537) }, 10},
		{"ring hash moves at most 1/N+2% of keys when one of 3 hosts goes", func() *networking.LoadBalancerSettings_ConsistentHashLB { return headerHash("k") }, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt, tg, reg := newTestRuntime(t, endpoints(tc.n), hashPolicy(tc.ch()))
			const keys = 10000
			before := make([]string, keys)
			share := map[string]int{}
			for i := range before {
				l, _ := rt.Pick(tg, hdrReq("k", fmt.Sprint("key-", i)), nil)
				before[i] = l.Addr
				share[l.Addr]++
				l.Release(Result{Status: 200})
			}
			for a, n := range share { // balance: each host within 35% of its share
				if !within(n, keys/tc.n, 0.35) {
					t.Errorf("host %s holds %d keys, want %d±35%%", a, n, keys/tc.n)
				}
			}
			reg.Set(testHost, endpoints(tc.n)[:tc.n-1]) // the last host goes
			moved := 0
			for i := range before {
				l, _ := rt.Pick(tg, hdrReq("k", fmt.Sprint("key-", i)), nil)
				if l.Addr != before[i] {
					moved++
				}
				l.Release(Result{Status: 200})
			}
			frac := float64(moved) / keys
			t.Logf("moved %.3f of keys (1/N = %.3f)", frac, 1/float64(tc.n))
			if frac > 1/float64(tc.n)+0.02 {
				t.Errorf("moved %.3f of keys, want at most %.3f", frac, 1/float64(tc.n)+0.02)
			}
		})
	}
}

func TestHashWeights(t *testing.T) {
	for _, ch := range []*networking.LoadBalancerSettings_ConsistentHashLB{headerHash("k"), withMaglev(headerHash("k"), 65537)} {
		name := "ring hash"
		if ch.GetMaglev() != nil {
			name = "maglev"
		}
		t.Run(name+" gives a weight-3 host three times the keys (±15%)", func(t *testing.T) {
			rt, tg, _ := newTestRuntime(t, endpoints(2, 1, 3), hashPolicy(ch))
			r := rand.New(rand.NewPCG(3, 4))
			got := map[string]int{}
			for i := 0; i < 20000; i++ {
				l, _ := rt.Pick(tg, hdrReq("k", fmt.Sprint(r.Uint64())), nil)
				got[l.Addr]++
				l.Release(Result{Status: 200})
			}
			if !within(got[addr(1)], 5000, 0.15) || !within(got[addr(2)], 15000, 0.15) {
				t.Errorf("keys per host %v, want 5000/15000 ±15%%", got)
			}
		})
	}
}
