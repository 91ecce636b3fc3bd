package routehttp

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
)

// checkResponse reads and closes resp's body and reports a status, body
// or header (canonical name → value; "" for absent) other than wanted.
func checkResponse(t *testing.T, resp *http.Response, wantStatus int, wantBody string, wantHeader map[string]string) {
	t.Helper()
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != wantStatus || string(b) != wantBody {
		t.Errorf("got %d %q, want %d %q", resp.StatusCode, b, wantStatus, wantBody)
	}
	checkHeaders(t, resp.Header, wantHeader)
}

// checkHeaders reports every header of want whose value in got differs
// ("" wants the header absent).
func checkHeaders(t *testing.T, got http.Header, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if g := got.Get(k); g != v {
			t.Errorf("header %s = %q, want %q", k, g, v)
		}
	}
}

// decideAlways makes every request get d.
func decideAlways(d route.Decision) Option {
	return func(c *config) {
		c.decide = func(_ *route.Table, _ *match.Request, dst *route.Decision) { *dst = d }
	}
}

// decideBy decides with f.
func decideBy(f func(*match.Request) route.Decision) Option {
	return func(c *config) {
		c.decide = func(_ *route.Table, r *match.Request, dst *route.Decision) { *dst = f(r) }
	}
}

// emptyTable is a table whose decisions the tests replace.
var emptyTable = func() *route.Table {
	t, err := route.Compile(&route.Config{})
	if err != nil {
		panic(err)
	}
	return t
}()

// routed returns a routed decision to host.
func routed(host string) route.Decision {
	return route.Decision{
		Action:      route.ActionRoute,
		Destination: route.Destination{Host: host, Port: 80},
		Target:      policy.Target{Host: host, Port: 80},
		Rule:        route.RuleRef{Index: 0},
	}
}

// seen is what one request looked like when it reached a backend.
type seen struct {
	Method string
	Path   string // request target as received (RequestURI)
	Host   string
	Header http.Header
	Body   string
}

// backend is a loopback server that records what arrives and answers as
// its behaviour function says for each attempt (1-based).
type backend struct {
	*httptest.Server
	attempts atomic.Int64
	mu       sync.Mutex
	got      []seen
	// behave answers attempt n; nil answers 200 "ok".
	behave func(n int, w http.ResponseWriter, r *http.Request)
}

func newBackend(t testing.TB, behave func(n int, w http.ResponseWriter, r *http.Request)) *backend {
	b := &backend{behave: behave}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(b.attempts.Add(1))
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.got = append(b.got, seen{Method: r.Method, Path: r.RequestURI, Host: r.Host, Header: r.Header.Clone(), Body: string(body)})
		b.mu.Unlock()
		if b.behave != nil {
			b.behave(n, w, r)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(b.Close)
	return b
}

// addr is the backend's host:port.
func (b *backend) addr() string { return strings.TrimPrefix(b.URL, "http://") }

func (b *backend) requests() []seen {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]seen(nil), b.got...)
}

// fakeEndpoints picks addresses per target host+subset in turn and
// records what it was asked.
type fakeEndpoints struct {
	mu       sync.Mutex
	addrs    map[string][]string // key: host|subset
	next     map[string]int
	err      error
	retries  int // retry slots; <0 unlimited
	admitted int
	avoided  [][]string
}

func newFakeEndpoints() *fakeEndpoints {
	return &fakeEndpoints{addrs: map[string][]string{}, next: map[string]int{}, retries: -1}
}

func (f *fakeEndpoints) add(host, subset string, addrs ...string) *fakeEndpoints {
	f.addrs[host+"|"+subset] = append(f.addrs[host+"|"+subset], addrs...)
	return f
}

func (f *fakeEndpoints) Pick(t *policy.Target, _ *match.Request, avoid []string) (policy.Lease, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.avoided = append(f.avoided, append([]string(nil), avoid...))
	if f.err != nil {
		return policy.Lease{}, f.err
	}
	k := t.Host + "|" + t.Subset
	as := f.addrs[k]
	if len(as) == 0 {
		return policy.Lease{}, policy.ErrNoHealthyUpstream
	}
	i := f.next[k]
	f.next[k] = i + 1
	for j := 0; j < len(as); j++ {
		a := as[(i+j)%len(as)]
		if !contains(avoid, a) {
			return policy.Lease{Addr: a}, nil
		}
	}
	return policy.Lease{Addr: as[i%len(as)]}, nil
}

func (f *fakeEndpoints) AdmitRetry(*policy.Target) (func(), bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.retries == 0 {
		return nil, false
	}
	if f.retries > 0 {
		f.retries--
	}
	f.admitted++
	return func() {}, true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// zeroRand makes backoff waits zero.
type zeroRand struct{}

func (zeroRand) Uint64() uint64 { return 0 }

// roundTrip sends req through rt and reads the whole response.
func roundTrip(t *testing.T, rt http.RoundTripper, req *http.Request) (int, http.Header, string) {
	t.Helper()
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func mustRequest(t testing.TB, method, url, body string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }
