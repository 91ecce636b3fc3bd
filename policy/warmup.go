package policy

import (
	"math"
	"time"
)

// warmupConfig is loadBalancer.warmup (Envoy slow start), which applies to
// ROUND_ROBIN and LEAST_REQUEST only.
type warmupConfig struct {
	window     time.Duration // 0: no slow start
	minPercent float64       // default 10
	aggression float64       // default 1.0
}

// warmupScale keeps integer weights precise while a host warms up.
const warmupScale = 1000

// warmupSteps is how many times a warming host's weight is recomputed
// over the window.
const warmupSteps = 16

// weightsOf returns the hosts' configured weights.
func weightsOf(hosts []*endpointState) []uint64 {
	w := make([]uint64, len(hosts))
	for i, h := range hosts {
		w[i] = h.weight
	}
	return w
}

// warmWeights returns the hosts' weights with slow start applied: a host
// that joined the cluster less than the warmup window ago counts with
// weight × max(minimumPercent, (age/window)^(1/aggression)), as in Envoy.
// Hosts present when the cluster was first built do not warm up. It sets
// hs.refreshAt to when the weights should next be recomputed.
func (c *cluster) warmWeights(hosts []*endpointState, hs *hostSet) []uint64 {
	wc := &c.cfg.warmup
	if wc.window <= 0 {
		return weightsOf(hosts)
	}
	now := c.rt.clock().UnixNano()
	step := max(int64(wc.window)/warmupSteps, int64(time.Millisecond))
	w := make([]uint64, len(hosts))
	for i, h := range hosts {
		w[i] = h.weight * warmupScale
		if h.born == 0 {
			continue
		}
		age := now - h.born
		if age >= int64(wc.window) {
			continue
		}
		f := math.Pow(float64(max(age, 1))/float64(wc.window), 1/wc.aggression)
		f = max(f, wc.minPercent/100)
		w[i] = max(1, uint64(float64(w[i])*f))
		next := min(h.born+int64(wc.window), now+step)
		if hs.refreshAt == 0 || next < hs.refreshAt {
			hs.refreshAt = next
		}
	}
	return w
}

// refreshWarmup rebuilds the healthy view when warming weights are due
// for recomputation.
func (c *cluster) refreshWarmup(st *clusterState, hs *hostSet) *hostSet {
	if c.rt.clock().UnixNano() < hs.refreshAt {
		return hs
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur := st.healthy.Load(); cur != hs {
		return cur
	}
	hs = c.buildHostSet(st)
	st.healthy.Store(hs)
	return hs
}
