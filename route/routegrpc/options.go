package routegrpc

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/meshroute/meshroute/fault"
	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
)

// Option configures the client and server interceptors.
type Option func(*config)

// Identity fills in the source identity of a request before the decision
// is made: SourceLabels, SourceNamespace, SourceIP, Gateway. The server
// interceptors have already set SourceIP from the peer address when it is
// called.
type Identity func(ctx context.Context, req *match.Request)

type config struct {
	authority     string
	tls           bool
	router        *Router
	identity      Identity
	rand          rand.Source
	mirrorLimit   int
	mirrorTimeout time.Duration
	streamBuffer  int
	sleep         func(context.Context, time.Duration) error
	// decide replaces Table.Decide when set; tests hand-build decisions
	// with it.
	decide func(req *match.Request) route.Decision
}

// Defaults of the client interceptors.
const (
	// DefaultMirrorLimit bounds the mirrored calls in flight per interceptor.
	DefaultMirrorLimit = 64
	// DefaultMirrorTimeout bounds a mirrored call whose route has no timeout.
	DefaultMirrorTimeout = route.SeedsDefaultTimeout
	// DefaultStreamRetryBuffer is how many bytes of sent messages a stream
	// keeps for replay before it gives up being retriable (grpc-go's own
	// per-call retry buffer is 256 KiB).
	DefaultStreamRetryBuffer = 256 << 10
)

func newConfig(opts []Option) *config {
	c := &config{
		rand:          globalRand{},
		mirrorLimit:   DefaultMirrorLimit,
		mirrorTimeout: DefaultMirrorTimeout,
		streamBuffer:  DefaultStreamRetryBuffer,
		sleep:         fault.Wait,
	}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

// WithAuthority sets the authority client calls are routed by, instead of
// the one derived from the ClientConn's target ("dns:///reviews:9080" ⇒
// "reviews:9080"). Use it when the target is an address but the calls are
// for a service name.
func WithAuthority(authority string) Option { return func(c *config) { c.authority = authority } }

// WithTLS tells the client interceptors that the ClientConn's calls go
// over TLS (it has transport credentials), which they cannot see: calls
// are then decided as https requests, so on a ServiceEntry port declared
// TLS or HTTPS the VirtualService's tls rules route them by SNI, as Istio
// routes the TLS connection. Without it they are decided as plaintext
// HTTP/2 (scheme http). The server interceptors tell TLS from the peer.
func WithTLS() Option { return func(c *config) { c.tls = true } }

// WithRouter sends client calls to the endpoints chosen by r (one
// connection per endpoint) instead of through the caller's ClientConn.
func WithRouter(r *Router) Option { return func(c *config) { c.router = r } }

// WithIdentity sets the function that fills in the caller's identity
// (labels, namespace, address) on each request, for sourceLabels,
// sourceNamespace and gateway matches.
func WithIdentity(f Identity) Option { return func(c *config) { c.identity = f } }

// WithWorkload is WithIdentity for a client whose identity is fixed: every
// call is made as a workload in namespace with labels. labels must not be
// modified afterwards.
func WithWorkload(namespace string, labels map[string]string) Option {
	return WithIdentity(func(_ context.Context, req *match.Request) {
		req.SourceNamespace = namespace
		req.SourceLabels = labels
	})
}

// WithRand sets the random source of the retry backoff jitter. It must be
// safe for concurrent use; tests pass a fixed one.
func WithRand(src rand.Source) Option {
	return func(c *config) {
		if src != nil {
			c.rand = src
		}
	}
}

// WithMirrorLimit bounds the mirrored calls in flight (default 64); a
// mirror that would exceed it is dropped. 0 turns mirroring off.
func WithMirrorLimit(n int) Option { return func(c *config) { c.mirrorLimit = max(n, 0) } }

// WithMirrorTimeout bounds mirrored calls whose route sets no timeout
// (default 15s).
func WithMirrorTimeout(d time.Duration) Option { return func(c *config) { c.mirrorTimeout = d } }

// WithStreamRetryBuffer sets how many bytes of sent messages a stream
// keeps for replay (default 256 KiB); a stream that sends more before its
// first response is no longer retried.
func WithStreamRetryBuffer(n int) Option { return func(c *config) { c.streamBuffer = max(n, 0) } }

// withDecide replaces Table.Decide, for tests that hand-build decisions.
func withDecide(f func(*match.Request) route.Decision) Option {
	return func(c *config) { c.decide = f }
}

// withSleep replaces the waits of faults and backoffs, for tests.
func withSleep(f func(context.Context, time.Duration) error) Option {
	return func(c *config) { c.sleep = f }
}

// globalRand draws from math/rand/v2's global generator, safe for
// concurrent use without locks.
type globalRand struct{}

func (globalRand) Uint64() uint64 { return rand.Uint64() }

// decide fills in the identity of req and decides on it. Calls through
// function values make their arguments escape, so they get a copy of req,
// made only when such a function is configured.
func (c *config) decideOn(ctx context.Context, src route.TableSource, req *match.Request) route.Decision {
	if c.identity == nil && c.decide == nil {
		return decideOnTable(src, req)
	}
	r := new(match.Request)
	*r = *req
	if c.identity != nil {
		c.identity(ctx, r)
	}
	*req = *r
	if c.decide != nil {
		return c.decide(r)
	}
	return decideOnTable(src, r)
}

// decideOnTable decides on src's current table; with no table at all the
// call is unavailable rather than a panic.
func decideOnTable(src route.TableSource, req *match.Request) route.Decision {
	var t *route.Table
	if src != nil {
		t = src.Table()
	}
	if t == nil {
		return route.Decision{Action: route.ActionUnavailable, Status: 503, Rule: route.RuleRef{Index: -1},
			Reason: "routegrpc: no routing table to decide on"}
	}
	return t.Decide(req)
}
