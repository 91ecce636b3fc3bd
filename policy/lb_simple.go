package policy

import (
	"sort"
	"sync"
	"sync/atomic"
)

// allEqual reports whether every host has the same weight.
func allEqual(hosts []*endpointState) bool {
	for _, h := range hosts[1:] {
		if h.weight != hosts[0].weight {
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
	hosts []*endpointState
	equal bool
	next  atomic.Uint64

	mu      sync.Mutex
	current []int64
	total   int64
}

func newRoundRobin(hosts []*endpointState) *roundRobin {
	rr := &roundRobin{hosts: hosts, equal: allEqual(hosts), current: make([]int64, len(hosts))}
	for _, h := range hosts {
		rr.total += int64(h.weight)
	}
	return rr
}

func (rr *roundRobin) pick(_ uint64, _ bool, _ func() uint64) *endpointState {
	if rr.equal {
		return rr.hosts[(rr.next.Add(1)-1)%uint64(len(rr.hosts))]
	}
	rr.mu.Lock()
	best := 0
	for i, h := range rr.hosts {
		rr.current[i] += int64(h.weight)
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
	hosts []*endpointState
	cum   []uint64 // cumulative weights; nil when all are equal
}

func newRandom(hosts []*endpointState) *random {
	r := &random{hosts: hosts}
	if !allEqual(hosts) {
		var sum uint64
		for _, h := range hosts {
			sum += h.weight
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

func newLeastRequest(hosts []*endpointState) *leastRequest {
	return &leastRequest{random: *newRandom(hosts)}
}

func (lr *leastRequest) pick(_ uint64, _ bool, rnd func() uint64) *endpointState {
	a := lr.hosts[lr.index(rnd())]
	if len(lr.hosts) == 1 {
		return a
	}
	b := lr.hosts[lr.index(rnd())]
	// a.active/a.weight <= b.active/b.weight, without division
	if uint64(a.active.Load())*b.weight <= uint64(b.active.Load())*a.weight {
		return a
	}
	return b
}
