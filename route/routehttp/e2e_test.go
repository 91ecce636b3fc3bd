package routehttp

import (
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
	"github.com/meshroute/meshroute/route/routetest"
	"github.com/meshroute/meshroute/subset"
)

// reviewsYAML is the configuration the end-to-end tests route by: one
// rule per action and policy, selected by path prefix.
const reviewsYAML = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - name: headers
    match: [{uri: {prefix: /headers}}]
    headers:
      request: {set: {x-set: one}, add: {x-add: two}, remove: [x-remove]}
      response: {set: {x-resp: "yes"}, remove: [x-secret]}
    route: [{destination: {host: reviews, subset: v1}}]
  - name: split
    match: [{uri: {prefix: /split}}]
    route:
    - {destination: {host: reviews, subset: v1}, weight: 80}
    - {destination: {host: reviews, subset: v2}, weight: 20}
  - name: mirror
    match: [{uri: {prefix: /mirror}}]
    route: [{destination: {host: reviews, subset: v1}}]
    mirror: {host: reviews, subset: v2}
  - name: cors
    match: [{uri: {prefix: /cors}}]
    corsPolicy:
      allowOrigins: [{exact: "https://ok.example"}]
      allowMethods: [GET, POST]
      allowHeaders: [x-a]
      exposeHeaders: [x-b]
      maxAge: 24h
      allowCredentials: true
    headers: {response: {set: {x-route: cors}}}
    route: [{destination: {host: reviews, subset: v1}}]
  - name: strict-cors
    match: [{uri: {prefix: /strict}}]
    corsPolicy:
      allowOrigins: [{exact: "https://ok.example"}]
      allowMethods: [GET]
      unmatchedPreflights: IGNORE
    route: [{destination: {host: reviews, subset: v1}}]
  - name: moved
    match: [{uri: {exact: /old}}]
    redirect: {uri: /new, authority: new.example}
    headers: {response: {set: {x-moved: "1"}}}
  - name: ping
    match: [{uri: {exact: /ping}}]
    directResponse: {status: 200, body: {string: pong}}
    headers: {response: {set: {x-route: ping, content-type: application/json}}}
  - name: teapot
    match: [{uri: {prefix: /teapot}}]
    fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
    headers: {response: {set: {x-route: teapot}}}
    route: [{destination: {host: reviews, subset: v1}}]
  - name: rewrite
    match: [{uri: {prefix: /api/}}]
    rewrite: {uri: /, authority: internal.reviews}
    route: [{destination: {host: reviews, subset: v1}}]
  - name: flaky
    match: [{uri: {prefix: /flaky}}]
    retries: {attempts: 2, retryOn: 5xx}
    route: [{destination: {host: reviews, subset: v1}}]
  - name: socket
    match: [{uri: {prefix: /socket}}]
    route: [{destination: {host: reviews, subset: v1}}]
  - name: nowhere
    match: [{uri: {prefix: /nowhere}}]
    route: [{destination: {host: reviews, subset: v3}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`

const reviewsHost = "reviews.default.svc.cluster.local"

// compileYAML loads and compiles a configuration, failing t on any error.
func compileYAML(t testing.TB, yaml string, opts ...route.Option) *route.Table {
	t.Helper()
	return routetest.LoadYAML(t, yaml, opts...)
}

// mesh is reviews v1 and v2 on loopback behind a real policy runtime.
type mesh struct {
	v1, v2 *backend
	rt     *policy.Runtime
}

func newMesh(t testing.TB, v1, v2 func(int, http.ResponseWriter, *http.Request)) *mesh {
	m := &mesh{v1: newBackend(t, v1), v2: newBackend(t, v2)}
	reg := subset.NewRegistry()
	reg.SetService(subset.Service{
		Host:  reviewsHost,
		Ports: []subset.ServicePort{{Number: 9080, Name: "http"}},
		Endpoints: []subset.Endpoint{
			endpointOf(t, m.v1, "v1"),
			endpointOf(t, m.v2, "v2"),
		},
	})
	m.rt = policy.NewRuntime(reg, policy.WithRand(rand.NewPCG(7, 8)))
	return m
}

func endpointOf(t testing.TB, b *backend, version string) subset.Endpoint {
	host, port, _ := net.SplitHostPort(b.addr())
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return subset.Endpoint{Address: host, Port: uint32(p), Labels: map[string]string{"version": version}}
}

func TestEndToEndTransport(t *testing.T) {
	var flakyFailed atomic.Bool
	m := newMesh(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/flaky" && !flakyFailed.Swap(true):
			w.WriteHeader(503)
		case r.URL.Path == "/headers":
			w.Header().Set("X-Secret", "s")
		}
		_, _ = io.WriteString(w, "v1")
	}, nil)
	tr := NewTransport(compileYAML(t, reviewsYAML), m.rt, WithRand(zeroRand{}))
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	get := func(path string, hdr ...string) (*http.Response, string) {
		req := mustRequest(t, "GET", "http://reviews:9080"+path, "")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	last := func(b *backend) seen {
		got := b.requests()
		if len(got) == 0 {
			t.Fatal("backend saw nothing")
		}
		return got[len(got)-1]
	}

	t.Run("request header operations reach the upstream", func(t *testing.T) {
		resp, _ := get("/headers", "X-Remove", "gone", "X-Add", "one")
		s := last(m.v1)
		got := []any{s.Header.Get("X-Set"), s.Header.Values("X-Add"), s.Header.Get("X-Remove")}
		want := []any{"one", []string{"one", "two"}, ""}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("upstream [x-set x-add x-remove] (-want +got):\n%s", diff)
		}
		if resp.Header.Get("X-Resp") != "yes" || resp.Header.Get("X-Secret") != "" {
			t.Errorf("response x-resp=%q x-secret=%q, want yes and removed", resp.Header.Get("X-Resp"), resp.Header.Get("X-Secret"))
		}
	})
	t.Run("rewrite changes the upstream path and authority", func(t *testing.T) {
		get("/api/books?id=1")
		s := last(m.v1)
		got := []string{s.Path, s.Host, s.Header.Get("X-Envoy-Original-Path")}
		if diff := cmp.Diff([]string{"/books?id=1", "internal.reviews", "/api/books?id=1"}, got); diff != "" {
			t.Errorf("upstream [path host x-envoy-original-path] (-want +got):\n%s", diff)
		}
	})
	t.Run("redirect comes back as a response with the route's response headers", func(t *testing.T) {
		resp, _ := get("/old?q=1")
		if resp.StatusCode != 301 || resp.Header.Get("Location") != "http://new.example/new?q=1" || resp.Header.Get("X-Moved") != "1" {
			t.Errorf("got %d Location=%q x-moved=%q", resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("X-Moved"))
		}
	})
	t.Run("direct response comes back without an upstream", func(t *testing.T) {
		resp, body := get("/ping")
		if resp.StatusCode != 200 || body != "pong" {
			t.Errorf("got %d %q, want 200 pong", resp.StatusCode, body)
		}
	})
	t.Run("retries on 5xx reach the upstream again", func(t *testing.T) {
		before := m.v1.attempts.Load()
		resp, body := get("/flaky")
		if resp.StatusCode != 200 || body != "v1" || m.v1.attempts.Load()-before != 2 {
			t.Errorf("got %d %q after %d attempts, want 200 v1 after 2", resp.StatusCode, body, m.v1.attempts.Load()-before)
		}
	})
	t.Run("subset without endpoints is 503 no healthy upstream or unavailable", func(t *testing.T) {
		resp, _ := get("/nowhere")
		if resp.StatusCode != 503 {
			t.Errorf("status %d, want 503", resp.StatusCode)
		}
	})
	t.Run("unknown host is passed through or refused, never routed to reviews", func(t *testing.T) {
		before := m.v1.attempts.Load() + m.v2.attempts.Load()
		req := mustRequest(t, "GET", "http://127.0.0.1:1/x", "")
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		if m.v1.attempts.Load()+m.v2.attempts.Load() != before {
			t.Errorf("a request for another host reached reviews")
		}
	})
}

func TestEndToEndWeightedSplit(t *testing.T) {
	m := newMesh(t, nil, nil)
	tbl := compileYAML(t, reviewsYAML, route.WithRand(rand.NewPCG(1, 2)))
	client := &http.Client{Transport: NewTransport(tbl, m.rt)}
	const n = 1000
	for i := 0; i < n; i++ {
		resp, err := client.Get("http://reviews:9080/split")
		if err != nil {
			t.Fatal(err)
		}
		drain(resp.Body)
	}
	v1, v2 := m.v1.attempts.Load(), m.v2.attempts.Load()
	// 80/20 of 1000: the binomial standard deviation is about 13, so a
	// band of ±50 fails only on a real skew.
	if v1+v2 != n || v2 < 150 || v2 > 250 {
		t.Errorf("v1=%d v2=%d, want about 800/200", v1, v2)
	}
}

func TestEndToEndMirror(t *testing.T) {
	tests := []struct {
		name     string
		opts     []Option
		wantHost string
	}{
		{"mirror gets a copy with the same authority", nil, "reviews:9080"},
		{"shadow suffix option adds -shadow to the mirror's host", []Option{WithShadowSuffix(true)}, "reviews-shadow:9080"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMesh(t, nil, nil)
			var mu sync.Mutex
			var results []MirrorResult
			opts := append(tc.opts, WithMirrorObserver(func(r MirrorResult) { mu.Lock(); results = append(results, r); mu.Unlock() }))
			client := &http.Client{Transport: NewTransport(compileYAML(t, reviewsYAML), m.rt, opts...)}
			resp, err := client.Post("http://reviews:9080/mirror", "text/plain", stringsReader("payload"))
			if err != nil {
				t.Fatal(err)
			}
			drain(resp.Body)
			waitFor(t, "the mirror", func() bool { mu.Lock(); defer mu.Unlock(); return len(results) == 1 })
			got := m.v2.requests()
			if len(got) != 1 {
				t.Fatalf("mirror backend saw %d requests, want 1", len(got))
			}
			if got[0].Host != tc.wantHost || got[0].Body != "payload" || got[0].Path != "/mirror" || got[0].Method != "POST" {
				t.Errorf("mirror saw %s %s host %q body %q, want POST /mirror host %q body payload", got[0].Method, got[0].Path, got[0].Host, got[0].Body, tc.wantHost)
			}
			if m.v1.attempts.Load() != 1 || results[0].Status != 200 || results[0].Err != nil {
				t.Errorf("primary attempts %d, mirror result %+v", m.v1.attempts.Load(), results[0])
			}
		})
	}
}

func TestEndToEndMirrorNeverDelaysThePrimary(t *testing.T) {
	block := make(chan struct{})
	m := newMesh(t, nil, func(int, http.ResponseWriter, *http.Request) { <-block })
	defer close(block)
	dropped := make(chan error, 10)
	tr := NewTransport(compileYAML(t, reviewsYAML), m.rt, WithMaxMirrorsInFlight(1), WithMirrorObserver(func(r MirrorResult) {
		if r.Err != nil {
			dropped <- r.Err
		}
	}))
	client := &http.Client{Transport: tr}
	for i := 0; i < 3; i++ {
		resp, err := client.Get("http://reviews:9080/mirror")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("primary %d: %v %v", i, resp, err)
		}
		drain(resp.Body)
	}
	for i := 0; i < 2; i++ {
		if err := <-dropped; err != ErrMirrorDropped {
			t.Errorf("mirror error = %v, want ErrMirrorDropped", err)
		}
	}
}

func TestEndToEndMiddlewareCORS(t *testing.T) {
	tbl := compileYAML(t, reviewsYAML)
	h := &recordingHandler{}
	srv := httptest.NewServer(Middleware(tbl)(h))
	defer srv.Close()
	do := func(method, path, origin string, hdr ...string) *http.Response {
		req := mustRequest(t, method, srv.URL+path, "")
		req.Host = "reviews:9080"
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		drain(resp.Body)
		return resp
	}
	corsHeaders := func(resp *http.Response) map[string]string {
		out := map[string]string{}
		for _, k := range []string{hdrAllowOrigin, hdrAllowCredentials, hdrAllowMethods, hdrAllowHeaders, hdrMaxAge, hdrExposeHeaders} {
			if v := resp.Header.Get(k); v != "" {
				out[k] = v
			}
		}
		return out
	}
	tests := []struct {
		name        string
		method      string
		path        string
		origin      string
		hdr         []string
		wantStatus  int
		wantHeaders map[string]string
		wantHandler bool
	}{
		{"preflight from an allowed origin is answered locally", "OPTIONS", "/cors", "https://ok.example", []string{hdrRequestMethod, "POST"}, 200,
			map[string]string{hdrAllowOrigin: "https://ok.example", hdrAllowCredentials: "true", hdrAllowMethods: "GET,POST", hdrAllowHeaders: "x-a", hdrMaxAge: "86400"}, false},
		{"preflight from another origin is forwarded under FORWARD", "OPTIONS", "/cors", "https://evil.example", []string{hdrRequestMethod, "POST"}, 200, map[string]string{}, true},
		{"preflight from another origin is answered without Allow-Origin under IGNORE", "OPTIONS", "/strict", "https://evil.example", []string{hdrRequestMethod, "GET"}, 200,
			map[string]string{hdrAllowMethods: "GET"}, false},
		{"actual request from an allowed origin gets the CORS response headers", "GET", "/cors", "https://ok.example", nil, 200,
			map[string]string{hdrAllowOrigin: "https://ok.example", hdrAllowCredentials: "true", hdrExposeHeaders: "x-b"}, true},
		{"actual request from another origin is untouched", "GET", "/cors", "https://evil.example", nil, 200, map[string]string{}, true},
		{"request without Origin is not a CORS request", "GET", "/cors", "", nil, 200, map[string]string{}, true},
		{"OPTIONS without Access-Control-Request-Method is an actual request", "OPTIONS", "/cors", "https://ok.example", nil, 200,
			map[string]string{hdrAllowOrigin: "https://ok.example", hdrAllowCredentials: "true", hdrExposeHeaders: "x-b"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := h.calls.Load()
			resp := do(tc.method, tc.path, tc.origin, tc.hdr...)
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if diff := cmp.Diff(tc.wantHeaders, corsHeaders(resp)); diff != "" {
				t.Errorf("CORS headers (-want +got):\n%s", diff)
			}
			if got := h.calls.Load() > before; got != tc.wantHandler {
				t.Errorf("handler ran = %v, want %v", got, tc.wantHandler)
			}
		})
	}
}

func TestEndToEndMiddlewareHeaderOps(t *testing.T) {
	tbl := compileYAML(t, reviewsYAML)
	var got http.Header
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("X-Secret", "s")
		_, _ = io.WriteString(w, "ok")
	})
	srv := httptest.NewServer(Middleware(tbl)(h))
	defer srv.Close()
	req := mustRequest(t, "GET", srv.URL+"/headers", "")
	req.Host = "reviews"
	req.Header.Set("X-Remove", "gone")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	drain(resp.Body)
	if got.Get("X-Set") != "one" || got.Get("X-Add") != "two" || got.Get("X-Remove") != "" {
		t.Errorf("handler saw x-set=%q x-add=%q x-remove=%q, want one two and removed", got.Get("X-Set"), got.Get("X-Add"), got.Get("X-Remove"))
	}
	if resp.Header.Get("X-Resp") != "yes" || resp.Header.Get("X-Secret") != "" {
		t.Errorf("response x-resp=%q x-secret=%q, want yes and removed", resp.Header.Get("X-Resp"), resp.Header.Get("X-Secret"))
	}
}

func TestEndToEndMiddlewareResponseHeaderOpsReach(t *testing.T) {
	tbl := compileYAML(t, reviewsYAML)
	srv := httptest.NewServer(Middleware(tbl)(&recordingHandler{}))
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		name        string
		method      string
		path        string
		hdr         []string
		wantStatus  int
		wantHeaders map[string]string
	}{
		{"redirect carries the route's response headers", "GET", "/old", nil, 301, map[string]string{"X-Moved": "1", "Location": "http://new.example/new"}},
		{"direct response carries the route's response headers, content-type included", "GET", "/ping", nil, 200, map[string]string{"X-Route": "ping", "Content-Type": "application/json"}},
		{"fault abort does not carry the route's response headers", "GET", "/teapot", nil, 418, map[string]string{"X-Route": ""}},
		{"preflight reply does not carry the route's response headers", "OPTIONS", "/cors", []string{"Origin", "https://ok.example", hdrRequestMethod, "GET"}, 200, map[string]string{"X-Route": ""}},
		{"actual CORS request carries the route's response headers", "GET", "/cors", []string{"Origin", "https://ok.example"}, 200, map[string]string{"X-Route": "cors", hdrAllowOrigin: "https://ok.example"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := mustRequest(t, tc.method, srv.URL+tc.path, "")
			req.Host = "reviews"
			for i := 0; i+1 < len(tc.hdr); i += 2 {
				req.Header.Set(tc.hdr[i], tc.hdr[i+1])
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			drain(resp.Body)
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			checkHeaders(t, resp.Header, tc.wantHeaders)
		})
	}
}

func TestEndToEndSourceIdentityReachesTheMatch(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - match: [{sourceLabels: {app: web}}]
    directResponse: {status: 200, body: {string: from web}}
  - match: [{sourceNamespace: batch}]
    directResponse: {status: 200, body: {string: from batch}}
  - directResponse: {status: 200, body: {string: from anyone}}
`)
	h := Middleware(tbl, WithIdentity(HeaderIdentity("X-Source-Namespace", "X-Source-Labels")))(&recordingHandler{})
	tests := []struct {
		name   string
		ns     string
		labels string
		want   string
	}{
		{"sourceLabels match the caller's labels", "", "app=web,version=v1", "from web"},
		{"sourceNamespace matches the caller's namespace", "batch", "app=cron", "from batch"},
		{"a caller without identity takes the catch-all", "", "", "from anyone"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The full name: a short one resolves in the caller's namespace.
			req := httptest.NewRequest("GET", "http://reviews.default.svc.cluster.local/", nil)
			if tc.ns != "" {
				req.Header.Set("X-Source-Namespace", tc.ns)
			}
			if tc.labels != "" {
				req.Header.Set("X-Source-Labels", tc.labels)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Body.String() != tc.want {
				t.Errorf("got %q, want %q", rec.Body.String(), tc.want)
			}
		})
	}
}
