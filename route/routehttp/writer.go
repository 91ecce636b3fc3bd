package routehttp

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/meshroute/meshroute/route"
)

// timeoutBody is Envoy's body for a route timeout (flag UT).
const timeoutBody = "upstream request timeout"

// responseWriter decorates the next handler's response as Envoy's router
// and CORS filter do on the way back: response header operations, then the
// CORS headers of an allowed actual request. With a route timeout it also
// answers 504 when the deadline passes before the handler has written, and
// from then on refuses the handler's writes with http.ErrHandlerTimeout.
//
// Without a timeout only the handler's goroutine uses it; with one, the
// timer's goroutine may write the 504 concurrently, so every method locks
// and the handler writes headers into a map of its own until it commits.
type responseWriter struct {
	w      http.ResponseWriter
	ops    route.HeaderOps
	cors   *route.CORSPolicy
	origin string

	timeout bool // concurrent mode: lock, own header map, 504 on expiry

	mu          sync.Mutex
	h           http.Header // handler's headers in timeout mode, kept for reuse
	wroteHeader bool
	timedOut    bool
	done        bool // the handler returned; expire must not write

	// t is the route-timeout timer, made on first use and re-armed for
	// each request the pooled writer serves; expiring counts its pending
	// or running expiry.
	t        *time.Timer
	expiring sync.WaitGroup
}

// start readies rw, fresh from the pool, to decorate w's response with
// ops and CORS; timeout selects the concurrent mode.
func (rw *responseWriter) start(w http.ResponseWriter, ops route.HeaderOps, cors *route.CORSPolicy, origin string, timeout bool) *responseWriter {
	rw.w, rw.ops, rw.cors, rw.origin, rw.timeout = w, ops, cors, origin, timeout
	return rw
}

// reset drops everything rw refers to for the request it served, keeping
// its header map (emptied) and timer for the next one. The handler has
// returned and the timer has been disarmed.
func (rw *responseWriter) reset() {
	rw.w, rw.ops, rw.cors, rw.origin, rw.timeout = nil, route.HeaderOps{}, nil, "", false
	if len(rw.h) > 0 {
		clear(rw.h)
	}
	rw.wroteHeader, rw.timedOut, rw.done = false, false, false
}

// arm starts the route-timeout timer: expire runs when d has passed.
func (rw *responseWriter) arm(d time.Duration) {
	rw.expiring.Add(1)
	if rw.t == nil {
		rw.t = time.AfterFunc(d, rw.onTimer)
		return
	}
	rw.t.Reset(d)
}

func (rw *responseWriter) onTimer() {
	defer rw.expiring.Done()
	rw.expire()
}

// disarm ends the timeout once the handler has returned (returned) or
// panicked: it stops the timer, answers 504 when the handler returned
// without answering although ctx's deadline had passed, waits for an
// expiry already running, and from then on lets nothing write.
func (rw *responseWriter) disarm(ctx context.Context, returned bool) {
	if rw.t.Stop() {
		rw.expiring.Done()
		if returned && ctx.Err() == context.DeadlineExceeded {
			// The deadline passed but the timer had not fired yet.
			rw.expire()
		}
	} else {
		rw.expiring.Wait() // let a running expiry finish its 504
	}
	rw.finish()
}

func (rw *responseWriter) lock() {
	if rw.timeout {
		rw.mu.Lock()
	}
}

func (rw *responseWriter) unlock() {
	if rw.timeout {
		rw.mu.Unlock()
	}
}

// Header returns the header map the handler writes its headers into.
func (rw *responseWriter) Header() http.Header {
	if !rw.timeout {
		return rw.w.Header()
	}
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if rw.h == nil {
		rw.h = make(http.Header)
	}
	return rw.h
}

// WriteHeader decorates and sends the response header once.
func (rw *responseWriter) WriteHeader(code int) {
	rw.lock()
	defer rw.unlock()
	rw.writeHeaderLocked(code)
}

func (rw *responseWriter) writeHeaderLocked(code int) {
	if rw.timedOut || rw.wroteHeader {
		return
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		rw.w.WriteHeader(code) // informational: not the final response
		return
	}
	rw.wroteHeader = true
	real := rw.w.Header()
	for k, v := range rw.h {
		real[k] = v
	}
	rw.decorate(real)
	rw.w.WriteHeader(code)
}

// decorate applies the response header operations and then CORS.
func (rw *responseWriter) decorate(h http.Header) {
	rw.ops.Apply(h)
	if rw.cors != nil {
		decorateCORS(h, rw.cors, rw.origin)
	}
}

// Write sends body bytes, committing a 200 header first if needed.
func (rw *responseWriter) Write(b []byte) (int, error) {
	rw.lock()
	defer rw.unlock()
	if rw.timedOut {
		return 0, http.ErrHandlerTimeout
	}
	rw.writeHeaderLocked(http.StatusOK)
	return rw.w.Write(b)
}

// WriteString is Write for strings, saving a conversion when the
// underlying writer supports it.
func (rw *responseWriter) WriteString(s string) (int, error) {
	rw.lock()
	defer rw.unlock()
	if rw.timedOut {
		return 0, http.ErrHandlerTimeout
	}
	rw.writeHeaderLocked(http.StatusOK)
	return io.WriteString(rw.w, s)
}

// Flush commits the header and flushes the underlying writer.
func (rw *responseWriter) Flush() {
	rw.lock()
	defer rw.unlock()
	if rw.timedOut {
		return
	}
	rw.writeHeaderLocked(http.StatusOK)
	_ = http.NewResponseController(rw.w).Flush()
}

// Hijack hands the connection to the handler (WebSockets and the like)
// when the underlying writer allows it.
func (rw *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	rw.lock()
	defer rw.unlock()
	if rw.timedOut {
		return nil, nil, http.ErrHandlerTimeout
	}
	rw.wroteHeader = true
	return http.NewResponseController(rw.w).Hijack()
}

// Unwrap gives http.ResponseController access to the underlying writer.
func (rw *responseWriter) Unwrap() http.ResponseWriter { return rw.w }

// expire answers 504 "upstream request timeout" if the handler has not
// written its response header yet. It is called when the route deadline
// passes, possibly concurrently with the handler.
func (rw *responseWriter) expire() {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if rw.wroteHeader || rw.timedOut || rw.done {
		return
	}
	rw.timedOut = true
	real := rw.w.Header()
	real["Content-Type"] = []string{"text/plain"}
	real["Content-Length"] = []string{strconv.Itoa(len(timeoutBody))}
	rw.decorate(real) // router-local replies carry the route's response headers
	rw.w.WriteHeader(http.StatusGatewayTimeout)
	_, _ = io.WriteString(rw.w, timeoutBody)
	_ = http.NewResponseController(rw.w).Flush()
}

// finish marks the handler as returned, so a late timer cannot write.
func (rw *responseWriter) finish() {
	rw.mu.Lock()
	rw.done = true
	rw.mu.Unlock()
}
