package routehttp

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// rawRequest writes raw bytes to addr and returns the response status,
// or 0 when the server closed the connection without one.
func rawRequest(t *testing.T, addr, raw string) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	// A server that refuses the request may answer and close before it
	// has read everything; the answer is still there to read.
	_, _ = io.WriteString(conn, raw)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestHostileRequestHeadersNeverReachTheHandler sends header values with
// NUL, CR and other control bytes straight onto a connection to a server
// running the Middleware: Go's server refuses them with 400 before the
// middleware runs.
func TestHostileRequestHeadersNeverReachTheHandler(t *testing.T) {
	h := &recordingHandler{}
	srv := httptest.NewServer(Middleware(compileYAML(t, reviewsYAML))(h))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		name       string
		raw        string
		wantStatus int
	}{
		{"NUL in a header value is refused", "GET /headers HTTP/1.1\r\nHost: reviews\r\nX-A: a\x00b\r\n\r\n", 400},
		{"CR inside a header value is refused", "GET /headers HTTP/1.1\r\nHost: reviews\r\nX-A: a\rb\r\n\r\n", 400},
		{"DEL in a header value is refused", "GET /headers HTTP/1.1\r\nHost: reviews\r\nX-A: a\x7fb\r\n\r\n", 400},
		{"CR LF inside the Host header is refused", "GET /headers HTTP/1.1\r\nHost: reviews\rX-B: 1\r\n\r\n", 400},
		{"NUL in the request target is refused", "GET /head\x00ers HTTP/1.1\r\nHost: reviews\r\n\r\n", 400},
		{"space in the Host header is refused", "GET /headers HTTP/1.1\r\nHost: rev iews\r\n\r\n", 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := h.calls.Load()
			if got := rawRequest(t, addr, tc.raw); got != tc.wantStatus {
				t.Errorf("status %d, want %d", got, tc.wantStatus)
			}
			if h.calls.Load() != before {
				t.Errorf("the handler ran")
			}
		})
	}
}

// TestHostileRequestHeadersAreNotForwardedByTheTransport hands the
// Transport requests whose header values carry CR, LF or NUL (a caller
// that copies untrusted input into a header): nothing reaches the
// backend, and the caller gets an error instead of a response.
func TestHostileRequestHeadersAreNotForwardedByTheTransport(t *testing.T) {
	m := newMesh(t, nil, nil)
	upstream := &http.Transport{}
	defer upstream.CloseIdleConnections()
	tr := newTransport(compileYAML(t, reviewsYAML), pickOnly{m.rt}, newConfig(nil))
	tr.base = upstream
	tests := []struct{ name, value string }{
		{"CR LF in a header value splits no header", "a\r\nX-Injected: 1"},
		{"bare LF in a header value", "a\nX-Injected: 1"},
		{"NUL in a header value", "a\x00b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := m.v1.attempts.Load()
			req := mustRequest(t, "GET", "http://reviews:9080/headers", "")
			req.Header.Set("X-A", tc.value)
			resp, err := tr.RoundTrip(req)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode < 500 {
					t.Errorf("got %d %q, want an error or a 5xx", resp.StatusCode, b)
				}
			}
			if n := m.v1.attempts.Load() - before; n != 0 {
				t.Errorf("the backend received %d requests", n)
			}
		})
	}
}

// TestHostilePathsStayEncoded sends encoded CR LF and NUL in paths that a
// rewrite and a redirect carry on: the upstream path and the Location
// keep them percent-encoded, so no header is split.
func TestHostilePathsStayEncoded(t *testing.T) {
	m := newMesh(t, nil, nil)
	upstream := &http.Transport{}
	defer upstream.CloseIdleConnections()
	tr := newTransport(compileYAML(t, reviewsYAML), pickOnly{m.rt}, newConfig(nil))
	tr.base = upstream
	t.Run("rewrite keeps %0d%0a and %00 encoded upstream", func(t *testing.T) {
		req := mustRequest(t, "GET", "http://reviews:9080/api/a%0d%0aSet-Cookie:%20x%00?q=%0a", "")
		status, _, _ := roundTrip(t, tr, req)
		got := m.v1.requests()
		if status != 200 || len(got) == 0 {
			t.Fatalf("status %d, backend saw %d requests", status, len(got))
		}
		last := got[len(got)-1]
		if diff := cmp.Diff([]string{"/a%0d%0aSet-Cookie:%20x%00?q=%0a", ""}, []string{last.Path, last.Header.Get("Set-Cookie")}); diff != "" {
			t.Errorf("upstream [path set-cookie] (-want +got):\n%s", diff)
		}
	})
	t.Run("redirect Location keeps the query encoded and parses as a URL", func(t *testing.T) {
		req := mustRequest(t, "GET", "http://reviews:9080/old?next=%0d%0aSet-Cookie:%20x", "")
		status, hdr, _ := roundTrip(t, tr, req)
		loc := hdr.Get("Location")
		if status != 301 || loc != "http://new.example/new?next=%0d%0aSet-Cookie:%20x" || hdr.Get("Set-Cookie") != "" {
			t.Errorf("got %d Location %q Set-Cookie %q", status, loc, hdr.Get("Set-Cookie"))
		}
		if _, err := url.Parse(loc); err != nil {
			t.Errorf("Location %q is not a URL: %v", loc, err)
		}
	})
}

