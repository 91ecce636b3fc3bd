package policy

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/subset"
)

// watchedServer is a loopback server that counts the connections it
// accepted and saw closed, and whose handler can be held at a gate.
type watchedServer struct {
	srv            *httptest.Server
	opened, closed atomic.Int64
	// arrived receives once per request that reached the handler, while
	// it has room; gate, when not nil, holds the handler until closed.
	arrived chan struct{}
	gate    chan struct{}
	// midBody, when not nil, holds every response after its first byte
	// (flushed) until closed, so the request stays in use meanwhile.
	midBody chan struct{}

	mu sync.Mutex
	// carriers is the set of client addresses (one per connection) that
	// carried a request.
	carriers map[string]bool
}

// newWatchedServer starts the server on 127.0.0.1; h2c also accepts
// HTTP/2 with prior knowledge. gate, when not nil, holds every request.
func newWatchedServer(t *testing.T, h2c bool, gate chan struct{}) *watchedServer {
	t.Helper()
	ws := &watchedServer{arrived: make(chan struct{}, 64), gate: gate, carriers: map[string]bool{}}
	ws.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws.mu.Lock()
		ws.carriers[r.RemoteAddr] = true
		ws.mu.Unlock()
		select {
		case ws.arrived <- struct{}{}:
		default: // nobody is counting arrivals
		}
		if ws.gate != nil {
			<-ws.gate
		}
		if ws.midBody != nil {
			io.WriteString(w, "o")
			w.(http.Flusher).Flush()
			<-ws.midBody
			io.WriteString(w, "k")
			return
		}
		io.WriteString(w, "ok")
	}))
	ws.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			ws.opened.Add(1)
		case http.StateClosed, http.StateHijacked:
			ws.closed.Add(1)
		}
	}
	if h2c {
		var p http.Protocols
		p.SetHTTP1(true)
		p.SetUnencryptedHTTP2(true)
		ws.srv.Config.Protocols = &p
	}
	ws.srv.Start()
	t.Cleanup(ws.srv.Close)
	return ws
}

