package routehttp

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"

	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
	"github.com/meshroute/meshroute/subset"
)

const benchYAML = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - match: [{uri: {prefix: /headers}}]
    headers: {response: {set: {x-resp: "yes"}}}
    route: [{destination: {host: reviews, subset: v1}}]
  - route: [{destination: {host: reviews, subset: v1}}]
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

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })

// BenchmarkMiddleware measures the middleware's overhead over the bare
// handler on an in-memory recorder (reused, so the harness allocates
// nothing): a routed request without a timeout, one under the seeds'
// default 15s route timeout, and one with response header operations —
// under the default HandoffCopy, then under HandoffPooled and HandoffNone;
// and a routed request with 256 MB of live heap beside it, as in a server.
func BenchmarkMiddleware(b *testing.B) {
	run := func(b *testing.B, h http.Handler, path string) {
		rec := httptest.NewRecorder()
		rec.Body = nil
		req := httptest.NewRequest("GET", "http://reviews"+path, nil)
		req.Header.Set("End-User", "alice")
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			h.ServeHTTP(rec, req)
		}
	}
	noTimeout := compileYAML(b, benchYAML, route.WithDefaultTimeout(0))
	withTimeout := compileYAML(b, benchYAML)
	b.Run("bare handler", func(b *testing.B) { run(b, okHandler, "/") })
	for _, mode := range []struct {
		name string
		h    Handoff
	}{{"", HandoffCopy}, {"pooled, ", HandoffPooled}, {"no handoff, ", HandoffNone}} {
		opt := WithHandoff(mode.h)
		b.Run(mode.name+"routed, no timeout", func(b *testing.B) { run(b, Middleware(noTimeout, opt)(okHandler), "/") })
		// The adapter's own share, with Table.Decide replaced by a fixed
		// decision.
		b.Run(mode.name+"adapter only, fixed decision", func(b *testing.B) {
			run(b, Middleware(noTimeout, opt, decideAlways(routed(reviewsHost)))(okHandler), "/")
		})
		b.Run(mode.name+"routed, 15s route timeout", func(b *testing.B) { run(b, Middleware(withTimeout, opt)(okHandler), "/") })
		b.Run(mode.name+"routed, response header ops", func(b *testing.B) { run(b, Middleware(noTimeout, opt)(okHandler), "/headers") })
		// The benchmark's heap is nearly empty, so the garbage collector
		// runs every few thousand requests and its fixed costs land on
		// the one allocation HandoffCopy makes. A server keeps tables,
		// buffers and caches live: with 256 MB live beside it the same
		// allocation costs what it would there.
		b.Run(mode.name+"routed, no timeout, 256 MB live heap", func(b *testing.B) {
			live := liveHeap(256)
			run(b, Middleware(noTimeout, opt)(okHandler), "/")
			runtime.KeepAlive(live)
			live = nil
			runtime.GC() // the benchmarks after this one start from a small heap again
		})
	}
}

// liveHeap allocates mb megabytes the caller keeps live, as a server's
// long-lived data would be.
func liveHeap(mb int) [][]byte {
	live := make([][]byte, mb)
	for i := range live {
		live[i] = make([]byte, 1<<20)
	}
	return live
}

// BenchmarkTransport compares a bare http.Transport with the routing
// Transport (decide, pick through the policy runtime, send) on loopback.
func BenchmarkTransport(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	defer srv.Close()
	host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	reg := subset.NewRegistry()
	reg.SetService(subset.Service{
		Host:      reviewsHost,
		Ports:     []subset.ServicePort{{Number: 9080, Name: "http"}},
		Endpoints: []subset.Endpoint{{Address: host, Port: uint32(p), Labels: map[string]string{"version": "v1"}}},
	})
	base := &http.Transport{MaxIdleConnsPerHost: 16}
	defer base.CloseIdleConnections()
	run := func(b *testing.B, rt http.RoundTripper, url string) {
		req, _ := http.NewRequest("GET", url, nil)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			resp, err := rt.RoundTrip(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	b.Run("bare http.Transport", func(b *testing.B) { run(b, base, srv.URL+"/") })
	tbl := compileYAML(b, benchYAML, route.WithDefaultTimeout(0))
	b.Run("routing Transport", func(b *testing.B) {
		run(b, NewTransport(tbl, policy.NewRuntime(reg), WithUpstreamTransport(base)), "http://reviews:9080/")
	})
	tblTimeout := compileYAML(b, benchYAML)
	b.Run("routing Transport, 15s route timeout", func(b *testing.B) {
		run(b, NewTransport(tblTimeout, policy.NewRuntime(reg), WithUpstreamTransport(base)), "http://reviews:9080/")
	})
}
