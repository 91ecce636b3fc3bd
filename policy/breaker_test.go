package policy

import (
	"bytes"
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/types/known/wrapperspb"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/subset"
)

func poolPolicy(tcp *networking.ConnectionPoolSettings_TCPSettings, h *networking.ConnectionPoolSettings_HTTPSettings) *networking.TrafficPolicy {
	return &networking.TrafficPolicy{ConnectionPool: &networking.ConnectionPoolSettings{Tcp: tcp, Http: h}}
}

// holdUntilOverflow picks without releasing until Pick fails, returning
// the leases held and the error.
func holdUntilOverflow(t *testing.T, rt *Runtime, tg *Target, max int) ([]Lease, error) {
	t.Helper()
	var held []Lease
	for i := 0; i < max; i++ {
		l, err := rt.Pick(tg, &match.Request{}, nil)
		if err != nil {
			return held, err
		}
		held = append(held, l)
	}
	return held, nil
}

func TestCircuitBreakerLimits(t *testing.T) {
	tests := []struct {
		name   string
		policy *networking.TrafficPolicy
		admit  int // requests admitted before overflow; -1: never overflows within 1000
	}{
		{"http2MaxRequests bounds active requests", poolPolicy(nil, &networking.ConnectionPoolSettings_HTTPSettings{Http2MaxRequests: 5}), 5},
		{"http1MaxPendingRequests bounds requests waiting beyond maxConnections", poolPolicy(&networking.ConnectionPoolSettings_TCPSettings{MaxConnections: 2}, &networking.ConnectionPoolSettings_HTTPSettings{Http1MaxPendingRequests: 3}), 5},
		{"the tighter of the two limits applies", poolPolicy(&networking.ConnectionPoolSettings_TCPSettings{MaxConnections: 2}, &networking.ConnectionPoolSettings_HTTPSettings{Http1MaxPendingRequests: 3, Http2MaxRequests: 4}), 4},
		{"pending limit without maxConnections never overflows (nothing waits)", poolPolicy(nil, &networking.ConnectionPoolSettings_HTTPSettings{Http1MaxPendingRequests: 1}), -1},
		{"maxConnections alone queues instead of rejecting", poolPolicy(&networking.ConnectionPoolSettings_TCPSettings{MaxConnections: 1}, nil), -1},
		{"0 means unlimited (Istio's default)", poolPolicy(nil, &networking.ConnectionPoolSettings_HTTPSettings{Http2MaxRequests: 0}), -1},
		{"no policy is unlimited", nil, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt, tg, _ := newTestRuntime(t, endpoints(2), tc.policy)
			held, err := holdUntilOverflow(t, rt, tg, 1000)
			if tc.admit < 0 {
				if err != nil {
					t.Fatalf("overflowed after %d requests: %v", len(held), err)
				}
			} else if len(held) != tc.admit || !errors.Is(err, ErrOverflow) {
				t.Fatalf("admitted %d then %v; want %d then ErrOverflow", len(held), err, tc.admit)
			}
			if tc.admit >= 0 {
				held[0].Release(Result{Status: 200})
				l, err := rt.Pick(tg, &match.Request{}, nil)
				if err != nil {
					t.Errorf("after a release Pick = %v, want a slot", err)
				}
				l.Release(Result{Status: 200})
				held = held[1:]
			}
			for i := range held {
				held[i].Release(Result{Status: 200})
			}
			if s := rt.Stats()[0]; s.Active != 0 {
				t.Errorf("active = %d after releasing everything", s.Active)
			}
		})
	}
}

func TestReleaseIsIdempotent(t *testing.T) {
	rt, tg, _ := newTestRuntime(t, endpoints(1), poolPolicy(nil, &networking.ConnectionPoolSettings_HTTPSettings{Http2MaxRequests: 1}))
	l, _ := rt.Pick(tg, &match.Request{}, nil)
	l.Release(Result{Status: 200})
	l.Release(Result{Status: 200})
	var zero Lease
	zero.Release(Result{})
	if a := rt.Stats()[0].Active; a != 0 {
		t.Errorf("active = %d after double release, want 0", a)
	}
}