// registry registers host with the server as its one endpoint.
func (ws *watchedServer) registry(t *testing.T, host string) *subset.Registry {
	t.Helper()
	h, p, err := net.SplitHostPort(ws.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	reg := subset.NewRegistry()
	reg.SetService(subset.Service{Host: host, Ports: []subset.ServicePort{{Number: 80, Name: "http"}},
		Endpoints: []subset.Endpoint{{Address: h, Port: uint32(port)}}})
	return reg
}

// conns returns the connections the server accepted and saw closed.
func (ws *watchedServer) conns() (opened, closed int64) { return ws.opened.Load(), ws.closed.Load() }

// carried returns how many connections carried a request.
func (ws *watchedServer) carried() int64 {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return int64(len(ws.carriers))
}

// waitAllClosed waits until the server saw every connection it accepted
// closed, and fails after 5s.
func (ws *watchedServer) waitAllClosed(t *testing.T, why string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		opened, closed := ws.conns()
		if opened > 0 && opened == closed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: server saw %d of %d connections closed, want all", why, closed, opened)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// verifyNoLeaks checks that no goroutine started since ignore is left
// but the server's accept loop, which the test's cleanup stops.
func verifyNoLeaks(t *testing.T, ignore goleak.Option) {
	t.Helper()
	goleak.VerifyNone(t, ignore, goleak.IgnoreAnyFunction("net/http/httptest.(*Server).goServe.func1"))
}

// started is one request sent the way an adapter does (pick, round trip
// through the cluster's transport) whose response is not read yet.
type started struct {
	lease Lease
	resp  *http.Response
	err   error
}

// start picks an endpoint for tg and sends a GET through rt's transport.
func start(rt *Runtime, tg *Target) started {
	l, err := rt.Pick(tg, &match.Request{}, nil)
	if err != nil {
		return started{err: err}
	}
	req, _ := http.NewRequest("GET", "http://"+l.Addr+"/", nil)
	resp, err := rt.Transport(tg).RoundTrip(req)
	return started{lease: l, resp: resp, err: err}
}

// finish reads the response, closes its body and releases the lease; it
// returns the body read.
func (s *started) finish(t *testing.T) string {
	t.Helper()
	if s.err != nil {
		t.Fatalf("request failed: %v", s.err)
	}
	b, err := io.ReadAll(s.resp.Body)
	s.resp.Body.Close()
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	s.lease.Release(Result{Status: s.resp.StatusCode})
	return string(b)
}

func TestCloseClosesIdleConnections(t *testing.T) {
	tests := []struct {
		name   string
		h2c    bool
		policy *networking.TrafficPolicy
		// wantConns is how many connections three concurrent requests open.
		wantConns int64
	}{
		{"default policy: HTTP/1.1, one connection per concurrent request", false, nil, 3},
		{"maxConnectionDuration: connections carry an age timer", false,
			poolPolicy(&networking.ConnectionPoolSettings_TCPSettings{MaxConnectionDuration: dur(time.Hour)}, nil), 3},
		{"maxRequestsPerConnection 5: connections count their requests", false,
			poolPolicy(nil, &networking.ConnectionPoolSettings_HTTPSettings{MaxRequestsPerConnection: 5}), 3},
		{"h2UpgradePolicy UPGRADE: one multiplexed h2c connection", true,
			poolPolicy(nil, &networking.ConnectionPoolSettings_HTTPSettings{H2UpgradePolicy: networking.ConnectionPoolSettings_HTTPSettings_UPGRADE}), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			gate := make(chan struct{})
			ws := newWatchedServer(t, tc.h2c, gate)
			rt := NewRuntime(ws.registry(t, "idle.test"))
			tg := &Target{Host: "idle.test", Port: 80, Policy: tc.policy}

			// three requests in flight at once, so HTTP/1.1 needs three
			// connections; they all end and go idle in the pool
			reqs := make([]started, 3)
			var wg sync.WaitGroup
			for i := range reqs {
				wg.Add(1)
				go func() { defer wg.Done(); reqs[i] = start(rt, tg) }()
				<-ws.arrived
			}
			close(gate)
			wg.Wait()
			for i := range reqs {
				if body := reqs[i].finish(t); body != "ok" {
					t.Fatalf("request %d: body %q, want ok", i, body)
				}
			}
			// net/http may dial a spare connection while a request waits
			// for one and close it unused when another frees up first, so
			// the test counts the connections that carried requests and
			// those left open, not those dialed.
			opened, closed := ws.conns()
			if diff := cmp.Diff([2]int64{tc.wantConns, tc.wantConns}, [2]int64{ws.carried(), opened - closed}); diff != "" {
				t.Fatalf("before Close, connections [carried a request, open] (-want +got):\n%s", diff)
			}

			if err := rt.Close(); err != nil {
				t.Fatalf("Close: %v, want nil", err)
			}
			ws.waitAllClosed(t, "after Close")
			if after, _ := ws.conns(); after != opened {
				t.Errorf("Close opened connections: %d in all, want the %d open before", after, opened)
			}
			verifyNoLeaks(t, ignore)
		})
	}
}

// sendThrough sends a GET to the lease's endpoint through tr, reads the
// body and returns it; the lease is left to the caller.
func sendThrough(t *testing.T, tr http.RoundTripper, l Lease) string {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+l.Addr+"/", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("round trip: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	return string(b)
}

// The old cluster's transport is still used after a policy change
// replaced it (an adapter took it just before the swap), so its
// connection goes idle after the rebuild closed the idle ones.
func retiredWithIdleConn(t *testing.T) (*watchedServer, *Runtime) {
	t.Helper()
	ws := newWatchedServer(t, false, nil)
	rt := NewRuntime(ws.registry(t, "swap.test"))
	old := &Target{Host: "swap.test", Port: 80, Policy: poolPolicy(&networking.ConnectionPoolSettings_TCPSettings{MaxConnections: 4}, nil)}
	l, err := rt.Pick(old, &match.Request{}, nil)
	if err != nil {
		t.Fatalf("Pick: %v", err)
	}
	tr := rt.Transport(old)
	renewed := *old
	renewed.Policy = poolPolicy(&networking.ConnectionPoolSettings_TCPSettings{MaxConnections: 8}, nil)
	if _, err := rt.TransportFor(&renewed); err != nil {
		t.Fatalf("TransportFor the new policy: %v", err)
	}
	if body := sendThrough(t, tr, l); body != "ok" {
		t.Fatalf("request through the replaced transport: body %q, want ok", body)
	}
	l.Release(Result{Status: 200})
	if opened, closed := ws.conns(); opened != 1 || closed != 0 {
		t.Fatalf("after the swap: %d connections opened, %d closed; want 1 left idle in the old transport", opened, closed)
	}
	return ws, rt
}

func TestCloseReleasesClustersReplacedByAPolicyChange(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	ws, rt := retiredWithIdleConn(t)
	if err := rt.Close(); err != nil {
		t.Fatalf("Close: %v, want nil", err)
	}
	ws.waitAllClosed(t, "the replaced cluster's idle connection after Close")
	verifyNoLeaks(t, ignore)
}

func TestALaterRebuildReleasesAndForgetsReplacedClusters(t *testing.T) {
	ws, rt := retiredWithIdleConn(t)
	rt.mu.Lock()
	before := len(rt.retired)
	rt.mu.Unlock()
	// any rebuild releases the replaced clusters whose leases are back
	if _, err := rt.TransportFor(&Target{Host: "other.test", Port: 80}); err != nil {
		t.Fatalf("TransportFor another cluster: %v", err)
	}
	ws.waitAllClosed(t, "the replaced cluster's idle connection after a later rebuild")
	rt.mu.Lock()
	after := len(rt.retired)
	rt.mu.Unlock()
	if diff := cmp.Diff([2]int{1, 0}, [2]int{before, after}); diff != "" {
		t.Errorf("replaced clusters kept [before after] the rebuild (-want +got):\n%s", diff)
	}
	rt.Close()
}

func TestCloseLetsRequestsInFlightFinish(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	gate := make(chan struct{})
	ws := newWatchedServer(t, false, gate)
	rt := NewRuntime(ws.registry(t, "busy.test"))
	tg := &Target{Host: "busy.test", Port: 80}

	var inFlight started
	done := make(chan struct{})
	go func() { inFlight = start(rt, tg); close(done) }()
	<-ws.arrived
	if err := rt.Close(); err != nil {
		t.Fatalf("Close: %v, want nil", err)
	}
	close(gate)
	<-done
	if body := inFlight.finish(t); body != "ok" {
		t.Fatalf("request in flight during Close: body %q, want ok", body)
	}
	ws.waitAllClosed(t, "after the request in flight during Close ended")
	verifyNoLeaks(t, ignore)
}

// A request whose response is still streaming at Close: Close cannot
// close its connection, which is in use. Over HTTP/1.1 net/http closes
// it as soon as the body ends, because Close called
// CloseIdleConnections; over h2c the connection stays open once its
// stream ends, and the lease released afterwards closes it.
func TestAConnectionInUseAtCloseIsClosedOnceItEnds(t *testing.T) {
	h2c := poolPolicy(nil, &networking.ConnectionPoolSettings_HTTPSettings{H2UpgradePolicy: networking.ConnectionPoolSettings_HTTPSettings_UPGRADE})
	tests := []struct {
		name   string
		h2c    bool
		policy *networking.TrafficPolicy
		// closedByRelease: the connection outlives its body and is
		// closed by the lease's Release.
		closedByRelease bool
	}{
		{"HTTP/1.1: net/http closes the connection when its body ends", false, nil, false},
		{"h2c: the lease released after Close closes the connection", true, h2c, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			ws := newWatchedServer(t, tc.h2c, nil)
			ws.midBody = make(chan struct{})
			rt := NewRuntime(ws.registry(t, "late.test"))
			tg := &Target{Host: "late.test", Port: 80, Policy: tc.policy}

			s := start(rt, tg) // the response has begun; its body is not done
			if s.err != nil {
				t.Fatalf("request before Close: %v", s.err)
			}
			if err := rt.Close(); err != nil {
				t.Fatalf("Close: %v, want nil", err)
			}
			close(ws.midBody)
			b, err := io.ReadAll(s.resp.Body)
			s.resp.Body.Close()
			if err != nil || string(b) != "ok" {
				t.Fatalf("body read after Close: %q, %v; want ok", b, err)
			}
			if tc.closedByRelease {
				// give a transport that closes it anyway time to show
				time.Sleep(50 * time.Millisecond)
				if opened, closed := ws.conns(); opened != 1 || closed != 0 {
					t.Fatalf("before Release: %d connections opened, %d closed; want 1 open", opened, closed)
				}
			} else {
				ws.waitAllClosed(t, "after the body was read")
			}
			s.lease.Release(Result{Status: s.resp.StatusCode})
			ws.waitAllClosed(t, "after the lease was released")
			verifyNoLeaks(t, ignore)
		})
	}
}

// trackedBody is a request body that records being closed.
type trackedBody struct {
	io.Reader
	closed atomic.Bool
}

func (b *trackedBody) Close() error { b.closed.Store(true); return nil }

// A RoundTripper taken from the runtime before Close and used after it,
// with or without a lease, fails with ErrClosed and connects to nothing;
// the connection it made before Close is closed by Close.
func TestARoundTripperTakenBeforeCloseFailsAfterIt(t *testing.T) {
	tests := []struct {
		name   string
		policy *networking.TrafficPolicy
		lease  bool
	}{
		{"default policy, no lease", nil, false},
		{"default policy, picked before Close", nil, true},
		{"maxRequestsPerConnection and maxConnectionDuration (connection limiter), no lease",
			poolPolicy(&networking.ConnectionPoolSettings_TCPSettings{MaxConnectionDuration: dur(time.Hour)},
				&networking.ConnectionPoolSettings_HTTPSettings{MaxRequestsPerConnection: 5}), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			ws := newWatchedServer(t, false, nil)
			rt := NewRuntime(ws.registry(t, "kept.test"))
			tg := &Target{Host: "kept.test", Port: 80, Policy: tc.policy}
			tr, err := rt.TransportFor(tg)
			if err != nil {
				t.Fatalf("TransportFor: %v", err)
			}
			client := &http.Client{Transport: tr}
			resp, err := client.Get(ws.srv.URL)
			if err != nil {
				t.Fatalf("request before Close: %v", err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			var l Lease
			if tc.lease {
				if l, err = rt.Pick(tg, &match.Request{}, nil); err != nil {
					t.Fatalf("Pick: %v", err)
				}
			}

			if err := rt.Close(); err != nil {
				t.Fatalf("Close: %v, want nil", err)
			}
			ws.waitAllClosed(t, "the connection made before Close, after Close")
			body := &trackedBody{Reader: strings.NewReader("payload")}
			req, _ := http.NewRequest("POST", ws.srv.URL, body)
			resp, err = tr.RoundTrip(req)
			if resp != nil {
				resp.Body.Close()
			}
			_, clientErr := client.Get(ws.srv.URL)
			l.Release(Result{LocalOrigin: true, Err: err})

			type outcome struct {
				RoundTripClosed, BodyClosed, ClientClosed bool
				Opened                                    int64
			}
			opened, _ := ws.conns()
			got := outcome{errors.Is(err, ErrClosed) && resp == nil, body.closed.Load(), errors.Is(clientErr, ErrClosed), opened}
			want := outcome{RoundTripClosed: true, BodyClosed: true, ClientClosed: true, Opened: 1}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("round trips after Close through a RoundTripper from before it (-want +got):\n%s", diff)
			}
			verifyNoLeaks(t, ignore)
		})
	}
}

func TestCallsAfterCloseFailWithErrClosed(t *testing.T) {
	ws := newWatchedServer(t, false, nil)
	rt := NewRuntime(ws.registry(t, "used.test"))
	used := &Target{Host: "used.test", Port: 80}
	s := start(rt, used)
	if body := s.finish(t); body != "ok" {
		t.Fatalf("request before Close: body %q, want ok", body)
	}
	if err := rt.Close(); err != nil {
		t.Fatalf("Close: %v, want nil", err)
	}

	type outcome struct {
		PickClosed, AdmitRetryOK        bool
		TransportForClosed, RoundTripOK bool
		RoundTripClosed                 bool
	}
	tests := []struct {
		name string
		tg   *Target
	}{
		{"a cluster that served requests before Close", used},
		{"a cluster the runtime never saw", &Target{Host: "new.test", Port: 8080}},
		{"a known cluster under a new policy", &Target{Host: "used.test", Port: 80, Policy: poolPolicy(nil, nil)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got outcome
			_, err := rt.Pick(tc.tg, &match.Request{}, nil)
			got.PickClosed = errors.Is(err, ErrClosed)
			_, got.AdmitRetryOK = rt.AdmitRetry(tc.tg)
			tr, err := rt.TransportFor(tc.tg)
			got.TransportForClosed = errors.Is(err, ErrClosed) && tr == nil
			req, _ := http.NewRequest("GET", ws.srv.URL, nil)
			resp, err := rt.Transport(tc.tg).RoundTrip(req)
			if resp != nil {
				resp.Body.Close()
			}
			got.RoundTripOK, got.RoundTripClosed = err == nil, errors.Is(err, ErrClosed)
			want := outcome{PickClosed: true, TransportForClosed: true, RoundTripClosed: true}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("after Close (-want +got):\n%s", diff)
			}
		})
	}
	if opened, _ := ws.conns(); opened != 1 {
		t.Errorf("the server accepted %d connections, want only the one from before Close", opened)
	}
	var requests uint64
	for _, s := range rt.Stats() {
		if s.Cluster == used.Key() {
			requests = s.Requests
		}
	}
	if requests != 1 {
		t.Errorf("Stats after Close: %s served %d requests, want the 1 from before Close", used.Key(), requests)
	}
}

