package routehttp

import (
	"context"
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
	"github.com/meshroute/meshroute/subset"
)

// handoffs are the ways Middleware can hand a request over.
var handoffs = []struct {
	name string
	h    Handoff
}{{"copy", HandoffCopy}, {"pooled", HandoffPooled}, {"none", HandoffNone}}

// benchDecision is the bench table's decision for path: a plain route
// for "/", one with response header operations for "/headers".
func benchDecision(t testing.TB, path string) route.Decision {
	t.Helper()
	tbl := compileYAML(t, benchYAML, route.WithDefaultTimeout(0))
	view := match.FromHTTP(httptest.NewRequest("GET", "http://reviews"+path, nil))
	return tbl.Decide(&view)
}

// TestMiddlewareAllocs pins the adapter's allocations per routed request,
// Table.Decide replaced by a fixed decision: none without a timeout under
// HandoffPooled and HandoffNone, the one handoff under HandoffCopy; a route
// timeout adds one context.WithTimeout, and response header operations
// the value slices route.HeaderOps.Apply sets.
func TestMiddlewareAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops pooled state at random")
	}
	withTimeout := testing.AllocsPerRun(100, func() {
		_, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		cancel()
	})
	plain := benchDecision(t, "/")
	timed := plain
	timed.Timeout = 15 * time.Second
	ops := benchDecision(t, "/headers")
	if ops.ResponseHeaders.Empty() {
		t.Fatal("the /headers route has no response header operations")
	}
	const applyAllocs = 1 // HeaderOps.Apply's []string{value} for the one set
	for _, mode := range handoffs {
		handoff := 0.0 // what handing the request over allocates
		if mode.h == HandoffCopy {
			handoff = 1
		}
		reqCopy := handoff // a timeout's context needs a request copy
		if mode.h == HandoffNone {
			reqCopy = 1
		}
		for _, tc := range []struct {
			name, path string
			d          route.Decision
			want       float64
		}{
			{"routed, no timeout", "/", plain, handoff},
			{"routed, route timeout", "/", timed, reqCopy + withTimeout},
			{"routed, response header ops", "/headers", ops, handoff + applyAllocs},
		} {
			t.Run(mode.name+"/"+tc.name, func(t *testing.T) {
				h := Middleware(emptyTable, WithHandoff(mode.h), decideAlways(tc.d))(okHandler)
				rec := httptest.NewRecorder()
				rec.Body = nil
				req := httptest.NewRequest("GET", "http://reviews"+tc.path, nil)
				if got := testing.AllocsPerRun(200, func() { h.ServeHTTP(rec, req) }); got != tc.want {
					t.Errorf("allocs per request = %v, want %v", got, tc.want)
				}
			})
		}
	}
}

// ruleFor decides each request on its own rule, named after its path;
// paths under /timed/ get a route timeout.
func ruleFor(r *match.Request) route.Decision {
	d := routed("a")
	d.Rule.Name = r.Path
	if strings.HasPrefix(r.Path, "/timed/") {
		d.Timeout = 10 * time.Second
	}
	return d
}

type testKey struct{}

