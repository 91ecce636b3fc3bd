package routehttp

import (
	"context"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
)

// decisionKey is the context key of a request's decision.
type decisionKey struct{}

// decisionCtx carries a decision in one allocation: it is the context the
// next handler sees, answering Value(decisionKey{}) itself.
type decisionCtx struct {
	context.Context
	d route.Decision
	// view is the request view the decision was made on; the Gateway's
	// Transport picks endpoints (consistent hashing) on it.
	view match.Request
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

// DecisionFrom returns the routing decision Middleware (or the Gateway)
// made for the request whose context is ctx.
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