// TestCircuitBreakerUnderLoad: run with -race. Never more than the limit
// in flight; every refusal is ErrOverflow and is counted.
func TestCircuitBreakerUnderLoad(t *testing.T) {
	const limit = 8
	rt, tg, _ := newTestRuntime(t, endpoints(3), poolPolicy(nil, &networking.ConnectionPoolSettings_HTTPSettings{Http2MaxRequests: limit}))
	var inflight, peak, overflows atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				l, err := rt.Pick(tg, &match.Request{}, nil)
				if err != nil {
					if !errors.Is(err, ErrOverflow) {
						t.Errorf("Pick = %v, want ErrOverflow", err)
					}
					overflows.Add(1)
					continue
				}
				n := inflight.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				runtime.Gosched() // hold the slot while others run
				inflight.Add(-1)
				l.Release(Result{Status: 200})
			}
		}()
	}
	wg.Wait()
	if peak.Load() < 2 {
		t.Errorf("peak in flight %d: the load never overlapped", peak.Load())
	}
	if p := peak.Load(); p > limit {
		t.Errorf("peak in flight %d exceeds the limit %d", p, limit)
	}
	s := rt.Stats()[0]
	if s.Overflows != uint64(overflows.Load()) || s.Requests+s.Overflows != 32*300 {
		t.Errorf("stats %+v; want %d overflows and %d requests in all", s, overflows.Load(), 32*300)
	}
	t.Logf("peak %d, overflows %d of %d", peak.Load(), overflows.Load(), 32*300)
}

func TestRetryGate(t *testing.T) {
	tests := []struct {
		name    string
		policy  *networking.TrafficPolicy
		active  int // requests held in flight
		allowed int
	}{
		{"maxRetries bounds concurrent retries", poolPolicy(nil, &networking.ConnectionPoolSettings_HTTPSettings{MaxRetries: 2}), 0, 2},
		{"retryBudget: minRetryConcurrency when few requests are active",
			&networking.TrafficPolicy{RetryBudget: &networking.TrafficPolicy_RetryBudget{Percent: wrapperspb.Double(50), MinRetryConcurrency: 2}}, 2, 2},
		{"retryBudget: percent of active requests when more",
			&networking.TrafficPolicy{RetryBudget: &networking.TrafficPolicy_RetryBudget{Percent: wrapperspb.Double(50), MinRetryConcurrency: 2}}, 10, 5},
		{"retryBudget defaults: 20% and at least 3", &networking.TrafficPolicy{RetryBudget: &networking.TrafficPolicy_RetryBudget{}}, 5, 3},
		{"retryBudget replaces maxRetries",
			&networking.TrafficPolicy{ConnectionPool: &networking.ConnectionPoolSettings{Http: &networking.ConnectionPoolSettings_HTTPSettings{MaxRetries: 1}},
				RetryBudget: &networking.TrafficPolicy_RetryBudget{MinRetryConcurrency: 4}}, 0, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt, tg, _ := newTestRuntime(t, endpoints(2), tc.policy)
			held, _ := holdUntilOverflow(t, rt, tg, tc.active)
			var releases []func()
			for {
				rel, ok := rt.AdmitRetry(tg)
				if !ok {
					break
				}
				releases = append(releases, rel)
				if len(releases) > 100 {
					t.Fatal("retries never refused")
				}
			}
			if len(releases) != tc.allowed {
				t.Errorf("admitted %d concurrent retries, want %d", len(releases), tc.allowed)
			}
			releases[0]()
			if _, ok := rt.AdmitRetry(tg); !ok {
				t.Errorf("a released retry slot was not reusable")
			}
			s := rt.Stats()[0]
			if s.Retries != uint64(tc.allowed+1) || s.RetryOverflows != 1 {
				t.Errorf("retries %d, retry overflows %d; want %d and 1", s.Retries, s.RetryOverflows, tc.allowed+1)
			}
			for i := range held {
				held[i].Release(Result{Status: 200})
			}
		})
	}
}

