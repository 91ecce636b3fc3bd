package routegrpc

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
)

// client is the state shared by the client interceptors.
type client struct {
	src     route.TableSource
	cfg     *config
	mirrors *mirrorer
}

func newClient(src route.TableSource, opts []Option) *client {
	cfg := newConfig(opts)
	return &client{src: src, cfg: cfg, mirrors: newMirrorer(cfg)}
}

// UnaryClientInterceptor returns an interceptor that routes each unary
// call by the table src provides: it decides, answers calls that are not
// forwarded, injects faults, rewrites metadata, applies the route timeout,
// mirrors, and sends the call with retries, to the endpoint the Router
// picks (WithRouter) or through the caller's ClientConn. See the package
// documentation for the details.
func UnaryClientInterceptor(src route.TableSource, opts ...Option) grpc.UnaryClientInterceptor {
	c := newClient(src, opts)
	return c.unary
}

// prepare builds the request view of a client call and decides on it. md
// is the interceptor's own copy of the outgoing metadata.
func (c *client) prepare(ctx context.Context, method string, cc *grpc.ClientConn) (route.Decision, match.Request, metadata.MD) {
	md, _ := metadata.FromOutgoingContext(ctx)
	authority := c.cfg.authority
	if authority == "" && cc != nil {
		authority = authorityFromTarget(cc.Target())
	}
	req := match.FromGRPC(method, authority, md)
	if c.cfg.tls {
		req.Scheme = "https"
	}
	d := c.cfg.decideOn(ctx, c.src, &req)
	return d, req, md
}

// start carries out everything that happens before the first try: local
// answers, faults and request header operations. It returns the context to
// send with.
func (c *client) start(ctx context.Context, d *route.Decision, md metadata.MD) (context.Context, error) {
	if err := actionError(d); err != nil {
		return ctx, err
	}
	if err := faultError(ctx, c.cfg, d); err != nil {
		return ctx, err
	}
	if !d.RequestHeaders.Empty() {
		if md == nil {
			md = metadata.MD{}
		}
		applyRequestOps(md, d)
		ctx = metadata.NewOutgoingContext(ctx, md)
	}
	return ctx, nil
}

// withTimeout bounds ctx by the route timeout d (0 = none), never
// extending a shorter deadline the caller set.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return ctx, func() {}
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}

// upstreamMethod is the method to send: the decision's path after a
// rewrite, or the call's own.
func upstreamMethod(d *route.Decision, method string) string {
	if d.Path != "" {
		return d.Path
	}
	return method
}

func (c *client) unary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	d, mreq, md := c.prepare(ctx, method, cc)
	ctx, err := c.start(ctx, &d, md)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx, d.Timeout)
	defer cancel()
	up := upstreamMethod(&d, method)
	if d.Mirrors.Len() > 0 {
		c.mirrors.send(ctx, &d, d.Mirrors.Each, &mreq, up, req, reply)
	}
	tries := 1 + max(d.Retry.Attempts, 0)
	direct := c.cfg.router == nil || d.Passthrough
	if direct && tries == 1 && (d.Authority == "" || d.Authority == mreq.Authority) {
		// Nothing to learn from the outcome: send the call as it is.
		if err := invoker(ctx, up, req, reply, cc, opts...); err != nil {
			return err
		}
		applyResponseOps(opts, &d)
		return nil
	}
	var avoid []string
	co := callOptionsPool.Get().(*callOptions)
	defer co.release()
	releaseRetry := func() {}
	for n := 1; ; n++ {
		o, addr := c.unaryTry(ctx, &d, &mreq, up, req, reply, cc, invoker, co.build(opts), &co.trailer, avoid)
		releaseRetry()
		if o.err == nil {
			applyResponseOps(opts, &d)
			return nil
		}
		if n >= tries || !retriable(&d.Retry, o) {
			if o.answered {
				applyResponseOps(opts, &d) // an error status is a response too
			}
			return o.err
		}
		var ok bool
		if releaseRetry, ok = c.admitRetry(&d); !ok {
			return o.err // retry overflow: the original failure stands
		}
		if err := c.cfg.sleep(ctx, backoff(&d.Retry, n, c.cfg.rand)); err != nil {
			releaseRetry()
			return o.err
		}
		if d.Retry.IgnorePreviousHosts && addr != "" {
			avoid = append(avoid, addr)
		}
	}
}

// admitRetry asks the target's circuit breaker for a retry slot when
// calls go through a Router; without one every retry is admitted.
func (c *client) admitRetry(d *route.Decision) (func(), bool) {
	r := c.cfg.router
	if r == nil || d.Passthrough {
		return func() {}, true
	}
	t := d.Target
	return r.pick.admitRetry(&t)
}

// unaryTry makes one try, bounded by the per-try timeout, and returns its
// outcome and the endpoint it went to ("" without a Router).
func (c *client) unaryTry(ctx context.Context, d *route.Decision, mreq *match.Request, method string, req, reply any,
	cc *grpc.ClientConn, invoker grpc.UnaryInvoker, callOpts []grpc.CallOption, trailer *metadata.MD, avoid []string) (outcome, string) {
	tctx, cancel := withTimeout(ctx, d.Retry.PerTryTimeout)
	defer cancel()
	*trailer = nil
	if c.cfg.router == nil || d.Passthrough {
		if a := d.Authority; a != "" && a != mreq.Authority {
			callOpts = append(callOpts, grpc.CallAuthority(a))
		}
		err := invoker(tctx, method, req, reply, cc, callOpts...)
		return classify(err, *trailer != nil, tctx, ctx), ""
	}
	t, view := d.Target, *mreq // copies, so the call's own do not escape
	addr, done, err := c.cfg.router.pick.pick(&t, &view, avoid)
	if err != nil {
		return outcome{err: pickError(err, d), final: true}, ""
	}
	conn, err := c.cfg.router.Conn(addr)
	if err != nil {
		o := outcome{err: status.Error(codes.Unavailable, err.Error()), final: true}
		done(result(o))
		return o, addr
	}
	if d.Authority != "" {
		callOpts = append(callOpts, grpc.CallAuthority(d.Authority))
	}
	err = conn.Invoke(tctx, method, req, reply, callOpts...)
	o := classify(err, *trailer != nil, tctx, ctx)
	done(result(o))
	return o, addr
}

// callOptions holds the call options of a call's tries: the caller's,
// plus grpc.Trailer to learn whether the upstream answered (a status means
// it did; a connection failure leaves no trailer), plus the authority.
// It comes from callOptionsPool and goes back when the call returns: the
// invoker has written the trailer and is done with the options by then,
// as a unary call ends when its invoker returns.
type callOptions struct {
	trailer metadata.MD
	buf     [6]grpc.CallOption
}

var callOptionsPool = sync.Pool{New: func() any { return new(callOptions) }}

// release clears co, so the pool keeps no caller's options or trailer, and
// returns it to the pool.
func (co *callOptions) release() {
	*co = callOptions{}
	callOptionsPool.Put(co)
}

// build returns the caller's options followed by the trailer option, with
// room for one more.
func (co *callOptions) build(opts []grpc.CallOption) []grpc.CallOption {
	var list []grpc.CallOption
	if len(opts)+2 <= len(co.buf) {
		list = co.buf[:0]
	} else {
		list = make([]grpc.CallOption, 0, len(opts)+2)
	}
	list = append(list, opts...)
	return append(list, grpc.Trailer(&co.trailer))
}
