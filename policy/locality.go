package policy

import (
	"sort"
	"strings"
)

// localityPriority ranks an endpoint's locality against the caller's, as
// Istio assigns Envoy priorities for locality failover: 0 same
// region/zone/subzone, 1 same region and zone, 2 same region, 3 the
// region that localityLbSetting.failover names for the caller's region (or
// any other region when there is no such entry), 4 the remaining regions.
// Lower is preferred; an unknown caller locality ranks everything 0.
func localityPriority(caller, endpoint string, failover map[string]string) int {
	if caller == "" {
		return 0
	}
	cr, cz, cs := splitLocality(caller)
	er, ez, es := splitLocality(endpoint)
	switch {
	case er != "" && er == cr && ez == cz && es == cs:
		return 0
	case er != "" && er == cr && ez == cz:
		return 1
	case er != "" && er == cr:
		return 2
	}
	if to, ok := failover[cr]; ok && to != er {
		return 4
	}
	return 3
}

func splitLocality(l string) (region, zone, subzone string) {
	region, rest, _ := strings.Cut(l, "/")
	zone, subzone, _ = strings.Cut(rest, "/")
	return region, zone, subzone
}

// distributeRule is one localityLbSetting.distribute entry: callers in
// from send each share of traffic to the endpoints in to's localities.
type distributeRule struct {
	from string
	to   []localityWeight
}

type localityWeight struct {
	pattern string
	weight  uint64
}

// sortMostSpecificFirst orders patterns so that the first match is the
// most specific: more literal segments first, then by name.
func sortMostSpecificFirst(to []localityWeight) {
	sort.Slice(to, func(i, j int) bool {
		si, sj := literalSegments(to[i].pattern), literalSegments(to[j].pattern)
		if si != sj {
			return si > sj
		}
		return to[i].pattern < to[j].pattern
	})
}

func literalSegments(p string) int {
	n := 0
	for _, s := range strings.Split(p, "/") {
		if s == "*" {
			break
		}
		n++
	}
	return n
}

// localityMatch reports whether locality l is covered by pattern p
// ("region/zone/subzone" where a "*" segment, or an omitted one, matches
// anything).
func localityMatch(l, p string) bool {
	if p == "*" {
		return true
	}
	ls, ps := strings.Split(l, "/"), strings.Split(p, "/")
	for i, seg := range ps {
		if seg == "*" {
			return true
		}
		if i >= len(ls) || ls[i] != seg {
			return false
		}
	}
	return true // omitted trailing segments match anything, as in Istio
}

// distributeScale keeps integer weights precise when a locality's share is
// split among its endpoints.
const distributeScale = 1000

// distributeWeights applies the first distribute rule whose from covers
// the caller's locality: an endpoint in a to locality gets that
// locality's share divided among its endpoints in proportion to their own
// weights; endpoints in no to locality get no traffic (weight 0). It
// returns nil when no rule applies.
func distributeWeights(caller string, rules []distributeRule, hosts []*endpointState) []uint64 {
	for _, r := range rules {
		if caller == "" || !localityMatch(caller, r.from) {
			continue
		}
		group := make([]int, len(hosts)) // index into r.to, -1 for none
		sums := make([]uint64, len(r.to))
		for i, h := range hosts {
			group[i] = -1
			for j, lw := range r.to {
				if localityMatch(h.ep.Locality, lw.pattern) {
					group[i] = j
					sums[j] += h.weight
					break
				}
			}
		}
		out := make([]uint64, len(hosts))
		for i, h := range hosts {
			if g := group[i]; g >= 0 {
				out[i] = max(1, r.to[g].weight*h.weight*distributeScale/sums[g])
			}
		}
		return out
	}
	return nil
}

// Topology labels failoverPriority may name; an endpoint's and the
// caller's values come from their localities and networks.
const (
	labelRegion  = "topology.kubernetes.io/region"
	labelZone    = "topology.kubernetes.io/zone"
	labelSubzone = "topology.istio.io/subzone"
	labelNetwork = "topology.istio.io/network"
)

// labelPriority ranks an endpoint by localityLbSetting.failoverPriority,
// as Istio does: with n labels, an endpoint whose first m labels equal the
// caller's (or the value a "key=value" entry gives) gets priority n−m, so
// endpoints matching all of them come first.
func labelPriority(keys []string, caller map[string]string, callerLocality string, ep *endpointState) int {
	n := len(keys)
	for i, k := range keys {
		key, want, override := strings.Cut(k, "=")
		if !override {
			want = topologyValue(key, caller, callerLocality, "")
		}
		if got := topologyValue(key, ep.ep.Labels, ep.ep.Locality, ep.ep.Network); got != want || want == "" {
			return n - i
		}
	}
	return 0
}

func topologyValue(key string, labels map[string]string, locality, network string) string {
	if v, ok := labels[key]; ok {
		return v
	}
	r, z, sz := splitLocality(locality)
	switch key {
	case labelRegion:
		return r
	case labelZone:
		return z
	case labelSubzone:
		return sz
	case labelNetwork:
		return network
	}
	return ""
}
