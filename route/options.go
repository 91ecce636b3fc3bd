package route

import (
	"math/rand/v2"
	"time"

	"github.com/meshroute/meshroute/internal/host"
)

// OutboundPolicy is what happens to requests for hosts that are not in the
// registry (Istio's outboundTrafficPolicy.mode).
type OutboundPolicy uint8

const (
	// AllowAny passes such requests through to their own authority.
	AllowAny OutboundPolicy = iota
	// RegistryOnly refuses them with 502, as Envoy's BlackHole cluster.
	RegistryOnly
)

// SeedsDefaultTimeout is the route timeout the seeds document for routes
// that set none ("By default, the timeout for http requests is 15 seconds").
const SeedsDefaultTimeout = 15 * time.Second

// Option configures Compile.
type Option func(*options)

type options struct {
	domain             string
	namespace          string
	defaultTimeout     time.Duration
	defaultRetries     bool
	outbound           OutboundPolicy
	rand               rand.Source
	perRequestOverride bool
	shadowSuffix       bool
	faultDefaultChance float64 // percent applied when a fault sets no percentage
	regexEngine        RegexEngine
	regexTimeout       time.Duration
	strictRegistry     bool
}

// RegexEngine selects the regular-expression engine for regex matches.
type RegexEngine uint8

const (
	// RE2 is Go's regexp package: linear time, Envoy's RE2 syntax.
	RE2 RegexEngine = iota
	// Regexp2 is github.com/dlclark/regexp2 (backtracking, .NET syntax),
	// opt-in for patterns RE2 cannot express; it always runs with a match
	// timeout (WithRegexTimeout).
	Regexp2
)

func defaultOptions() options {
	return options{
		domain:             host.DefaultDomain,
		defaultTimeout:     SeedsDefaultTimeout,
		defaultRetries:     true,
		outbound:           AllowAny,
		rand:               globalRand{},
		perRequestOverride: true,
		faultDefaultChance: 100,
		regexTimeout:       10 * time.Millisecond,
	}
}

// globalRand draws from math/rand/v2's global generator: fast, and safe
// for concurrent use without locks.
type globalRand struct{}

func (globalRand) Uint64() uint64 { return rand.Uint64() }

// WithDomain sets the cluster domain used to expand short host names
// (default "svc.cluster.local").
func WithDomain(suffix string) Option { return func(o *options) { o.domain = suffix } }

// WithNamespace sets the namespace of the workload making the requests,
// used for exportTo visibility and DestinationRule lookup when a request
// carries no SourceNamespace. Default: "default".
func WithNamespace(ns string) Option { return func(o *options) { o.namespace = ns } }

// WithDefaultTimeout sets the timeout of routes that set none. The default
// is the seeds' 15s; 0 disables it, as today's Istio. Streaming gRPC and
// upgraded connections never get the default.
func WithDefaultTimeout(d time.Duration) Option { return func(o *options) { o.defaultTimeout = d } }

// WithDefaultRetries turns the default retry policy of routes that set no
// retries (today's Istio: 2 retries on
// connect-failure,refused-stream,unavailable,cancelled) on or off.
func WithDefaultRetries(enabled bool) Option { return func(o *options) { o.defaultRetries = enabled } }

// WithOutboundPolicy sets what happens to hosts outside the registry.
func WithOutboundPolicy(p OutboundPolicy) Option { return func(o *options) { o.outbound = p } }

// WithStrictRegistry, when on, treats hosts outside the registry as Istio
// does: a host that is neither a ServiceEntry host visible to the caller's
// namespace nor a Kubernetes service name (a short name, or
// name.namespace.svc.<domain>) has no cluster, so a route to it is
// answered 503 (ActionUnavailable, flag NC), a mirror to it sends nothing,
// and a DestinationRule for it is ignored (virtualservice.md §4,
// destinationrule.md §1). Off by default: meshroute then routes to such
// hosts, taking their endpoints from whatever fills the registry, and
// Validate warns (host-not-in-registry). Turn it on when every external
// host is declared by a ServiceEntry, to see what Istio would do.
func WithStrictRegistry(on bool) Option { return func(o *options) { o.strictRegistry = on } }

// WithRand sets the random source for weighted picks and fault and mirror
// sampling. The source must be safe for concurrent use if the Table is
// used concurrently; tests pass a seeded one (rand.NewPCG(1, 2)).
func WithRand(src rand.Source) Option { return func(o *options) { o.rand = src } }

// WithPerRequestOverrides turns on or off Envoy's per-request override
// headers (x-envoy-upstream-rq-timeout-ms,
// x-envoy-upstream-rq-per-try-timeout-ms, x-envoy-max-retries). On by
// default.
func WithPerRequestOverrides(enabled bool) Option {
	return func(o *options) { o.perRequestOverride = enabled }
}

// WithShadowSuffix makes mirrored requests carry the "-shadow" authority
// suffix of Envoy and Istio before 1.28. Off by default, as today's Istio.
func WithShadowSuffix(enabled bool) Option { return func(o *options) { o.shadowSuffix = enabled } }

// WithFaultDefaultPercent sets the chance (0..100) of a fault delay or abort
// that gives no percentage. The seeds' behaviour, the default, is 100;
// today's Istio is 0 (the fault never fires).
func WithFaultDefaultPercent(p float64) Option { return func(o *options) { o.faultDefaultChance = p } }

// WithRegexEngine selects the regex engine; see RegexEngine.
func WithRegexEngine(e RegexEngine) Option { return func(o *options) { o.regexEngine = e } }

// WithRegexTimeout bounds one regexp2 match (default 10ms); RE2 needs none.
func WithRegexTimeout(d time.Duration) Option { return func(o *options) { o.regexTimeout = d } }

// IstioSemantics switches every behaviour where the seeds and today's Istio
// differ to today's Istio: no default route timeout, faults without a
// percentage never fire. (Weights, default retries, the shadow suffix and
// several VirtualServices per host already follow today's Istio.)
func IstioSemantics() Option {
	return func(o *options) {
		o.defaultTimeout = 0
		o.faultDefaultChance = 0
		o.shadowSuffix = false
	}
}
