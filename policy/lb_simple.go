package policy

import (
	"sort"
	"sync"
	"sync/atomic"
)

// allEqual reports whether every weight is the same.
func allEqual(weights []uint64) bool {
	for _, w := range weights[1:] {
		if w != weights[0] {
			return false
		}
	}
	return true
}

// roundRobin is smooth weighted round robin (the nginx algorithm): every
// pick adds each host's weight to its current value, takes the largest and
// subtracts the total from it, so weights interleave instead of bursting.
// Equal weights take a lock-free counter.
type roundRobin struct {
	hosts   []*endpointState
	weights []uint64
	equal   bool
	next    atomic.Uint64

	mu      sync.Mutex
	current []int64
	total   int64
}

func newRoundRobin(hosts []*endpointState, weights []uint64) *roundRobin {
	rr := &roundRobin{hosts: hosts, weights: weights, equal: allEqual(weights), current: make([]int64, len(hosts))}
	for _, w := range weights {
		rr.total += int64(w)
	}
	return rr
}

func (rr *roundRobin) pick(_ uint64, _ bool, _ func() uint64) *endpointState {
	if rr.equal {
		return rr.hosts[(rr.next.Add(1)-1)%uint64(len(rr.hosts))]
	}
	rr.mu.Lock()
	best := 0
	for i, w := range rr.weights {
		rr.current[i] += int64(w)
		if rr.current[i] > rr.current[best] {
			best = i
		}
	}
	rr.current[best] -= rr.total
	rr.mu.Unlock()
	return rr.hosts[best]
}

// random picks a host with probability proportional to its weight.
type random struct {
	hosts   []*endpointState
	weights []uint64
	cum     []uint64 // cumulative weights; nil when all are equal
}

func newRandom(hosts []*endpointState, weights []uint64) *random {
	r := &random{hosts: hosts, weights: weights}
	if !allEqual(weights) {
		var sum uint64
		for _, w := range weights {
			sum += w
			r.cum = append(r.cum, sum)
		}
	}
	return r
}

func (r *random) pick(_ uint64, _ bool, rnd func() uint64) *endpointState {
	return r.hosts[r.index(rnd())]
}

func (r *random) index(v uint64) int {
	if r.cum == nil {
		return int(v % uint64(len(r.hosts)))
	}
	x := v % r.cum[len(r.cum)-1]
	return sort.Search(len(r.cum), func(i int) bool { return r.cum[i] > x })
}

// leastRequest is Envoy's least-request balancer with choice_count 2:
// draw two hosts (weighted) and take the one with fewer active requests
// relative to its weight.
type leastRequest struct {
	random
}

func newLeastRequest(hosts []*endpointState, weights []uint64) *leastRequest {
	return &leastRequest{random: *newRandom(hosts, weights)}
}

func (lr *leastRequest) pick(_ uint64, _ bool, rnd func() uint64) *endpointState {
	i := lr.index(rnd())
	if len(lr.hosts) == 1 {
		return lr.hosts[i]
	}
	j := lr.index(rnd())
	a, b := lr.hosts[i], lr.hosts[j]
	// a.active/a.weight <= b.active/b.weight, without division
	if uint64(a.active.Load())*lr.weights[j] <= uint64(b.active.Load())*lr.weights[i] {
		return a
	}
	return b
}