func TestNoHealthyUpstream(t *testing.T) {
	rt, _, _ := newTestRuntime(t, endpoints(2), nil)
	tg := &Target{Host: testHost, Subset: "v9", Port: 80, SubsetLabels: map[string]string{"version": "v9"}}
	_, err := rt.Pick(tg, &match.Request{}, nil)
	if !errors.Is(err, ErrNoHealthyUpstream) {
		t.Fatalf("subset without endpoints: Pick = %v, want ErrNoHealthyUpstream", err)
	}
	want := []ClusterStats{{Cluster: "outbound|80|v9|" + testHost, NoHealthy: 1}}
	if diff := cmp.Diff(want, rt.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestPolicyChangeRebuildsCluster(t *testing.T) {
	rt, tg, _ := newTestRuntime(t, endpoints(2), poolPolicy(nil, &networking.ConnectionPoolSettings_HTTPSettings{Http2MaxRequests: 1}))
	l, _ := rt.Pick(tg, &match.Request{}, nil)
	if _, err := rt.Pick(tg, &match.Request{}, nil); !errors.Is(err, ErrOverflow) {
		t.Fatalf("limit 1: second Pick = %v, want ErrOverflow", err)
	}
	l.Release(Result{Status: 200})
	tg2 := *tg
	tg2.Policy = poolPolicy(nil, &networking.ConnectionPoolSettings_HTTPSettings{Http2MaxRequests: 3})
	held, err := holdUntilOverflow(t, rt, &tg2, 10)
	if len(held) != 3 || !errors.Is(err, ErrOverflow) {
		t.Errorf("new policy pointer: admitted %d then %v, want 3 then ErrOverflow", len(held), err)
	}
	want := []ClusterStats{{Cluster: "outbound|80||" + testHost, Requests: 4, Active: 3, Overflows: 2, Endpoints: 2}}
	if diff := cmp.Diff(want, rt.Stats(), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("counters survive the rebuild (-want +got):\n%s", diff)
	}
}

func TestSubsetSelectionAndEndpointChanges(t *testing.T) {
	eps := endpoints(4)
	eps[0].Labels = map[string]string{"version": "v1"}
	eps[1].Labels = map[string]string{"version": "v2"}
	eps[2].Labels = map[string]string{"version": "v2"}
	rt, _, reg := newTestRuntime(t, eps, lbPolicy(networking.LoadBalancerSettings_ROUND_ROBIN))
	tg := &Target{Host: testHost, Subset: "v2", Port: 80, SubsetLabels: map[string]string{"version": "v2"}, Policy: lbPolicy(networking.LoadBalancerSettings_ROUND_ROBIN)}
	if diff := cmp.Diff(map[string]int{addr(2): 5, addr(3): 5}, countPicks(t, rt, tg, &match.Request{}, 10)); diff != "" {
		t.Errorf("subset picks only its endpoints (-want +got):\n%s", diff)
	}
	eps[3].Labels = map[string]string{"version": "v2"}
	reg.Set(testHost, eps)
	if diff := cmp.Diff(map[string]int{addr(2): 4, addr(3): 4, addr(4): 4}, countPicks(t, rt, tg, &match.Request{}, 12)); diff != "" {
		t.Errorf("a registry update is picked up (-want +got):\n%s", diff)
	}
}

func TestUnregisteredHostDialledByName(t *testing.T) {
	rt := NewRuntime(nil)
	l, err := rt.Pick(&Target{Host: "api.example.com", Port: 443}, &match.Request{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(Result{Status: 200})
	if l.Addr != "api.example.com:443" || l.Endpoint.Address != "api.example.com" {
		t.Errorf("lease %q / %q, want the host name at the target port", l.Addr, l.Endpoint.Address)
	}
}

func TestWildcardServices(t *testing.T) {
	reg := subset.NewRegistry()
	reg.SetService(subset.Service{Host: "*.static.test", Ports: []subset.ServicePort{{Number: 80, Name: "http", TargetPort: 8080}},
		Endpoints: []subset.Endpoint{{Address: "10.9.9.9"}}})
	reg.SetService(subset.Service{Host: "*.external.test", Ports: []subset.ServicePort{{Number: 443, Name: "https", TargetPort: 8443}}, External: true})
	rt := NewRuntime(reg)
	tests := []struct {
		name string
		t    Target
		req  match.Request
		want string
	}{
		{"a wildcard service's endpoints serve the names it covers", Target{Host: "a.static.test", Port: 80}, match.Request{}, "10.9.9.9:8080"},
		{"a wildcard service without endpoints dials the name asked for at its target port", Target{Host: "api.external.test", Port: 443}, match.Request{}, "api.external.test:8443"},
		{"a wildcard destination dials the request's authority", Target{Host: "*.external.test", Port: 443}, match.Request{Authority: "b.external.test"}, "b.external.test:443"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := rt.Pick(&tc.t, &tc.req, nil)
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

func TestLoggerReportsEjections(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	od := &networking.OutlierDetection{Consecutive_5XxErrors: u32(1), MaxEjectionPercent: 100}
	rt, tg, _ := newTestRuntime(t, endpoints(2), outlierPolicy(od), WithLogger(log), WithClock(newFakeClock().Now))
	feed(t, rt, tg, addr(1), 1, Result{Status: 500})
	want := `level=INFO msg="outlier ejected endpoint" cluster=outbound|80||svc.test.svc.cluster.local endpoint=10.0.0.1:80 reason=consecutive5xxErrors for=30s ejections=1` + "\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestPickBadInput(t *testing.T) {
	rt, tg, _ := newTestRuntime(t, endpoints(2), hashPolicy(headerHash("x")))
	if _, err := rt.Pick(nil, &match.Request{}, nil); !errors.Is(err, ErrNoHealthyUpstream) {
		t.Errorf("nil target: %v, want ErrNoHealthyUpstream", err)
	}
	if _, err := rt.Pick(&Target{Port: 80}, &match.Request{}, nil); !errors.Is(err, ErrNoHealthyUpstream) {
		t.Errorf("target without host: %v, want ErrNoHealthyUpstream", err)
	}
	l, err := rt.Pick(tg, nil, nil)
	if err != nil {
		t.Errorf("nil request: %v, want a pick", err)
	}
	l.Release(Result{Status: 200})
	if _, ok := rt.AdmitRetry(nil); ok {
		t.Error("nil target admitted a retry")
	}
}
