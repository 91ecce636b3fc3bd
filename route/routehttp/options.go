package routehttp

import (
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
)

// DefaultMaxBodyBuffer is how much of a request body without GetBody the
// Transport buffers so it can be replayed on a retry or sent to mirrors.
const DefaultMaxBodyBuffer = 64 << 10

// DefaultMaxMirrorsInFlight bounds the mirrored requests a Transport has in
// flight at once; mirrors beyond it are dropped.
const DefaultMaxMirrorsInFlight = 64

// DefaultMirrorTimeout bounds a mirrored request whose route sets no
// timeout.
const DefaultMirrorTimeout = 15 * time.Second

// Option configures Middleware, NewTransport and NewGateway.
type Option func(*config)

type config struct {
	identity       IdentityFunc
	notFound       http.Handler
	gateway        string
	rand           rand.Source
	maxBody        int64
	maxMirrors     int
	mirrorTimeout  time.Duration
	shadowSuffix   bool
	httpsPort      string
	onMirrorResult func(MirrorResult)
	upstream       http.RoundTripper
	handoff        Handoff

	// decide replaces Table.Decide in tests.
	decide func(t *route.Table, req *match.Request, dst *route.Decision)
}

func newConfig(opts []Option) config {
	c := config{
		rand:          globalRand{},
		maxBody:       DefaultMaxBodyBuffer,
		maxMirrors:    DefaultMaxMirrorsInFlight,
		mirrorTimeout: DefaultMirrorTimeout,
	}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// globalRand draws from math/rand/v2's concurrency-safe global generator.
type globalRand struct{}

func (globalRand) Uint64() uint64 { return rand.Uint64() }

// WithIdentity sets how the calling workload's identity (namespace and
// labels, which sourceLabels and sourceNamespace matches read) is found for
// a request. See PeerIdentity, HeaderIdentity and StaticIdentity. Without
// it requests carry no source identity.
func WithIdentity(f IdentityFunc) Option { return func(c *config) { c.identity = f } }

// WithNotFound sets the handler for requests no route matches. The default
// answers 404 with an empty body, as Envoy does.
func WithNotFound(h http.Handler) Option { return func(c *config) { c.notFound = h } }

// WithGateway makes Middleware and the Transport decide as the named
// Istio gateway ("namespace/name") instead of as the mesh sidecar.
// NewGateway sets it itself.
func WithGateway(name string) Option { return func(c *config) { c.gateway = name } }

// WithRand sets the random source for retry backoff jitter. It must be
// safe for concurrent use when the adapter is used concurrently.
func WithRand(src rand.Source) Option { return func(c *config) { c.rand = src } }

// WithMaxBodyBuffer sets how many bytes of a request body without GetBody
// the Transport buffers for retries and mirrors (default 64 KiB). A larger
// body is sent once and never retried; n <= 0 disables buffering.
func WithMaxBodyBuffer(n int64) Option { return func(c *config) { c.maxBody = n } }

// WithMaxMirrorsInFlight bounds concurrent mirrored requests (default 64);
// a mirror that would exceed it is dropped, never queued.
func WithMaxMirrorsInFlight(n int) Option { return func(c *config) { c.maxMirrors = n } }

// WithMirrorTimeout bounds mirrored requests of routes without a timeout
// (default 15s).
func WithMirrorTimeout(d time.Duration) Option { return func(c *config) { c.mirrorTimeout = d } }

// WithShadowSuffix makes mirrored requests carry Envoy's "-shadow" suffix
// on the host part of their authority ("reviews:9080" becomes
// "reviews-shadow:9080"), as Istio before 1.28 did. Off by default, as
// today's Istio.
func WithShadowSuffix(enabled bool) Option { return func(c *config) { c.shadowSuffix = enabled } }

// WithHTTPSRedirectPort makes a Gateway's httpsRedirect point at port
// instead of keeping the request's authority unchanged (Envoy's
// behaviour), for gateways whose HTTPS listener is not on 443.
func WithHTTPSRedirectPort(port string) Option { return func(c *config) { c.httpsPort = port } }

// MirrorResult reports the outcome of one mirrored request.
type MirrorResult struct {
	Mirror route.Mirror
	// Status is the mirror's response status, 0 when none arrived.
	Status int
	// Err is the failure, if any; ErrMirrorDropped when the mirror was
	// dropped because too many were in flight.
	Err error
}

// WithMirrorObserver calls fn (from another goroutine) with the outcome
// of every mirrored request, including dropped ones. Mirrors are otherwise
// fire-and-forget.
func WithMirrorObserver(fn func(MirrorResult)) Option {
	return func(c *config) { c.onMirrorResult = fn }
}

// decideInto stores the decision for req on t in dst, through the test
// hook when one is set.
func (c *config) decideInto(dst *route.Decision, t *route.Table, req *match.Request) {
	if c.decide != nil {
		c.decide(t, req, dst)
		return
	}
	t.DecideInto(dst, req)
}

// WithUpstreamTransport makes the Transport send every attempt through rt
// instead of the policy runtime's per-cluster transports (which carry the
// DestinationRule's connection-pool and TLS settings): for tests, or a
// custom dialer.
func WithUpstreamTransport(rt http.RoundTripper) Option { return func(c *config) { c.upstream = rt } }
