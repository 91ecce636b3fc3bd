package policy

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/internal/host"
	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/subset"
)

// cluster is the runtime state of one Envoy cluster (host, subset, port)
// under one compiled policy.
type cluster struct {
	rt     *Runtime
	name   string
	host   string
	port   uint32
	labels map[string]string
	policy *networking.TrafficPolicy
	cfg    config
	stats  *counters

	active  atomic.Int64 // admitted, unreleased requests
	retries atomic.Int64 // admitted, unreleased retries

	retryDone func() // releases a retry slot; built once

	mu        sync.Mutex                   // guards rebuilds and outlier ejection state
	state     atomic.Pointer[clusterState] // endpoints of the current Service
	nextSweep atomic.Int64                 // unix nanos of the next outlier sweep
	ringK     uint64                       // ring points per unit of weight (c.mu)

	passthrough endpointState // shared state for PASSTHROUGH leases

	transportOnce sync.Once
	transport     http.RoundTripper
	transportErr  error
	// built is the transport once it is built, published for closing its
	// idle connections: a cluster is retired or shut from other
	// goroutines than the one building its transport, and without the
	// sync.Once.
	built atomic.Pointer[http.Transport]
	// named are the transports of callers' own TLS sessions to other
	// server names than host, by name (*clusterTransport; see
	// Runtime.TransportNamed).
	named sync.Map
}

// clusterState is the endpoints of one Service value with their balancer
// input; hosts is fixed, the healthy view is swapped on ejections.
type clusterState struct {
	gen     atomic.Uint64 // registry generation svc was current at
	svc     *subset.Service
	sel     *subset.Selection
	hosts   []*endpointState
	healthy atomic.Pointer[hostSet]
}

func newCluster(rt *Runtime, t *Target) *cluster {
	name := t.Key()
	c := &cluster{
		rt:     rt,
		name:   name,
		host:   t.Host,
		port:   t.Port,
		labels: t.SubsetLabels,
		policy: t.Policy,
		cfg:    compile(t.Policy),
		stats:  rt.counters(name),
	}
	c.retryDone = c.releaseRetry
	c.passthrough.c = c
	c.nextSweep.Store(rt.clock().Add(c.cfg.outlier.interval).UnixNano())
	return c
}

// retire releases resources of a cluster replaced by a rebuild: the idle
// connections of its transport. A transport still being built is not
// waited for; its connections are closed when the cluster is released.
func (c *cluster) retire() { c.closeIdle() }

// closeIdle closes the idle connections of c's transports, if it has
// any.
func (c *cluster) closeIdle() {
	if tr := c.built.Load(); tr != nil {
		tr.CloseIdleConnections()
	}
	c.named.Range(func(_, ct any) bool {
		ct.(*clusterTransport).tr.CloseIdleConnections()
		return true
	})
}

