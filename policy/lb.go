package policy

import (
	"github.com/meshroute/meshroute/match"
	"slices"
	"sort"
)

// balancer picks one host of a fixed, non-empty set. hash is the
// request's consistent-hash key when hashed is true; rnd is the runtime's
// random source. Implementations allocate nothing per pick.
type balancer interface {
	pick(hash uint64, hashed bool, rnd func() uint64) *endpointState
}

// hostSet is the view balancers pick from: the non-ejected hosts (or all
// of them in panic mode) split into locality priority tiers, each with its
// balancer. It is immutable and swapped when ejections change.
type hostSet struct {
	tiers []tier
	panic bool
}

type tier struct {
	hosts []*endpointState
	lb    balancer
}

// buildHostSet computes the healthy view of st. Called with c.mu held or
// before st is published.
func (c *cluster) buildHostSet(st *clusterState) *hostSet {
	hs := &hostSet{}
	healthy := make([]*endpointState, 0, len(st.hosts))
	for _, h := range st.hosts {
		if !h.ejected.Load() {
			healthy = append(healthy, h)
		}
	}
	if mh := c.cfg.outlier.minHealthPct; mh > 0 && len(healthy)*100 < mh*len(st.hosts) {
		healthy = st.hosts
		hs.panic = true
	}
	if len(healthy) == 0 {
		return hs
	}
	if c.cfg.lb == lbRingHash {
		c.updateRingK(st.hosts)
	}
	if c.localityEnabled() {
		byPrio := map[int][]*endpointState{}
		var prios []int
		for _, h := range healthy {
			if _, ok := byPrio[h.priority]; !ok {
				prios = append(prios, h.priority)
			}
			byPrio[h.priority] = append(byPrio[h.priority], h)
		}
		sort.Ints(prios)
		for _, p := range prios {
			hs.tiers = append(hs.tiers, tier{hosts: byPrio[p], lb: c.newBalancer(byPrio[p])})
		}
		return hs
	}
	hs.tiers = []tier{{hosts: healthy, lb: c.newBalancer(healthy)}}
	return hs
}

// localityEnabled reports whether locality failover applies: the caller's
// locality is known, the policy does not disable it, and outlier detection
// is set (Istio configures locality failover only then).
func (c *cluster) localityEnabled() bool {
	return c.rt.locality != "" && !c.cfg.localityOff && c.cfg.outlier.enabled
}

func (c *cluster) newBalancer(hosts []*endpointState) balancer {
	switch c.cfg.lb {
	case lbRoundRobin:
		return newRoundRobin(hosts)
	case lbRandom:
		return newRandom(hosts)
	case lbRingHash:
		return newRingHash(hosts, c.ringK)
	case lbMaglev:
		return newMaglev(hosts, c.cfg.tableSize)
	default:
		return newLeastRequest(hosts)
	}
}

// pick chooses the endpoint for one request from the first tier with
// hosts, hashing the request when the policy says so, and re-picking up
// to previousHostsAttempts times when the choice is in avoid.
func (hs *hostSet) pick(c *cluster, req *match.Request, avoid []string, l *Lease) *endpointState {
	if len(hs.tiers) == 0 {
		return nil
	}
	t := &hs.tiers[0]
	var h uint64
	hashed := false
	if c.cfg.hash != hashNone {
		h, hashed = c.requestHash(req, l)
	}
	rnd := c.rt.rnd
	e := t.lb.pick(h, hashed, rnd)
	if len(avoid) == 0 || len(t.hosts) == 1 || !slices.Contains(avoid, e.addr) {
		return e
	}
	for i := 0; i < previousHostsAttempts; i++ {
		e = t.lb.pick(rnd(), hashed, rnd)
		if !slices.Contains(avoid, e.addr) {
			return e
		}
	}
	// Envoy gives up here; we look for any host not tried yet.
	start := int(rnd() % uint64(len(t.hosts)))
	for i := range t.hosts {
		if h := t.hosts[(start+i)%len(t.hosts)]; !slices.Contains(avoid, h.addr) {
			return h
		}
	}
	return e
}

// updateRingK chooses the ring points per unit of weight. It keeps the
// previous value while the ring stays between minimumRingSize and four
// times it, so that a host leaving (or being ejected) moves only its own
// keys; Envoy re-spreads a ring of fixed size instead, which moves more.
// A new value aims at twice minimumRingSize. Called with c.mu held.
func (c *cluster) updateRingK(hosts []*endpointState) {
	var w uint64
	for _, h := range hosts {
		w += h.weight
	}
	minSize := uint64(c.cfg.ringSize)
	if k := c.ringK; k > 0 && k*w >= minSize && k*w <= 4*minSize && k*w <= maxRingSize {
		return
	}
	c.ringK = max(1, min((2*minSize+w-1)/w, maxRingSize/max(w, 1)))
}
