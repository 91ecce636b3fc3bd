package routehttp

import (
	"context"
	"net/http"
	"sync"

	"github.com/meshroute/meshroute/fault"
	"github.com/meshroute/meshroute/match"
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
// The next handler finds the decision with DecisionFrom. How the request
// and the decision are handed to it is WithHandoff's choice: by default
// each request gets a context and request copy of its own (one
// allocation) that the handler may keep; HandoffPooled reuses them once
// the handler has returned (no allocation, but the handler must not keep
// them), and HandoffNone does not publish the decision. Per-request
// working state (the request view, the response writer wrapper and its
// timeout timer) is pooled in every mode: as net/http requires, the
// ResponseWriter must not be used once the handler has returned.
//
// The middleware works with any router that uses
// func(http.Handler) http.Handler middleware (http.ServeMux, chi,
// gorilla/mux, alice).
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

// exchange is the working state of one request through Middleware or the
// Gateway: the request view, the decision, the response writer wrapper
// (with its route-timeout timer) and, under HandoffPooled, the handoff.
// It comes from exchangePool and goes back once the next handler has
// returned — never after a panic — so nothing in it may be reachable by
// the handler afterwards except what HandoffPooled documents.
type exchange struct {
	view match.Request
	// ho.ctx.d holds the decision in every mode; ho is handed over itself
	// only under HandoffPooled.
	ho handoff
	rw responseWriter
}

var exchangePool = sync.Pool{New: func() any { return new(exchange) }}

func getExchange() *exchange { return exchangePool.Get().(*exchange) }

// putExchange clears ex, so the pool pins no request, table or decision,
// and returns it to the pool.
func putExchange(ex *exchange) {
	ex.view = match.Request{}
	ex.ho = handoff{}
	ex.rw.reset()
	exchangePool.Put(ex)
}

func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ex := getExchange()
	m.cfg.viewInto(&ex.view, r)
	m.cfg.decideInto(&ex.ho.ctx.d, m.src.Table(), &ex.view)
	m.serve(w, r, ex)
	putExchange(ex)
}

// serve applies the decision in ex to the request.
func (m *middleware) serve(w http.ResponseWriter, r *http.Request, ex *exchange) {
	d := &ex.ho.ctx.d
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
			m.cfg.notFound.ServeHTTP(w, m.pass(r, ex, nil, false))
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
			w = ex.rw.start(w, route.HeaderOps{}, cors, origin, false)
		}
		m.next.ServeHTTP(w, m.pass(r, ex, nil, false))
		return
	}

	if !d.RequestHeaders.Empty() {
		d.RequestHeaders.Apply(r.Header)
	}
	if d.Timeout > 0 {
		m.serveWithTimeout(w, r, ex, cors, origin)
		return
	}
	rewrite := pathRewritten(d, &ex.view) || authorityRewritten(d, &ex.view)
	r = m.pass(r, ex, nil, rewrite)
	if rewrite {
		rewriteInbound(r, d, &ex.view)
	}
	if !d.ResponseHeaders.Empty() || cors != nil {
		w = ex.rw.start(w, d.ResponseHeaders, cors, origin, false)
	}
	m.next.ServeHTTP(w, r)
}

// pass returns the request the next handler gets: under the configured
// Handoff, a copy whose context is ctx (r's own when ctx is nil) carrying
// the decision, or — HandoffNone — r itself when neither ctx nor a
// rewrite (rewrite is true when one follows) asks for a copy. The
// Gateway's handoff always is a fresh copy that also carries the view.
func (m *middleware) pass(r *http.Request, ex *exchange, ctx context.Context, rewrite bool) *http.Request {
	if ctx == nil {
		if m.cfg.handoff == HandoffNone && !m.upstream && !rewrite {
			return r
		}
		ctx = r.Context()
	}
	if m.upstream {
		g := &gatewayHandoff{view: ex.view}
		g.ctx.Context, g.ctx.d, g.ctx.view, g.ctx.upstream = ctx, ex.ho.ctx.d, &g.view, true
		return g.request(r)
	}
	switch m.cfg.handoff {
	case HandoffPooled:
		ex.ho.ctx.Context = ctx
		return ex.ho.request(r)
	case HandoffNone:
		return r.WithContext(ctx)
	}
	h := &handoff{}
	h.ctx.Context, h.ctx.d = ctx, ex.ho.ctx.d
	return h.request(r)
}

// serveWithTimeout runs the next handler under the route timeout.
func (m *middleware) serveWithTimeout(w http.ResponseWriter, r *http.Request, ex *exchange, cors *route.CORSPolicy, origin string) {
	d := &ex.ho.ctx.d
	ctx, cancel := context.WithTimeout(r.Context(), d.Timeout)
	defer cancel()
	r = m.pass(r, ex, ctx, true)
	rewriteInbound(r, d, &ex.view)
	rw := ex.rw.start(w, d.ResponseHeaders, cors, origin, true)
	// The writer's timer runs alongside the context's own deadline timer:
	// cheaper than context.AfterFunc (it is reused with the exchange), and
	// it fires only on expiry, never when the client goes away. disarm is
	// deferred so that a panicking handler leaves no timer behind to write
	// a 504 on a connection net/http is tearing down.
	rw.arm(d.Timeout)
	returned := false
	defer func() { rw.disarm(ctx, returned) }()
	m.next.ServeHTTP(rw, r)
	returned = true
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