// current returns the cluster's endpoint state, rebuilding it when the
// registry's Service for the host changed.
func (c *cluster) current() *clusterState {
	gen := c.rt.reg.Generation()
	st := c.state.Load()
	if st != nil && st.gen.Load() == gen {
		return st
	}
	svc := c.rt.reg.Resolve(c.host)
	if st != nil && st.svc == svc {
		st.gen.Store(gen)
		return st
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.state.Load(); st != nil && st.svc == svc {
		return st
	}
	st = &clusterState{svc: svc}
	st.gen.Store(gen)
	switch {
	case svc != nil && (len(svc.Endpoints) > 0 || !host.IsWildcard(svc.Host)):
		st.sel = svc.Select(c.labels, c.port)
	case svc != nil: // wildcard service without endpoints: dial the host asked for
		named := &subset.Service{Host: c.host, Ports: svc.Ports}
		st.sel = named.Select(nil, c.port)
	default: // not in the registry: dialled by name
		named := &subset.Service{Host: c.host}
		st.sel = named.Select(nil, c.port)
	}
	old := map[string]*endpointState{}
	if prev := c.state.Load(); prev != nil {
		for _, e := range prev.hosts {
			old[e.addr] = e
		}
	}
	for i, ep := range st.sel.Endpoints {
		e := &endpointState{c: c, st: st, ep: ep, addr: st.sel.Addrs[i], weight: uint64(max(ep.Weight, 1))}
		e.priority = localityPriority(c.rt.locality, ep.Locality, c.cfg.failover)
		if len(c.cfg.failoverPri) > 0 {
			e.priority += 8 * labelPriority(c.cfg.failoverPri, c.rt.labels, c.rt.locality, e)
		}
		if p := old[e.addr]; p != nil {
			e.carryOutlier(p)
			e.born = p.born
		} else if len(old) > 0 || c.state.Load() != nil {
			e.born = c.rt.clock().UnixNano() // joined a running cluster: warms up
		}
		st.hosts = append(st.hosts, e)
	}
	if !c.cfg.localityOff {
		if w := distributeWeights(c.rt.locality, c.cfg.distribute, st.hosts); w != nil {
			kept := st.hosts[:0]
			for i, e := range st.hosts {
				if w[i] > 0 {
					e.weight = w[i]
					kept = append(kept, e)
				}
			}
			st.hosts = kept
		}
	}
	st.healthy.Store(c.buildHostSet(st))
	c.state.Store(st)
	return st
}

// pick admits a request and picks its endpoint.
func (c *cluster) pick(req *match.Request, avoid []string) (Lease, error) {
	if c.cfg.outlier.enabled {
		c.maybeSweep()
	}
	if !c.admit() {
		return Lease{}, ErrOverflow
	}
	if c.cfg.lb == lbPassthrough {
		return c.pickPassthrough(req), nil
	}
	st := c.current()
	hs := st.healthy.Load()
	if hs.refreshAt != 0 {
		hs = c.refreshWarmup(st, hs)
	}
	if st.sel.ByName && host.IsWildcard(c.host) {
		return c.pickPassthrough(req), nil
	}
	var l Lease
	e := hs.pick(c, req, avoid, &l)
	if e == nil {
		c.active.Add(-1)
		c.stats.noHealthy.Add(1)
		return Lease{}, ErrNoHealthyUpstream
	}
	e.active.Add(1)
	c.stats.requests.Add(1)
	l.Endpoint, l.Addr, l.ep = e.ep, e.addr, e
	return l, nil
}

// pickPassthrough dials the request's original destination: its
// destination IP when known, else its authority (ORIGINAL_DST).
func (c *cluster) pickPassthrough(req *match.Request) Lease {
	c.stats.requests.Add(1)
	c.passthrough.active.Add(1)
	port := req.Port
	if port == 0 {
		port = c.port
	}
	l := Lease{ep: &c.passthrough}
	switch {
	case req.DestinationIP.IsValid():
		l.Endpoint.Address = req.DestinationIP.String()
		l.Addr = net.JoinHostPort(l.Endpoint.Address, strconv.FormatUint(uint64(port), 10))
	default:
		h, p, err := net.SplitHostPort(req.Authority)
		if err == nil {
			l.Endpoint.Address, l.Addr = h, req.Authority
			if n, err := strconv.ParseUint(p, 10, 16); err == nil {
				l.Endpoint.Port = uint32(n)
			}
		} else {
			l.Endpoint.Address = req.Authority
			l.Addr = net.JoinHostPort(req.Authority, strconv.FormatUint(uint64(port), 10))
		}
	}
	if l.Endpoint.Port == 0 {
		l.Endpoint.Port = port
	}
	return l
}

// admit applies the request circuit breakers: http2MaxRequests bounds the
// active requests; http1MaxPendingRequests bounds the requests waiting for
// one of maxConnections connections (active beyond maxConnections).
func (c *cluster) admit() bool {
	n := c.active.Add(1)
	cfg := &c.cfg
	if cfg.maxRequests > 0 && n > cfg.maxRequests {
		c.active.Add(-1)
		c.stats.overflows.Add(1)
		c.rt.log.Debug("circuit breaker overflow", "cluster", c.name, "limit", "http2MaxRequests", "max", cfg.maxRequests)
		return false
	}
	if cfg.maxConns > 0 && cfg.maxPending > 0 && n > cfg.maxConns+cfg.maxPending {
		c.active.Add(-1)
		c.stats.overflows.Add(1)
		c.stats.pendingOverflows.Add(1)
		c.rt.log.Debug("circuit breaker overflow", "cluster", c.name, "limit", "http1MaxPendingRequests", "max", cfg.maxPending)
		return false
	}
	return true
}

func (c *cluster) admitRetry() (func(), bool) {
	n := c.retries.Add(1)
	limit := c.cfg.maxRetries
	if c.cfg.budget {
		limit = max(c.cfg.budgetMin, int64(c.cfg.budgetPct/100*float64(c.active.Load())))
	}
	if limit > 0 && n > limit {
		c.retries.Add(-1)
		c.stats.retryOverflows.Add(1)
		return nil, false
	}
	c.stats.retries.Add(1)
	return c.retryDone, true
}

func (c *cluster) releaseRetry() { c.retries.Add(-1) }

// endpointState is one endpoint of a cluster with its request count and
// outlier-detection state.
type endpointState struct {
	c        *cluster
	st       *clusterState
	ep       subset.Endpoint
	addr     string
	weight   uint64
	priority int
	born     int64 // unix nanos it joined the running cluster; 0 if there from the start
	active   atomic.Int64

	// consecutive error counters, updated without locks
	consec5xx, consecGw, consecLocal atomic.Uint32
	// ejection state, guarded by c.mu (ejected is also read lock-free)
	ejected    atomic.Bool
	ejections  int
	ejectUntil int64 // unix nanos
}

func (e *endpointState) release(r Result) {
	e.active.Add(-1)
	c := e.c
	c.active.Add(-1)
	if e == &c.passthrough || !c.cfg.outlier.enabled {
		return
	}
	c.observe(e, r)
}

func (e *endpointState) carryOutlier(p *endpointState) {
	e.consec5xx.Store(p.consec5xx.Load())
	e.consecGw.Store(p.consecGw.Load())
	e.consecLocal.Store(p.consecLocal.Load())
	e.ejected.Store(p.ejected.Load())
	e.ejections = p.ejections
	e.ejectUntil = p.ejectUntil
}
