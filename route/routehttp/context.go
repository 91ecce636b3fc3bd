package routehttp

import (
	"context"
	"net/http"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
)

// Handoff says how Middleware hands a routed request and its decision to
// the next handler. See WithHandoff.
type Handoff uint8

const (
	// HandoffCopy, the default, gives each request a context carrying the
	// decision and a shallow copy of the request pointing at it, made in
	// one allocation (about 1 KB) that is never reused: the handler may
	// keep the request and its context after it returns, as net/http
	// allows — goroutines it starts may watch r.Context().Done(), and
	// context.WithoutCancel(r.Context()) may outlive it.
	HandoffCopy Handoff = iota

	// HandoffPooled keeps that context and request copy in per-request
	// state that the middleware reuses for a later request once the
	// handler has returned, so a routed request without a timeout costs no
	// allocation. In exchange the handler must be done with the request
	// it was given, with its context and with every context derived from
	// it (context.WithValue, WithCancel, WithTimeout, WithoutCancel, ...)
	// when it returns: goroutines it starts must have finished with them,
	// functions it registers with context.AfterFunc must not use them
	// (net/http cancels the context, running those functions, after the
	// handler returns), and nothing may keep them for later. A handler that
	// breaks this reads another request's fields, context values and
	// decision — a data race (go test -race reports it). Detach what must
	// outlive the handler first: copy the values it needs out of the
	// context and the request, and use DecisionFrom's copy of the
	// decision. The request's context should be made of the standard
	// library's contexts, as net/http's is: derived from a context type of
	// another package, context.WithCancel and its kin may watch the parent
	// from a goroutine of their own that outlives the handler.
	HandoffPooled

	// HandoffNone does not publish the decision: DecisionFrom reports
	// false, and the handler gets the request it would have got without
	// the middleware — the caller's own *http.Request, with no allocation
	// — unless the route rewrites it or sets a timeout, which a copy
	// carries. Nothing is reused, so nothing is asked of the handler.
	HandoffNone
)

// WithHandoff sets how Middleware hands a routed request and its decision
// to the next handler (and to the WithNotFound handler): HandoffCopy (the
// default), HandoffPooled or HandoffNone. The Gateway always uses
// HandoffCopy, as its Transport's mirrored requests outlive the request
// they copy.
func WithHandoff(h Handoff) Option { return func(c *config) { c.handoff = h } }

// decisionKey is the context key of a request's decision.
type decisionKey struct{}

// decisionCtx is the context the next handler sees: it answers
// Value(decisionKey{}) itself, carrying the decision without a
// context.WithValue node.
type decisionCtx struct {
	context.Context
	d route.Decision
	// view is the request view the decision was made on, set only for the
	// Gateway, whose Transport picks endpoints (consistent hashing) on it.
	view *match.Request
	// upstream is true when the Transport still has to carry out the
	// forwarding part of the decision (rewrite, header operations,
	// timeout, retries, mirrors): set by the Gateway, whose middleware
	// stage leaves that to the Transport.
	upstream bool
}

func (c *decisionCtx) Value(key any) any {
	if key == (decisionKey{}) {
		return c
	}
	return c.Context.Value(key)
}

func (c *decisionCtx) String() string { return "routehttp.decisionContext" }

// handoff is what the next handler is given: a copy of its request whose
// context is ctx, which carries the decision. Under HandoffCopy it is
// allocated per request and never reused; under HandoffPooled it lives in
// the pooled per-request state.
type handoff struct {
	ctx decisionCtx
	req http.Request
}

// request returns a shallow copy of r, kept in h, whose context is h.ctx.
func (h *handoff) request(r *http.Request) *http.Request {
	// WithContext is inlined here and its copy, which does not escape,
	// stays on the stack: r is copied into h without an allocation of its
	// own (TestMiddlewareAllocs pins this).
	h.req = *r.WithContext(&h.ctx)
	return &h.req
}

// gatewayHandoff is the Gateway's handoff: the view its Transport needs
// lives with the decision, as long as the context that carries it.
type gatewayHandoff struct {
	handoff
	view match.Request
}

// DecisionFrom returns the routing decision Middleware (or the Gateway)
// made for the request whose context is ctx, or any context derived from
// it. It reports false when there is none, and always under
// WithHandoff(HandoffNone). Under HandoffPooled, ctx must not be used
// once the handler it was given to has returned.
func DecisionFrom(ctx context.Context) (route.Decision, bool) {
	if c := decisionOf(ctx); c != nil {
		return c.d, true
	}
	return route.Decision{}, false
}

func decisionOf(ctx context.Context) *decisionCtx {
	c, _ := ctx.Value(decisionKey{}).(*decisionCtx)
	return c
}
