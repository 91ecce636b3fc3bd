package policy

import (
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

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
// once with the attempt's result; later calls on the same Lease do
// nothing, but a copy of an unreleased Lease releases the slot again, so
// release through one variable only.
type Lease struct {
	// Endpoint is the picked endpoint.
	Endpoint subset.Endpoint
	// Addr is "host:port" to dial.
	Addr string
	// SetCookie, when not nil, is the consistent-hash cookie the adapter
	// must add to the response (Set-Cookie), as Envoy does when a
	// DestinationRule's httpCookie has a ttl and the request carried none.
	SetCookie *http.Cookie

	// ep is the picked endpoint's state; nil for a zero or released Lease.
	ep *endpointState
}

// Release returns the request slot and reports the result to outlier
// detection. It allocates nothing.
//
// A lease released after the Runtime's Close also closes the connections
// its cluster's transport left idle, so a request in flight during Close
// does not leave its connection pooled.
func (l *Lease) Release(r Result) {
	if l.ep != nil {
		c := l.ep.c
		l.ep.release(r)
		l.ep = nil
		if c.rt.closed.Load() {
			c.shut()
		}
	}
}

// Runtime is the shared, stateful side of traffic policies: per-cluster
// balancers, circuit breakers and outlier detectors over a subset.Registry.
// It is safe for concurrent use. Close releases what it holds.
//
// Per-cluster state is keyed by Target.Key() and rebuilt when the Target's
// Policy pointer (or subset labels) change, which happens when a new route
// Table is swapped in; counters (Stats) survive the rebuild.
type Runtime struct {
	reg      *subset.Registry
	clock    func() time.Time
	rnd      func() uint64
	log      *slog.Logger
	locality string
	labels   map[string]string

	mu       sync.Mutex // serialises cluster map writers
	clusters atomic.Pointer[map[clusterKey]*cluster]
	stats    sync.Map // cluster name → *counters

	// retired are clusters replaced by a rebuild, kept until their leases
	// and retries are all back so that the connections their transports
	// left in use are closed too (guarded by mu, see pruneRetired).
	retired []*cluster
	// closed is set by Close (under mu), after shutdown and closedC.
	closed atomic.Bool
	// shutdown is every cluster Close released; guarded by mu.
	shutdown []*cluster
	// closedC stands in for every cluster after Close: its transport
	// fails with ErrClosed.
	closedC *cluster
}

// RuntimeOption configures a Runtime.
type RuntimeOption func(*Runtime)

// WithClock sets the clock outlier detection reads (time.Now by default),
// so tests can walk through ejection timelines.
func WithClock(now func() time.Time) RuntimeOption {
	return func(rt *Runtime) {
		if now != nil {
			rt.clock = now
		}
	}
}

// WithRand sets the random source balancers draw from (math/rand/v2's
// global generator by default). The source is guarded by a mutex, so any
// rand.Source may be passed; fixed seeds make picks reproducible.
func WithRand(src rand.Source) RuntimeOption {
	return func(rt *Runtime) {
		if src == nil {
			return
		}
		var mu sync.Mutex
		rt.rnd = func() uint64 {
			mu.Lock()
			v := src.Uint64()
			mu.Unlock()
			return v
		}
	}
}

// WithLogger sets the logger for ejections, returns, overflows and
// configuration problems (nothing is logged per request at Info level).
func WithLogger(l *slog.Logger) RuntimeOption {
	return func(rt *Runtime) {
		if l != nil {
			rt.log = l
		}
	}
}

// WithLocality sets the caller's locality, "region/zone/subzone", which
// locality-aware load balancing prefers (same zone, then same region,
// then elsewhere).
func WithLocality(locality string) RuntimeOption {
	return func(rt *Runtime) { rt.locality = locality }
}

// WithSourceLabels sets the caller's workload labels, which
// localityLbSetting.failoverPriority compares with endpoint labels.
func WithSourceLabels(labels map[string]string) RuntimeOption {
	return func(rt *Runtime) { rt.labels = labels }
}

// NewRuntime returns a runtime picking endpoints from reg (nil: every host
// is dialled by name).
func NewRuntime(reg *subset.Registry, opts ...RuntimeOption) *Runtime {
	rt := &Runtime{
		reg:   reg,
		clock: time.Now,
		rnd:   rand.Uint64,
		log:   slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(rt)
	}
	m := map[clusterKey]*cluster{}
	rt.clusters.Store(&m)
	return rt
}

// Pick admits a request to t (circuit breaking) and picks an endpoint
// (subset selection, outlier ejection, load balancing, consistent hashing
// on req). avoid lists endpoint addresses to prefer not to pick (earlier
// attempts, for retries with previous-hosts). It returns ErrOverflow or
// ErrNoHealthyUpstream when it cannot (also for a nil or host-less
// target), and ErrClosed after Close. A nil req is an empty request.
func (rt *Runtime) Pick(t *Target, req *match.Request, avoid []string) (Lease, error) {
	if t == nil || t.Host == "" {
		return Lease{}, ErrNoHealthyUpstream
	}
	if req == nil {
		req = &emptyRequest
	}
	c, open := rt.clusterOrClosed(t)
	if !open {
		return Lease{}, ErrClosed
	}
	return c.pick(req, avoid)
}

// emptyRequest stands in for a nil request; it is only read.
var emptyRequest match.Request

// AdmitRetry asks t's cluster for a retry slot (maxRetries, or retryBudget
// when set: max(minRetryConcurrency, percent × active requests)). When ok
// is false the retry must not be attempted and the original failure is
// returned (Envoy's upstream_rq_retry_overflow). Call release when the
// retry attempt ends. It allocates nothing. After Close it refuses every
// retry.
func (rt *Runtime) AdmitRetry(t *Target) (release func(), ok bool) {
	if t == nil {
		return nil, false
	}
	c, open := rt.clusterOrClosed(t)
	if !open {
		return nil, false
	}
	return c.admitRetry()
}

// cluster returns the state for t, building it on first use and
// rebuilding it when t's policy or subset labels changed. After Close it
// returns a stand-in whose transport fails with ErrClosed.
func (rt *Runtime) cluster(t *Target) *cluster {
	c, _ := rt.clusterOrClosed(t)
	return c
}

// clusterOrClosed is cluster also reporting whether the runtime is open;
// when it is not, c is the closed stand-in.
func (rt *Runtime) clusterOrClosed(t *Target) (c *cluster, open bool) {
	if rt.closed.Load() {
		return rt.closedC, false
	}
	k := clusterKey{host: t.Host, subset: t.Subset, port: t.Port}
	if c := (*rt.clusters.Load())[k]; c != nil && c.policy == t.Policy && sameLabels(c.labels, t.SubsetLabels) {
		return c, true
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed.Load() {
		return rt.closedC, false
	}
	old := *rt.clusters.Load()
	if c := old[k]; c != nil && c.policy == t.Policy && sameLabels(c.labels, t.SubsetLabels) {
		return c, true
	}
	c = newCluster(rt, t)
	rt.pruneRetired()
	if prev := old[k]; prev != nil {
		prev.retire()
		rt.retired = append(rt.retired, prev)
	}
	m := make(map[clusterKey]*cluster, len(old)+1)
	for kk, v := range old {
		m[kk] = v
	}
	m[k] = c
	rt.clusters.Store(&m)
	return c, true
}

func (rt *Runtime) counters(name string) *counters {
	if v, ok := rt.stats.Load(name); ok {
		return v.(*counters)
	}
	v, _ := rt.stats.LoadOrStore(name, &counters{})
	return v.(*counters)
}

type clusterKey struct {
	host, subset string
	port         uint32
}

func sameLabels(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