// TestHostileOneMegabyteHeader sends 1 MB and 2 MB header values to a
// server running the Middleware with Go's default header limit
// (http.DefaultMaxHeaderBytes, 1 MB, plus 4 KB of slack): 1 MB is routed
// and reaches the handler whole in bounded time, 2 MB is refused with 431
// before the middleware runs.
func TestHostileOneMegabyteHeader(t *testing.T) {
	tests := []struct {
		name       string
		size       int
		wantStatus int
		wantSeen   int
	}{
		{"a 1 MB header is routed and reaches the handler", 1 << 20, 200, 1 << 20},
		{"a 2 MB header is refused with 431 before the middleware", 2 << 20, 431, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var seen atomic.Int64
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen.Store(int64(len(r.Header.Get("X-Big"))))
			})
			srv := httptest.NewServer(Middleware(compileYAML(t, reviewsYAML))(h))
			defer srv.Close()
			start := time.Now()
			got := rawRequest(t, strings.TrimPrefix(srv.URL, "http://"),
				"GET /headers HTTP/1.1\r\nHost: reviews\r\nX-Big: "+strings.Repeat("a", tc.size)+"\r\nConnection: close\r\n\r\n")
			took := time.Since(start)
			if got != tc.wantStatus || seen.Load() != int64(tc.wantSeen) {
				t.Errorf("status %d, handler saw %d bytes; want %d and %d", got, seen.Load(), tc.wantStatus, tc.wantSeen)
			}
			t.Logf("%d-byte header: %d in %v", tc.size, got, took)
			if took > 10*time.Second {
				t.Errorf("took %v", took)
			}
		})
	}
}

// bodyOnly hides a reader's other methods, so http.NewRequest cannot set
// GetBody and the Transport has to buffer the body to replay it.
type bodyOnly struct{ io.Reader }

// TestHostileRetryBufferIsBounded posts a body larger than the replay
// buffer to a route that retries 5xx: the Transport does not buffer it
// all, sends it once, and says it did not retry.
func TestHostileRetryBufferIsBounded(t *testing.T) {
	m := newMesh(t, status(503), nil)
	upstream := &http.Transport{}
	defer upstream.CloseIdleConnections()
	tr := newTransport(compileYAML(t, reviewsYAML), pickOnly{m.rt}, newConfig([]Option{WithMaxBodyBuffer(1 << 10), WithRand(zeroRand{})}))
	tr.base = upstream
	tests := []struct {
		name         string
		size         int
		wantAttempts int64
		wantHeader   string
	}{
		{"a body within the buffer is retried", 512, 3, ""},
		{"a body over the buffer is sent once and not retried", 64 << 10, 1, "true"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := m.v1.attempts.Load()
			body := bytes.Repeat([]byte("b"), tc.size)
			req, err := http.NewRequest("POST", "http://reviews:9080/flaky", bodyOnly{bytes.NewReader(body)})
			if err != nil {
				t.Fatal(err)
			}
			status, hdr, _ := roundTrip(t, tr, req)
			got := m.v1.requests()
			last := got[len(got)-1]
			if status != 503 || m.v1.attempts.Load()-before != tc.wantAttempts || len(last.Body) != tc.size {
				t.Errorf("got %d after %d attempts, backend read %d bytes; want 503 after %d attempts of %d bytes",
					status, m.v1.attempts.Load()-before, len(last.Body), tc.wantAttempts, tc.size)
			}
			if got := hdr.Get(HeaderNotRetried) != ""; got != (tc.wantHeader != "") {
				t.Errorf("%s = %q", HeaderNotRetried, hdr.Get(HeaderNotRetried))
			}
		})
	}
}

// TestHostileMirrorQueueIsBounded sends many requests to a mirrored route
// whose mirror backend hangs: at most the configured number of mirrors is
// ever in flight, the rest are dropped, and primaries are not delayed.
func TestHostileMirrorQueueIsBounded(t *testing.T) {
	verifyNoLeaks(t)
	const maxMirrors, clients, n = 2, 8, 10
	release := make(chan struct{})
	var flight inFlight
	m := newMesh(t, nil, func(_ int, _ http.ResponseWriter, r *http.Request) {
		flight.enter()
		defer flight.leave()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	var dropped, done atomic.Int64
	upstream := &http.Transport{}
	tr := newTransport(compileYAML(t, reviewsYAML), pickOnly{m.rt}, newConfig([]Option{
		WithMaxMirrorsInFlight(maxMirrors),
		WithMirrorObserver(func(r MirrorResult) {
			if r.Err == ErrMirrorDropped {
				dropped.Add(1)
			}
			done.Add(1)
		}),
	}))
	tr.base = upstream
	client := &http.Client{Transport: tr}
	start := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Int64
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				resp, err := client.Get("http://reviews:9080/mirror")
				if err != nil || resp.StatusCode != 200 {
					failed.Add(1)
					continue
				}
				drain(resp.Body)
			}
		}()
	}
	wg.Wait()
	primaries := time.Since(start)
	peak := flight.peak.Load()
	close(release)
	waitFor(t, "every mirror to finish", func() bool { return done.Load() == clients*n })
	upstream.CloseIdleConnections()
	t.Logf("%d primaries in %v, %d mirrors dropped, peak %d mirrors in flight", clients*n, primaries, dropped.Load(), peak)
	if failed.Load() != 0 {
		t.Errorf("%d primaries failed", failed.Load())
	}
	if peak > maxMirrors {
		t.Errorf("peak %d mirrors in flight, over the bound %d", peak, maxMirrors)
	}
	if dropped.Load() < clients*n-maxMirrors {
		t.Errorf("%d mirrors dropped, want at least %d while the mirror backend hangs", dropped.Load(), clients*n-maxMirrors)
	}
}