// TestMiddlewareDecisionFromUnderLoad sends concurrent requests, each
// decided on a rule of its own, and has every handler read its decision
// from the request's context and from contexts derived from it: each must
// find its own, under every handoff but HandoffNone, which publishes none.
func TestMiddlewareDecisionFromUnderLoad(t *testing.T) {
	for _, mode := range handoffs {
		t.Run(mode.name, func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ctx := r.Context()
				derived, cancel := context.WithCancel(context.WithValue(ctx, testKey{}, 1))
				defer cancel()
				for _, c := range []context.Context{ctx, derived} {
					d, ok := DecisionFrom(c)
					if !ok {
						_, _ = io.WriteString(w, "none")
						return
					}
					if d.Rule.Name != r.URL.Path {
						_, _ = io.WriteString(w, "wrong decision "+d.Rule.Name)
						return
					}
				}
				_, _ = io.WriteString(w, "ok")
			})
			srv := httptest.NewServer(Middleware(emptyTable, WithHandoff(mode.h), decideBy(ruleFor))(h))
			defer srv.Close()
			want := "ok"
			if mode.h == HandoffNone {
				want = "none"
			}
			var wg sync.WaitGroup
			for c := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 40 {
						path := "/p/"
						if i%2 == 1 {
							path = "/timed/"
						}
						path += string(rune('a'+c)) + strings.Repeat("x", i)
						resp, err := srv.Client().Get(srv.URL + path)
						if err != nil {
							t.Error(err)
							return
						}
						b, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						if string(b) != want {
							t.Errorf("%s: handler said %q, want %q", path, b, want)
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}

// TestHandoffCopyOutlivesTheHandler has every handler leave a goroutine
// behind that, once the handler has returned, reads the request, its
// context's values (through context.WithoutCancel, as background work
// does) and its decision, while later requests go through: under the
// default HandoffCopy each must still see its own request (and the race
// detector nothing).
func TestHandoffCopyOutlivesTheHandler(t *testing.T) {
	type late struct{ path, value, rule string }
	seen := make(chan late, 64)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		go func() {
			<-r.Context().Done() // net/http cancels it once the handler has returned
			bg := context.WithoutCancel(r.Context())
			v, _ := bg.Value(testKey{}).(string)
			d, _ := DecisionFrom(bg)
			seen <- late{r.URL.Path, v, d.Rule.Name}
		}()
		_, _ = io.WriteString(w, "ok")
	})
	// An outer middleware puts a per-request value in the context.
	outer := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), testKey{}, r.URL.Path)))
		})
	}
	srv := httptest.NewServer(outer(Middleware(emptyTable, decideBy(ruleFor))(h)))
	defer srv.Close()
	const n = 48
	for i := range n {
		path := "/p/" + strings.Repeat("x", i)
		if i%2 == 1 {
			path = "/timed/" + strings.Repeat("x", i)
		}
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for range n {
		select {
		case l := <-seen:
			if l.value != l.path || l.rule != l.path {
				t.Errorf("after the handler returned, request %s saw context value %q and rule %q", l.path, l.value, l.rule)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a handler's goroutine never ran")
		}
	}
}

// TestHandoffPooledHandlerWaitingForItsGoroutines is the HandoffPooled
// contract kept: the handler's goroutines use the request and its context
// and are done before it returns.
func TestHandoffPooledHandlerWaitingForItsGoroutines(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var wg sync.WaitGroup
		var bad atomic.Bool
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, ok := DecisionFrom(context.WithoutCancel(r.Context()))
				if !ok || d.Rule.Name != r.URL.Path {
					bad.Store(true)
				}
			}()
		}
		wg.Wait()
		if bad.Load() {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	srv := httptest.NewServer(Middleware(emptyTable, WithHandoff(HandoffPooled), decideBy(ruleFor))(h))
	defer srv.Close()
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				path := "/p/" + string(rune('a'+c)) + strings.Repeat("x", i)
				resp, err := srv.Client().Get(srv.URL + path)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("%s: a goroutine of the handler saw another decision", path)
				}
			}
		}()
	}
	wg.Wait()
}

// TestHandoffNonePassesTheCallersRequest: under HandoffNone the handler
// gets the caller's own request unless the route rewrites it (a copy, the
// caller's untouched) or sets a timeout (a copy under the deadline).
func TestHandoffNonePassesTheCallersRequest(t *testing.T) {
	rewritten := routed("a")
	rewritten.Path, rewritten.OriginalPath = "/new", "/old"
	timed := routed("a")
	timed.Timeout = 10 * time.Second
	for _, tc := range []struct {
		name         string
		d            route.Decision
		same         bool
		wantPath     string
		wantDeadline bool
	}{
		{"plain route", routed("a"), true, "/old", false},
		{"rewrite", rewritten, false, "/new", false},
		{"route timeout", timed, false, "/old", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got *http.Request
			var hasDecision, hasDeadline bool
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r
				_, hasDecision = DecisionFrom(r.Context())
				_, hasDeadline = r.Context().Deadline()
			})
			req := httptest.NewRequest("GET", "/old", nil)
			Middleware(emptyTable, WithHandoff(HandoffNone), decideAlways(tc.d))(h).ServeHTTP(httptest.NewRecorder(), req)
			if (got == req) != tc.same || got.URL.Path != tc.wantPath || hasDeadline != tc.wantDeadline || hasDecision {
				t.Errorf("handler got the caller's request: %v, path %q, deadline %v, decision %v; want %v, %q, %v, false",
					got == req, got.URL.Path, hasDeadline, hasDecision, tc.same, tc.wantPath, tc.wantDeadline)
			}
			if req.URL.Path != "/old" {
				t.Errorf("the caller's request was rewritten to %q", req.URL.Path)
			}
		})
	}
}

