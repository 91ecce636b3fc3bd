package routehttp

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
	"github.com/meshroute/meshroute/subset"
)

// faultsYAML routes reviews with the given rule fields and trafficPolicy.
func faultsYAML(rule, trafficPolicy string) string {
	return fmt.Sprintf(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews}}]
    %s
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy: %s
`, rule, trafficPolicy)
}

// answer is one response as a client saw it.
type answer struct {
	Status     int
	Body       string
	Overloaded string
}

// faultRig is a set of loopback backends behind a real policy runtime
// and a Transport whose upstream connections the test closes at the end.
type faultRig struct {
	client   *http.Client
	upstream *http.Transport
	ids      atomic.Int64 // numbers each request
}

func newFaultRig(t *testing.T, yaml string, backends ...*backend) *faultRig {
	reg := subset.NewRegistry()
	var eps []subset.Endpoint
	for _, b := range backends {
		eps = append(eps, endpointOf(t, b, "v1"))
	}
	reg.SetService(subset.Service{Host: reviewsHost, Ports: []subset.ServicePort{{Number: 9080, Name: "http"}}, Endpoints: eps})
	r := &faultRig{upstream: &http.Transport{MaxIdleConnsPerHost: 64}}
	tr := newTransport(compileYAML(t, yaml, route.WithDefaultRetries(false)), pickOnly{policy.NewRuntime(reg)}, newConfig([]Option{WithRand(zeroRand{})}))
	tr.base = r.upstream
	r.client = &http.Client{Transport: tr}
	t.Cleanup(r.upstream.CloseIdleConnections)
	return r
}

// load sends n requests from each of clients goroutines and returns the
// answers; a transport error is recorded as status 0 with the error.
func (r *faultRig) load(clients, n int) []answer {
	var mu sync.Mutex
	var out []answer
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				a := r.get()
				mu.Lock()
				out = append(out, a)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}

func (r *faultRig) get() answer {
	resp, err := r.client.Get(fmt.Sprintf("http://reviews:9080/?id=%d", r.ids.Add(1)))
	if err != nil {
		return answer{Body: err.Error()}
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return answer{resp.StatusCode, string(b), resp.Header.Get("X-Envoy-Overloaded")}
}

// tally counts answers by value.
func tally(as []answer) map[answer]int {
	m := map[answer]int{}
	for _, a := range as {
		m[a]++
	}
	return m
}

// inFlight counts requests inside a handler and remembers the peak.
type inFlight struct{ now, peak atomic.Int64 }

func (f *inFlight) enter() {
	n := f.now.Add(1)
	for {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

func (f *inFlight) leave() { f.now.Add(-1) }

// reset closes the connection without a response.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestFaultLoadResetsAreRetried(t *testing.T) {
	verifyNoLeaks(t)
	var resets atomic.Int64
	var seenIDs sync.Map
	// The first attempt of each request (told apart by its query) is
	// reset; the retry is answered.
	b := newBackend(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		if _, again := seenIDs.LoadOrStore(r.URL.RawQuery, true); !again {
			resets.Add(1)
			reset(w)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	rig := newFaultRig(t, faultsYAML(`retries: {attempts: 3, retryOn: "reset,connect-failure"}`, roundRobin), b)
	const clients, n = 8, 25
	got := tally(rig.load(clients, n))
	want := map[answer]int{{Status: 200, Body: "ok"}: clients * n}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("answers %v, want %v", got, want)
	}
	t.Logf("%d requests, %d resets, %d attempts", clients*n, resets.Load(), b.attempts.Load())
	if resets.Load() != clients*n {
		t.Errorf("%d resets, want one per request (%d)", resets.Load(), clients*n)
	}
}

func TestFaultLoadHangingBackendTimesOut(t *testing.T) {
	verifyNoLeaks(t)
	b := newBackend(t, func(_ int, _ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	rig := newFaultRig(t, faultsYAML(`timeout: 200ms`, roundRobin), b)
	const clients, n = 8, 3
	start := time.Now()
	got := tally(rig.load(clients, n))
	elapsed := time.Since(start)
	want := map[answer]int{{Status: 504, Body: BodyUpstreamTimeout}: clients * n}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("answers %v, want %v", got, want)
	}
	// 3 sequential rounds of a 200ms timeout: 0.6s, plus scheduling.
	if elapsed > 5*time.Second {
		t.Errorf("%d timed-out requests took %v; the 200ms route timeout should bound them", clients*n, elapsed)
	}
	t.Logf("%d requests to a hanging backend answered 504 in %v", clients*n, elapsed)
}

func TestFaultLoadSlowBackendWithinTimeoutAnswers(t *testing.T) {
	verifyNoLeaks(t)
	var flight inFlight
	b := newBackend(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		flight.enter()
		defer flight.leave()
		time.Sleep(20 * time.Millisecond)
		_, _ = io.WriteString(w, "slow")
	})
	rig := newFaultRig(t, faultsYAML(`timeout: 5s`, roundRobin), b)
	const clients, n = 8, 10
	got := tally(rig.load(clients, n))
	want := map[answer]int{{Status: 200, Body: "slow"}: clients * n}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("answers %v, want %v", got, want)
	}
	t.Logf("peak %d in flight at the slow backend", flight.peak.Load())
}

func TestFaultLoadCircuitBreakerHoldsItsLimit(t *testing.T) {
	verifyNoLeaks(t)
	const limit = 4
	var flight inFlight
	b := newBackend(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		flight.enter()
		defer flight.leave()
		time.Sleep(10 * time.Millisecond)
		_, _ = io.WriteString(w, "ok")
	})
	rig := newFaultRig(t, faultsYAML(``, fmt.Sprintf(`{connectionPool: {http: {http2MaxRequests: %d}}}`, limit)), b)
	const clients, n = 16, 10
	got := tally(rig.load(clients, n))
	ok := got[answer{Status: 200, Body: "ok"}]
	overflow := got[answer{Status: 503, Body: BodyOverflow, Overloaded: "true"}]
	t.Logf("%d requests: %d answered, %d overflowed, peak %d in flight at the backend (limit %d)", clients*n, ok, overflow, flight.peak.Load(), limit)
	if ok+overflow != clients*n {
		t.Errorf("answers %v: every request should be answered 200 or overflow with x-envoy-overloaded", got)
	}
	if p := flight.peak.Load(); p > limit {
		t.Errorf("peak %d requests in flight at the backend, over http2MaxRequests %d", p, limit)
	}
	if overflow == 0 || ok == 0 {
		t.Errorf("%d answered and %d overflowed; 16 clients on a limit of 4 should see both", ok, overflow)
	}
}

func TestFaultLoadOutlierDetectionStopsSendingToTheEjectedBackend(t *testing.T) {
	verifyNoLeaks(t)
	bad := newBackend(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) })
	good1, good2 := newBackend(t, answerName("ok")), newBackend(t, answerName("ok"))
	rig := newFaultRig(t, faultsYAML(``,
		`{loadBalancer: {simple: ROUND_ROBIN}, outlierDetection: {consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 1m, maxEjectionPercent: 100}}`),
		bad, good1, good2)
	const clients, n = 8, 25
	got := tally(rig.load(clients, n))
	// Until it is ejected the bad backend can take its 2 failures plus one
	// request from each client already on its way.
	if fails := got[answer{Status: 503, Body: ""}]; fails > 2+clients {
		t.Errorf("%d requests failed at the bad backend; it should be ejected after 2 (answers %v)", fails, got)
	}
	before := bad.attempts.Load()
	for i := 0; i < 30; i++ {
		if a := rig.get(); a.Status != 200 {
			t.Fatalf("request %d after the ejection got %+v", i, a)
		}
	}
	if after := bad.attempts.Load(); after != before {
		t.Errorf("the ejected backend got %d more requests", after-before)
	}
	t.Logf("bad backend saw %d of %d requests before ejection", before, clients*n)
}

// roundRobin is a traffic policy that sets nothing else.
const roundRobin = `{loadBalancer: {simple: ROUND_ROBIN}}`
