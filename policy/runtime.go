package policy

import (
	"errors"
	"net/http"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/subset"
)

// Errors Pick returns; adapters map them to the status Envoy would answer.
var (
	// ErrOverflow: a connection-pool limit is reached (503, flag UO,
	// x-envoy-overloaded: true). Never retried.
	ErrOverflow = errors.New("upstream overflow: connection pool limit reached")
	// ErrNoHealthyUpstream: the target has no endpoint to pick (503, flag UH).
	ErrNoHealthyUpstream = errors.New("no healthy upstream")
)

// Result is the outcome of one attempt to an endpoint, which outlier
// detection learns from.
type Result struct {
	// Status is the upstream HTTP status, 0 when no response arrived.
	Status int
	// LocalOrigin is true for failures that happened before a response:
	// connect failure, reset, timeout.
	LocalOrigin bool
	// Err is the transport error, if any.
	Err error
}

// Lease is one admitted request to a picked endpoint. Call Release exactly
// once with the attempt's result.
type Lease struct {
	Endpoint subset.Endpoint
	// Addr is "host:port" to dial.
	Addr string
	// release is set by the runtime; nil for a zero Lease.
	release func(Result)
}

// Release returns the request slot and reports the result.
func (l *Lease) Release(r Result) {
	if l.release != nil {
		l.release(r)
		l.release = nil
	}
}

// Runtime is the shared, stateful side of traffic policies: per-cluster
// balancers, circuit breakers and outlier detectors over a subset.Registry.
// It is safe for concurrent use.
type Runtime struct {
	reg *subset.Registry
}

// NewRuntime returns a runtime picking endpoints from reg.
func NewRuntime(reg *subset.Registry) *Runtime { return &Runtime{reg: reg} }

// Pick admits a request to t (circuit breaking) and picks an endpoint
// (subset selection, outlier ejection, load balancing, consistent hashing
// on req). avoid lists endpoint addresses to prefer not to pick (earlier
// attempts, for retries with previous-hosts). It returns ErrOverflow or
// ErrNoHealthyUpstream when it cannot.
func (rt *Runtime) Pick(t *Target, req *match.Request, avoid []string) (Lease, error) {
	return Lease{}, ErrNoHealthyUpstream
}

// Transport returns the http.RoundTripper for connections to t's cluster,
// configured from its connection-pool and TLS settings.
func (rt *Runtime) Transport(t *Target) http.RoundTripper { return http.DefaultTransport }