// TestMiddlewareTimeoutWriterReuse sends requests one after the other
// through a route timeout, so each reuses the pooled writer and timer of
// the one before: a request that timed out must leave neither its
// handler's headers nor its 504 to the next.
func TestMiddlewareTimeoutWriterReuse(t *testing.T) {
	d := routed("a")
	d.Timeout = 50 * time.Millisecond
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			w.Header().Set("X-Slow", "1")
			<-r.Context().Done()
			return
		}
		_, _ = io.WriteString(w, "fast")
	})
	for _, mode := range handoffs {
		t.Run(mode.name, func(t *testing.T) {
			srv := httptest.NewServer(Middleware(emptyTable, WithHandoff(mode.h), decideAlways(d))(h))
			defer srv.Close()
			for i := range 3 {
				for _, tc := range []struct {
					path, body string
					status     int
				}{{"/slow", BodyUpstreamTimeout, 504}, {"/fast", "fast", 200}} {
					resp, err := srv.Client().Get(srv.URL + tc.path)
					if err != nil {
						t.Fatal(err)
					}
					want := map[string]string{"X-Slow": ""}
					t.Logf("round %d %s", i, tc.path)
					checkResponse(t, resp, tc.status, tc.body, want)
				}
			}
		})
	}
}

// writeLog is a ResponseWriter that records whether anything was written.
type writeLog struct {
	mu    sync.Mutex
	h     http.Header
	wrote bool
}

func (w *writeLog) Header() http.Header { w.mu.Lock(); defer w.mu.Unlock(); return w.h }
func (w *writeLog) WriteHeader(int)     { w.mu.Lock(); w.wrote = true; w.mu.Unlock() }
func (w *writeLog) Write(b []byte) (int, error) {
	w.mu.Lock()
	w.wrote = true
	w.mu.Unlock()
	return len(b), nil
}

// TestMiddlewareTimeoutAfterPanic: a handler that panics under a route
// timeout leaves no timer behind to write a 504 later.
func TestMiddlewareTimeoutAfterPanic(t *testing.T) {
	d := routed("a")
	d.Timeout = 20 * time.Millisecond
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	w := &writeLog{h: make(http.Header)}
	func() {
		defer func() {
			if recover() != http.ErrAbortHandler {
				t.Error("the handler's panic did not go through")
			}
		}()
		Middleware(emptyTable, decideAlways(d))(h).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	}()
	time.Sleep(5 * d.Timeout)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.wrote {
		t.Error("a response was written after the handler panicked")
	}
}

// cannedRoundTripper answers every request with the same response,
// allocating nothing itself.
type cannedRoundTripper struct{ resp http.Response }

func (c *cannedRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	clear(c.resp.Header)
	c.resp.StatusCode, c.resp.Body, c.resp.Request = http.StatusOK, http.NoBody, req
	return &c.resp, nil
}

// TestTransportAllocs pins what the Transport allocates per routed request
// of its own, Table.Decide replaced by a fixed decision and the upstream by
// a canned answer: the upstream header copy (a map and its first group)
// and one outbound (request, URL, added header values, response body
// wrapper); a route timeout adds one context.WithTimeout and the
// x-envoy-expected-rq-timeout-ms value.
func TestTransportAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops pooled state at random")
	}
	withTimeout := testing.AllocsPerRun(100, func() {
		_, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		cancel()
	})
	reg := subset.NewRegistry()
	reg.SetService(subset.Service{
		Host:      reviewsHost,
		Ports:     []subset.ServicePort{{Number: 9080, Name: "http"}},
		Endpoints: []subset.Endpoint{{Address: "127.0.0.1", Port: 9, Labels: map[string]string{"version": "v1"}}},
	})
	plain := routed(reviewsHost)
	plain.Target.Port, plain.Destination.Port = 9080, 9080
	timed := plain
	timed.Timeout = 15 * time.Second
	for _, tc := range []struct {
		name string
		d    route.Decision
		want float64
	}{
		{"routed, no timeout", plain, 3},
		{"routed, route timeout", timed, 3 + withTimeout + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := NewTransport(emptyTable, policy.NewRuntime(reg), decideAlways(tc.d),
				WithUpstreamTransport(&cannedRoundTripper{resp: http.Response{Header: make(http.Header)}}))
			req := httptest.NewRequest("GET", "http://reviews:9080/", nil)
			req.RequestURI = ""
			got := testing.AllocsPerRun(200, func() {
				resp, err := rt.RoundTrip(req)
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("RoundTrip: %v, %v", resp, err)
				}
				resp.Body.Close()
			})
			if got != tc.want {
				t.Errorf("allocs per request = %v, want %v", got, tc.want)
			}
		})
	}
}
