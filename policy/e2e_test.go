package policy

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/subset"
)

// backend is a real loopback server answering status and counting hits.
type backend struct {
	srv    *httptest.Server
	hits   atomic.Int64
	status atomic.Int64
}

func newBackend(t *testing.T, status int) *backend {
	b := &backend{}
	b.status.Store(int64(status))
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.hits.Add(1)
		w.WriteHeader(int(b.status.Load()))
	}))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *backend) endpoint(t *testing.T) subset.Endpoint {
	host, port, err := net.SplitHostPort(b.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return subset.Endpoint{Address: host, Port: uint32(p)}
}

// send carries one request the way an adapter does: pick, round trip
// through the cluster's transport, release with the outcome.
func send(t *testing.T, rt *Runtime, tg *Target) (int, error) {
	t.Helper()
	l, err := rt.Pick(tg, &match.Request{}, nil)
	if err != nil {
		return 0, err
	}
	req, _ := http.NewRequest("GET", "http://"+l.Addr+"/", nil)
	resp, err := rt.Transport(tg).RoundTrip(req)
	if err != nil {
		l.Release(Result{LocalOrigin: true, Err: err})
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	l.Release(Result{Status: resp.StatusCode})
	return resp.StatusCode, nil
}

func TestEndToEndOutlierEjectionWithRealBackends(t *testing.T) {
	good1, bad, good2 := newBackend(t, 200), newBackend(t, 503), newBackend(t, 200)
	reg := subset.NewRegistry()
	reg.SetService(subset.Service{Host: "api.test", Ports: []subset.ServicePort{{Number: 80, Name: "http"}},
		Endpoints: []subset.Endpoint{good1.endpoint(t), bad.endpoint(t), good2.endpoint(t)}})
	clk := newFakeClock()
	rt := NewRuntime(reg, WithClock(clk.Now))
	tg := &Target{Host: "api.test", Port: 80, Policy: &networking.TrafficPolicy{
		LoadBalancer:     simpleLB(networking.LoadBalancerSettings_ROUND_ROBIN),
		OutlierDetection: &networking.OutlierDetection{Consecutive_5XxErrors: u32(2), MaxEjectionPercent: 50, BaseEjectionTime: dur(30 * time.Second)},
	}}
	for i := 0; i < 30; i++ {
		if _, err := send(t, rt, tg); err != nil {
			t.Fatal(err)
		}
	}
	// round robin 1,2,3,1,2: the failing backend answers its 2nd request
	// (the 5th overall) and is ejected; the 25 others alternate from the
	// first healthy backend: 13 and 12
	got := []int64{good1.hits.Load(), bad.hits.Load(), good2.hits.Load()}
	if diff := cmp.Diff([]int64{2 + 13, 2, 1 + 12}, got); diff != "" {
		t.Errorf("backend hits (-want +got):\n%s", diff)
	}
	bad.status.Store(200) // it recovers; after its ejection time it is back
	clk.Advance(40 * time.Second)
	for i := 0; i < 30; i++ {
		if _, err := send(t, rt, tg); err != nil {
			t.Fatal(err)
		}
	}
	if h := bad.hits.Load(); h != 12 {
		t.Errorf("recovered backend got %d hits in all, want 2 + 10 after its return", h)
	}
}

func TestEndToEndCircuitBreakerWithRealBackend(t *testing.T) {
	release := make(chan struct{})
	var inflight, peak atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
	}))
	defer srv.Close()
	host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	reg := subset.NewRegistry()
	reg.Set("slow.test", []subset.Endpoint{{Address: host, Port: uint32(p)}})
	rt := NewRuntime(reg)
	tg := &Target{Host: "slow.test", Port: 80, Policy: poolPolicy(nil, &networking.ConnectionPoolSettings_HTTPSettings{Http2MaxRequests: 3})}
	type outcome struct {
		status int
		err    error
	}
	results := make(chan outcome, 10)
	for i := 0; i < 10; i++ {
		go func() {
			s, err := send(t, rt, tg)
			results <- outcome{s, err}
		}()
	}
	overflows := 0
	deadline := time.After(5 * time.Second)
	for overflows < 7 {
		select {
		case o := <-results:
			if o.err != ErrOverflow {
				t.Fatalf("an early result was %v/%d, want ErrOverflow", o.err, o.status)
			}
			overflows++
		case <-deadline:
			t.Fatalf("only %d of 7 expected overflows", overflows)
		}
	}
	close(release)
	for i := 0; i < 3; i++ {
		if o := <-results; o.err != nil || o.status != 200 {
			t.Errorf("admitted request ended %v/%d, want 200", o.err, o.status)
		}
	}
	if pk := peak.Load(); pk > 3 {
		t.Errorf("backend saw %d concurrent requests, want at most 3", pk)
	}
}
