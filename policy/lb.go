package policy

import (
	"slices"
	"sort"

	"github.com/meshroute/meshroute/match"
)

// balancer picks one host of a fixed, non-empty set. hash is the
// request's consistent-hash key when hashed is true; rnd is the runtime's
// random source. Implementations allocate nothing per pick.
type balancer interface {
	pick(hash uint64, hashed bool, rnd func() uint64) *endpointState
}

// hostSet is the view balancers pick from: the non-ejected hosts (or all
// of them in panic mode) split into locality priority tiers, each with its
// balancer and its share of the traffic. It is immutable and swapped when
// ejections change.
type hostSet struct {
	tiers []tier
	panic bool
	// refreshAt is when warming hosts' weights are next recomputed (unix
	// nanos); 0 when no host is warming up.
	refreshAt int64
}

type tier struct {
	hosts []*endpointState
	lb    balancer
	cum   uint64 // cumulative load percent up to and including this tier
}

// overprovisioning is Envoy's default overprovisioning factor (1.4, in
// percent): a priority whose healthy share is at least 1/1.4 ≈ 71% keeps
// all its traffic; below that the rest spills to the next priority.
const overprovisioning = 140

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
		c.priorityTiers(hs, st.hosts, healthy)
		return hs
	}
	hs.tiers = []tier{{hosts: healthy, lb: c.newBalancer(healthy, hs)}}
	return hs
}

// priorityTiers splits hosts into locality priorities and gives each the
// load Envoy would: its health (healthy/total × 1.4, at most 100%) in
// priority order until 100% is handed out, normalised when the health of
// all priorities together is under 100%.
func (c *cluster) priorityTiers(hs *hostSet, all, healthy []*endpointState) {
	total := map[int]uint64{}
	byPrio := map[int][]*endpointState{}
	var prios []int
	for _, h := range all {
		if _, ok := total[h.priority]; !ok {
			prios = append(prios, h.priority)
		}
		total[h.priority]++
	}
	for _, h := range healthy {
		byPrio[h.priority] = append(byPrio[h.priority], h)
	}
	sort.Ints(prios)
	health := make([]uint64, len(prios))
	var sum uint64
	for i, p := range prios {
		health[i] = min(100, overprovisioning*uint64(len(byPrio[p]))/total[p])
		if len(byPrio[p]) > 0 {
			health[i] = max(health[i], 1)
		}
		if hs.panic {
			health[i] = 100
		}
		sum += health[i]
	}
	norm := min(100, sum)
	remaining, cum := uint64(100), uint64(0)
	for i, p := range prios {
		if len(byPrio[p]) == 0 {
			continue
		}
		load := min(remaining, health[i]*100/norm)
		remaining -= load
		cum += load
		hs.tiers = append(hs.tiers, tier{hosts: byPrio[p], lb: c.newBalancer(byPrio[p], hs), cum: cum})
	}
	hs.tiers[0].cum += remaining // rounding leftovers go to the first tier
	for i := 1; i < len(hs.tiers); i++ {
		hs.tiers[i].cum += remaining
	}
}

// localityEnabled reports whether priority failover applies: the caller's
// locality is known or failoverPriority is set, the policy does not
// disable it, and outlier detection is set (Istio configures failover
// only then).
func (c *cluster) localityEnabled() bool {
	return (c.rt.locality != "" || len(c.cfg.failoverPri) > 0) && !c.cfg.localityOff && c.cfg.outlier.enabled
}

func (c *cluster) newBalancer(hosts []*endpointState, hs *hostSet) balancer {
	switch c.cfg.lb {
	case lbRoundRobin:
		return newRoundRobin(hosts, c.warmWeights(hosts, hs))
	case lbRandom:
		return newRandom(hosts, weightsOf(hosts))
	case lbRingHash:
		return newRingHash(hosts, c.ringK)
	case lbMaglev:
		return newMaglev(hosts, c.cfg.tableSize)
	default:
		return newLeastRequest(hosts, c.warmWeights(hosts, hs))
	}
}

// pick chooses the endpoint for one request from the first tier with
// hosts, hashing the request when the policy says so, and re-picking up
// to previousHostsAttempts times when the choice is in avoid.
func (hs *hostSet) pick(c *cluster, req *match.Request, avoid []string, l *Lease) *endpointState {
	if len(hs.tiers) == 0 {
		return nil
	}
	var h uint64
	hashed := false
	if c.cfg.hash != hashNone {
		h, hashed = c.requestHash(req, l)
	}
	rnd := c.rt.rnd
	t := &hs.tiers[0]
	if len(hs.tiers) > 1 {
		r := h
		if !hashed {
			r = rnd()
		}
		r %= 100
		for i := range hs.tiers {
			if r < hs.tiers[i].cum {
				t = &hs.tiers[i]
				break
			}
		}
	}
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
