package policy

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	networking "istio.io/api/networking/v1alpha3"
)

func TestDialer(t *testing.T) {
	tests := []struct {
		name string
		tcp  *networking.ConnectionPoolSettings_TCPSettings
		want net.Dialer
	}{
		{"connectTimeout defaults to 10s", nil, net.Dialer{Timeout: 10 * time.Second}},
		{"connectTimeout is the dial timeout", &networking.ConnectionPoolSettings_TCPSettings{ConnectTimeout: dur(250 * time.Millisecond)}, net.Dialer{Timeout: 250 * time.Millisecond}},
		{"tcpKeepalive sets probes, time and interval", &networking.ConnectionPoolSettings_TCPSettings{TcpKeepalive: &networking.ConnectionPoolSettings_TCPSettings_TcpKeepalive{
			Probes: 3, Time: dur(60 * time.Second), Interval: dur(5 * time.Second)}},
			net.Dialer{Timeout: 10 * time.Second, KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: 60 * time.Second, Interval: 5 * time.Second, Count: 3}}},
		{"tcpKeepalive fields left unset keep the OS defaults", &networking.ConnectionPoolSettings_TCPSettings{TcpKeepalive: &networking.ConnectionPoolSettings_TCPSettings_TcpKeepalive{Probes: 4}},
			net.Dialer{Timeout: 10 * time.Second, KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: -1, Interval: -1, Count: 4}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Dialer(poolPolicy(tc.tcp, nil))
			if diff := cmp.Diff(tc.want, *got, cmp.Comparer(func(a, b net.Dialer) bool {
				return a.Timeout == b.Timeout && a.KeepAliveConfig == b.KeepAliveConfig
			})); diff != "" {
				t.Errorf("Dialer (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewTransportSettings(t *testing.T) {
	type knobs struct {
		MaxConnsPerHost   int
		IdleConnTimeout   time.Duration
		DisableKeepAlives bool
		HTTP2Only         bool
		PingInterval      time.Duration
	}
	tests := []struct {
		name string
		p    *networking.TrafficPolicy
		want knobs
	}{
		{"defaults: unlimited connections, 1h idle timeout", nil, knobs{IdleConnTimeout: time.Hour}},
		{"maxConnections caps connections per host", poolPolicy(&networking.ConnectionPoolSettings_TCPSettings{MaxConnections: 7}, nil), knobs{MaxConnsPerHost: 7, IdleConnTimeout: time.Hour}},
		{"http idleTimeout wins over tcp idleTimeout", poolPolicy(&networking.ConnectionPoolSettings_TCPSettings{IdleTimeout: dur(time.Minute)},
			&networking.ConnectionPoolSettings_HTTPSettings{IdleTimeout: dur(5 * time.Second)}), knobs{IdleConnTimeout: 5 * time.Second}},
		{"tcp idleTimeout applies when http has none", poolPolicy(&networking.ConnectionPoolSettings_TCPSettings{IdleTimeout: dur(time.Minute)}, nil), knobs{IdleConnTimeout: time.Minute}},
		{"idleTimeout 0s disables the idle timeout", poolPolicy(&networking.ConnectionPoolSettings_TCPSettings{IdleTimeout: dur(0)}, nil), knobs{}},
		{"maxRequestsPerConnection 1 disables keep-alive", poolPolicy(nil, &networking.ConnectionPoolSettings_HTTPSettings{MaxRequestsPerConnection: 1}), knobs{IdleConnTimeout: time.Hour, DisableKeepAlives: true}},
		{"h2UpgradePolicy UPGRADE speaks HTTP/2 only, h2c in plaintext", poolPolicy(nil, &networking.ConnectionPoolSettings_HTTPSettings{H2UpgradePolicy: networking.ConnectionPoolSettings_HTTPSettings_UPGRADE}),
			knobs{IdleConnTimeout: time.Hour, HTTP2Only: true}},
		{"http2KeepAlive sends pings", poolPolicy(nil, &networking.ConnectionPoolSettings_HTTPSettings{Http2KeepAlive: &networking.ConnectionPoolSettings_HTTPSettings_ConnectionKeepalive{Interval: dur(20 * time.Second), Timeout: dur(3 * time.Second)}}),
			knobs{IdleConnTimeout: time.Hour, PingInterval: 20 * time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := NewTransport(tc.p, "h")
			if err != nil {
				t.Fatal(err)
			}
			got := knobs{MaxConnsPerHost: tr.MaxConnsPerHost, IdleConnTimeout: tr.IdleConnTimeout, DisableKeepAlives: tr.DisableKeepAlives}
			if tr.Protocols != nil {
				got.HTTP2Only = tr.Protocols.UnencryptedHTTP2() && !tr.Protocols.HTTP1()
			}
			if tr.HTTP2 != nil {
				got.PingInterval = tr.HTTP2.SendPingTimeout
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("transport (-want +got):\n%s", diff)
			}
		})
	}
}

// connCountingServer counts the connections it accepted.
func connCountingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestMaxRequestsPerConnection(t *testing.T) {
	for _, tc := range []struct {
		name      string
		perConn   int32
		requests  int
		wantConns int64
	}{
		{"unset: one keep-alive connection carries every request", 0, 6, 1},
		{"1: a new connection per request", 1, 6, 6},
		{"2: a connection is closed after its second request", 2, 6, 3},
		{"3: a connection is closed after its third request", 3, 6, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, conns := connCountingServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
			rt := NewRuntime(nil)
			tr := rt.Transport(&Target{Host: "h.test", Port: 80, Policy: poolPolicy(nil, &networking.ConnectionPoolSettings_HTTPSettings{MaxRequestsPerConnection: tc.perConn})})
			client := &http.Client{Transport: tr}
			for i := 0; i < tc.requests; i++ {
				resp, err := client.Get(srv.URL)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if got := conns.Load(); got != tc.wantConns {
				t.Errorf("connections = %d, want %d", got, tc.wantConns)
			}
		})
	}
}

func TestMaxConnectionsQueuesRequests(t *testing.T) {
	var mu sync.Mutex
	open, peak := 0, 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		mu.Lock()
		defer mu.Unlock()
		switch s {
		case http.StateNew:
			open++
			peak = max(peak, open)
		case http.StateClosed, http.StateHijacked:
			open--
		}
	}
	srv.Start()
	defer srv.Close()
	rt := NewRuntime(nil)
	client := &http.Client{Transport: rt.Transport(&Target{Host: "h.test", Port: 80, Policy: poolPolicy(&networking.ConnectionPoolSettings_TCPSettings{MaxConnections: 2}, nil)})}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Get(srv.URL)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if peak > 2 {
		t.Errorf("peak open connections %d, want at most maxConnections 2", peak)
	}
}

func TestTransportPerClusterAndPolicy(t *testing.T) {
	rt := NewRuntime(nil)
	p := poolPolicy(&networking.ConnectionPoolSettings_TCPSettings{MaxConnections: 1}, nil)
	a := rt.Transport(&Target{Host: "a.test", Port: 80, Policy: p})
	if b := rt.Transport(&Target{Host: "a.test", Port: 80, Policy: p}); b != a {
		t.Error("same cluster and policy built a second transport")
	}
	if c := rt.Transport(&Target{Host: "b.test", Port: 80, Policy: p}); c == a {
		t.Error("another cluster shares the transport")
	}
	if d := rt.Transport(&Target{Host: "a.test", Port: 80, Policy: poolPolicy(nil, nil)}); d == a {
		t.Error("a new policy pointer kept the old transport")
	}
}

func TestTransportConfigError(t *testing.T) {
	rt := NewRuntime(nil)
	tg := &Target{Host: "a.test", Port: 80, Policy: &networking.TrafficPolicy{Tls: &networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_ISTIO_MUTUAL}}}
	if _, err := rt.TransportFor(tg); err == nil || !strings.Contains(err.Error(), "ISTIO_MUTUAL") {
		t.Errorf("TransportFor error = %v, want the ISTIO_MUTUAL explanation", err)
	}
	req, _ := http.NewRequest("GET", "http://a.test/", nil)
	if _, err := rt.Transport(tg).RoundTrip(req); err == nil || !strings.Contains(err.Error(), "ISTIO_MUTUAL") {
		t.Errorf("RoundTrip error = %v, want the ISTIO_MUTUAL explanation", err)
	}
}

func TestMaxConnectionDuration(t *testing.T) {
	srv, conns := connCountingServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	rt := NewRuntime(nil)
	tr := rt.Transport(&Target{Host: "h.test", Port: 80, Policy: poolPolicy(&networking.ConnectionPoolSettings_TCPSettings{MaxConnectionDuration: dur(50 * time.Millisecond)}, nil)})
	client := &http.Client{Transport: tr}
	get := func() {
		resp, err := client.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	get()
	get()
	if got := conns.Load(); got != 1 {
		t.Fatalf("within maxConnectionDuration: %d connections, want 1 reused", got)
	}
	time.Sleep(120 * time.Millisecond)
	get()
	if got := conns.Load(); got != 2 {
		t.Errorf("after maxConnectionDuration: %d connections, want a new one (2)", got)
	}
}

// TestTransportForDuringRebuilds asks for one cluster's transport under
// two policies from two goroutines at once, so that each call replaces
// (and retires) the cluster the other one may be building its transport
// for. Every transport handed out must serve a request; a caller whose
// cluster was replaced twice before its transport was built gets
// errRetired. Under -race, retiring a cluster must not race with the
// build of its transport.
func TestTransportForDuringRebuilds(t *testing.T) {
	ws := newWatchedServer(t, false, nil)
	rt := NewRuntime(ws.registry(t, "flip.test"))
	defer rt.Close()
	policies := []*networking.TrafficPolicy{
		poolPolicy(&networking.ConnectionPoolSettings_TCPSettings{MaxConnections: 1}, nil),
		poolPolicy(&networking.ConnectionPoolSettings_TCPSettings{MaxConnections: 2}, nil),
	}
	var served, retired atomic.Int64
	var wg sync.WaitGroup
	for _, p := range policies {
		wg.Go(func() {
			tg := &Target{Host: "flip.test", Port: 80, Policy: p}
			for range 200 {
				tr, err := rt.TransportFor(tg)
				if errors.Is(err, errRetired) {
					retired.Add(1)
					continue
				}
				if err != nil {
					t.Errorf("TransportFor: %v, want a transport or errRetired", err)
					return
				}
				req, _ := http.NewRequest("GET", ws.srv.URL, nil)
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Errorf("round trip through a transport just handed out: %v", err)
					return
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || string(b) != "ok" {
					t.Errorf("body %q, %v; want ok", b, err)
					return
				}
				served.Add(1)
			}
		})
	}
	wg.Wait()
	if got := served.Load() + retired.Load(); got != 400 {
		t.Errorf("%d served and %d retired, want the 400 calls accounted for", served.Load(), retired.Load())
	}
	if served.Load() == 0 {
		t.Error("no transport served a request")
	}
}

// A transport without a DestinationRule tls block carries a caller's own
// https request to the destination host by name (SNI and verification),
// unless that host is a wildcard or an address.
func TestNewTransportServerNameWithoutTLSSettings(t *testing.T) {
	disable := &networking.TrafficPolicy{Tls: &networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_DISABLE}}
	tests := []struct {
		name   string
		policy *networking.TrafficPolicy
		host   string
		want   string // "" for no TLS configuration
	}{
		{"a host name is the server name", nil, "api.example.test", "api.example.test"},
		{"tls DISABLE is no tls block: the host name still is", disable, "api.example.test", "api.example.test"},
		{"a wildcard host names no server", nil, "*.example.test", ""},
		{"an address is no server name", nil, "10.0.0.7", ""},
		{"nor is an IPv6 address", nil, "2001:db8::1", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := NewTransport(tc.policy, tc.host)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if tr.TLSClientConfig != nil {
				got = tr.TLSClientConfig.ServerName
			}
			if got != tc.want {
				t.Errorf("server name %q, want %q", got, tc.want)
			}
		})
	}
}