func TestCloseTwiceAndConcurrentlyWithTraffic(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	ws := newWatchedServer(t, false, nil)
	rt := NewRuntime(ws.registry(t, "race.test"))
	tg := &Target{Host: "race.test", Port: 80, Policy: poolPolicy(&networking.ConnectionPoolSettings_TCPSettings{MaxConnectionDuration: dur(time.Hour)}, nil)}

	var served, refused atomic.Int64
	stop := make(chan struct{})
	var senders sync.WaitGroup
	for range 8 {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				s := start(rt, tg)
				switch {
				case errors.Is(s.err, ErrClosed):
					s.lease.Release(Result{LocalOrigin: true, Err: s.err}) // a zero lease when Pick refused
					refused.Add(1)
					continue
				case s.err != nil:
					t.Errorf("a request failed with %v, want success or ErrClosed", s.err)
					return
				}
				io.Copy(io.Discard, s.resp.Body)
				s.resp.Body.Close()
				s.lease.Release(Result{Status: s.resp.StatusCode})
				served.Add(1)
			}
		}()
	}
	for served.Load() < 50 {
		time.Sleep(time.Millisecond)
	}
	errs := make(chan error, 4)
	var closers sync.WaitGroup
	for range 4 {
		closers.Add(1)
		go func() { defer closers.Done(); errs <- rt.Close() }()
	}
	closers.Wait()
	for refused.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(stop)
	senders.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Close: %v, want nil", err)
		}
	}
	ws.waitAllClosed(t, "after concurrent Close")
	if err := rt.Close(); err != nil {
		t.Errorf("second Close: %v, want nil", err)
	}
	if _, err := rt.Pick(tg, nil, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Pick after the second Close: %v, want ErrClosed", err)
	}
	if opened, closed := ws.conns(); opened != closed {
		t.Errorf("after the second Close the server saw %d of %d connections closed", closed, opened)
	}
	verifyNoLeaks(t, ignore)
}

