package routehttp

import (
	"context"
	"net/http"
	"time"

	"github.com/meshroute/meshroute/fault"
	"github.com/meshroute/meshroute/route"
)

// Middleware returns net/http middleware that routes each request by the
// table src provides (taken once per request) and applies the decision in
// Envoy's order:
//
//  1. fault delay (cut short, with no response, when the client goes away);
//  2. fault abort: the configured status with body "fault filter abort";
//  3. CORS: preflights answered locally (or, for origins not allowed,
//     forwarded under FORWARD and answered without Allow-Origin under
//     IGNORE); allowed actual requests get the CORS response headers;
//  4. redirect, direct response, or no route (404, see WithNotFound);
//  5. for a routed request: request header operations, the path and
//     authority rewrite (URL.Path, URL.RawPath, RequestURI, Host, and
//     x-envoy-original-path), and the route timeout as a context deadline
//     — when it passes before the handler has written, the client gets
//     504 "upstream request timeout";
//  6. response header operations on the handler's response and on
//     redirects, direct responses and timeouts, but not on fault aborts or
//     preflight replies.
//
// The next handler finds the decision with DecisionFrom. The middleware
// works with any router that uses func(http.Handler) http.Handler
// middleware (http.ServeMux, chi, gorilla/mux, alice).
func Middleware(src route.TableSource, opts ...Option) func(http.Handler) http.Handler {
	c := newConfig(opts)
	return func(next http.Handler) http.Handler {
		return &middleware{src: src, cfg: c, next: next}
	}
}

type middleware struct {
	src  route.TableSource
	cfg  config
	next http.Handler
	// upstream: leave the forwarding half of the decision to the
	// Transport (the Gateway's proxy) instead of applying it here.
	upstream bool
}

func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	dc := &decisionCtx{Context: r.Context(), upstream: m.upstream}
	dc.view = m.cfg.view(r)
	dc.d = m.cfg.decideWith(m.src.Table(), &dc.view)
	m.serve(w, r, dc)
}

// serve applies the decision in dc to the request.
func (m *middleware) serve(w http.ResponseWriter, r *http.Request, dc *decisionCtx) {
	d := &dc.d
	if delay := d.Fault.DelayDuration(); delay > 0 {
		if fault.Wait(r.Context(), delay) != nil {
			return // the client went away during the delay
		}
	}
	if abort, ok := d.Fault.AbortWith(); ok {
		fault.WriteHTTP(w, abort)
		return
	}
	step, origin := applyCORS(w, r, d.CORS)
	if step == corsAnswered {
		return
	}
	var cors *route.CORSPolicy
	if step == corsDecorate {
		cors = d.CORS
	}

	switch d.Action {
	case route.ActionRoute:
	case route.ActionNoRoute:
		if m.cfg.notFound != nil {
			m.cfg.notFound.ServeHTTP(w, r.WithContext(dc))
			return
		}
		writeLocalDecorated(w, http.StatusNotFound, "", route.HeaderOps{}, cors, origin)
		return
	case route.ActionRedirect:
		w.Header()["Location"] = []string{d.Redirect.Location}
		writeLocalDecorated(w, redirectCode(d), "", d.ResponseHeaders, cors, origin)
		return
	case route.ActionDirectResponse:
		writeLocalDecorated(w, d.DirectResponse.Status, d.DirectResponse.Body, d.ResponseHeaders, cors, origin)
		return
	default: // ActionUnavailable and anything newer
		status := d.Status
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		writeLocalDecorated(w, status, "", d.ResponseHeaders, cors, origin)
		return
	}

	if m.upstream {
		// The Gateway's Transport rewrites, times out, retries and
		// decorates; CORS response headers are still this stage's job.
		if cors != nil {
			w = &responseWriter{w: w, cors: cors, origin: origin}
		}
		m.next.ServeHTTP(w, r.WithContext(dc))
		return
	}

	if !d.RequestHeaders.Empty() {
		d.RequestHeaders.Apply(r.Header)
	}
	if d.Timeout <= 0 {
		r = r.WithContext(dc)
		rewriteInbound(r, d, &dc.view)
		if !d.ResponseHeaders.Empty() || cors != nil {
			w = &responseWriter{w: w, ops: d.ResponseHeaders, cors: cors, origin: origin}
		}
		m.next.ServeHTTP(w, r)
		return
	}
	m.serveWithTimeout(w, r, dc, cors, origin)
}

// serveWithTimeout runs the next handler under the route timeout.
func (m *middleware) serveWithTimeout(w http.ResponseWriter, r *http.Request, dc *decisionCtx, cors *route.CORSPolicy, origin string) {
	d := &dc.d
	ctx, cancel := context.WithTimeout(dc.Context, d.Timeout)
	defer cancel()
	dc.Context = ctx
	r = r.WithContext(dc)
	rewriteInbound(r, d, &dc.view)
	rw := &responseWriter{w: w, ops: d.ResponseHeaders, cors: cors, origin: origin, timeout: true}
	rw.timer.Add(1)
	// The timer runs alongside the context's own deadline timer: cheaper
	// than context.AfterFunc, and it fires only on expiry, never when the
	// client goes away.
	timer := time.AfterFunc(d.Timeout, func() {
		defer rw.timer.Done()
		rw.expire()
	})
	m.next.ServeHTTP(rw, r)
	if timer.Stop() {
		rw.timer.Done()
		if ctx.Err() == context.DeadlineExceeded {
			// The deadline passed but the timer had not fired yet: the
			// handler returned without answering in time.
			rw.expire()
		}
	} else {
		rw.timer.Wait() // let a running expiry finish its 504
	}
	rw.finish()
}

// redirectCode returns the redirect status, Envoy's default 301 when unset.
func redirectCode(d *route.Decision) int {
	switch {
	case d.Redirect.Code != 0:
		return d.Redirect.Code
	case d.Status != 0:
		return d.Status
	}
	return http.StatusMovedPermanently
}

// writeLocalDecorated writes a router-generated reply with the route's
// response header operations and CORS headers applied.
func writeLocalDecorated(w http.ResponseWriter, status int, body string, ops route.HeaderOps, cors *route.CORSPolicy, origin string) {
	h := w.Header()
	if body != "" {
		h["Content-Type"] = []string{"text/plain"}
	}
	ops.Apply(h)
	if cors != nil {
		decorateCORS(h, cors, origin)
	}
	writeLocal(w, status, body)
}