// Close also closes the idle connections of the transports a cluster
// keeps for callers' own TLS server names (TransportNamed).
func TestCloseClosesNamedTransportsIdleConnections(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	ws := newWatchedServer(t, false, nil)
	rt := NewRuntime(ws.registry(t, "named.test"))
	tg := &Target{Host: "named.test", Port: 80}
	l, err := rt.Pick(tg, &match.Request{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://"+l.Addr+"/", nil)
	resp, err := rt.TransportNamed(tg, "caller.example.test").RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	l.Release(Result{Status: resp.StatusCode})
	if opened, closed := ws.conns(); string(b) != "ok" || opened != 1 || closed != 0 {
		t.Fatalf("before Close: body %q, %d connections opened, %d closed; want ok and 1 idle", b, opened, closed)
	}
	if err := rt.Close(); err != nil {
		t.Fatal(err)
	}
	ws.waitAllClosed(t, "after Close")
	verifyNoLeaks(t, ignore)
}

// TransportNamed keeps one transport per server name, and sends through
// the cluster's own transport what needs no name of its own.
func TestTransportNamed(t *testing.T) {
	rt := NewRuntime(subset.NewRegistry())
	defer rt.Close()
	tg := &Target{Host: "api.example.test", Port: 443}
	simple := &Target{Host: "api.example.test", Port: 8443, Policy: &networking.TrafficPolicy{Tls: &networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_SIMPLE}}}
	base := rt.Transport(tg)
	a, b := rt.TransportNamed(tg, "a.example.test"), rt.TransportNamed(tg, "b.example.test")
	tests := []struct {
		name string
		got  http.RoundTripper
		want http.RoundTripper
		same bool
	}{
		{"one transport per name", rt.TransportNamed(tg, "a.example.test"), a, true},
		{"another name, another transport", b, a, false},
		{"names other than the host's have their own", a, base, false},
		{"the host's own name: the cluster's transport", rt.TransportNamed(tg, "API.example.test"), base, true},
		{"no name: the cluster's transport", rt.TransportNamed(tg, ""), base, true},
		{"an address: the cluster's transport", rt.TransportNamed(tg, "10.0.0.7"), base, true},
		{"a policy that originates TLS names its own server", rt.TransportNamed(simple, "a.example.test"), rt.Transport(simple), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if (tc.got == tc.want) != tc.same {
				t.Errorf("same transport: %v, want %v", tc.got == tc.want, tc.same)
			}
		})
	}
	if ct, ok := a.(*clusterTransport); !ok || ct.tr.TLSClientConfig.ServerName != "a.example.test" {
		t.Errorf("named transport %T does not name a.example.test", a)
	}
}
