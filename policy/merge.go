package policy

import (
	networking "istio.io/api/networking/v1alpha3"
)

// MergePolicy returns the effective traffic policy of the cluster
// (host, subset, port) as Istio computes it (destinationrule.md §2.1):
//
//  1. If top has a portLevelSettings entry for port, that entry replaces top
//     as a policy of exactly its four blocks (loadBalancer, connectionPool,
//     outlierDetection, tls); blocks the entry omits are unset, not
//     inherited, and top's tunnel, proxyProtocol and retryBudget are dropped.
//  2. With no subset, or a subset without a trafficPolicy, that is the result.
//  3. Otherwise the subset's policy goes through the same port-level step.
//     If it came from a subset port-level entry, all four blocks of the
//     result are the entry's (nil where it omits one). Otherwise every block
//     the subset sets (connectionPool, outlierDetection, loadBalancer, tls,
//     tunnel, proxyProtocol, retryBudget) replaces the whole block; unset
//     blocks are inherited.
//
// Merging is per block, never per field. port 0 matches no port-level entry.
// The inputs are never modified; the result may be one of them (or nil when
// neither sets a policy) and must be treated as read-only.
func MergePolicy(top *networking.TrafficPolicy, subset *networking.Subset, port uint32) *networking.TrafficPolicy {
	merged, _ := portLevelPolicy(top, port)
	if subset == nil || subset.GetTrafficPolicy() == nil {
		return merged
	}
	sub, fromPortLevel := portLevelPolicy(subset.GetTrafficPolicy(), port)
	if merged == nil {
		return sub
	}
	out := shallowCopy(merged)
	if fromPortLevel {
		out.LoadBalancer = sub.LoadBalancer
		out.ConnectionPool = sub.ConnectionPool
		out.OutlierDetection = sub.OutlierDetection
		out.Tls = sub.Tls
		return out
	}
	overrideSet(&out.ConnectionPool, sub.ConnectionPool)
	overrideSet(&out.OutlierDetection, sub.OutlierDetection)
	overrideSet(&out.LoadBalancer, sub.LoadBalancer)
	overrideSet(&out.Tls, sub.Tls)
	overrideSet(&out.Tunnel, sub.Tunnel)
	overrideSet(&out.ProxyProtocol, sub.ProxyProtocol)
	overrideSet(&out.RetryBudget, sub.RetryBudget)
	return out
}

// overrideSet replaces *dst with v when v is set: a subset's block wins
// over the top-level one, an unset block inherits it.
func overrideSet[T any](dst **T, v *T) {
	if v != nil {
		*dst = v
	}
}

// portLevelPolicy returns p's port-level entry for port as a policy of its
// four blocks, and true; or p itself and false when there is none.
func portLevelPolicy(p *networking.TrafficPolicy, port uint32) (*networking.TrafficPolicy, bool) {
	if p == nil || port == 0 {
		return p, false
	}
	for _, pl := range p.PortLevelSettings {
		if pl.GetPort().GetNumber() == port {
			return &networking.TrafficPolicy{
				LoadBalancer:     pl.LoadBalancer,
				ConnectionPool:   pl.ConnectionPool,
				OutlierDetection: pl.OutlierDetection,
				Tls:              pl.Tls,
			}, true
		}
	}
	return p, false
}

// shallowCopy copies p's blocks (pointers shared) into a new policy.
func shallowCopy(p *networking.TrafficPolicy) *networking.TrafficPolicy {
	return &networking.TrafficPolicy{
		LoadBalancer:      p.LoadBalancer,
		ConnectionPool:    p.ConnectionPool,
		OutlierDetection:  p.OutlierDetection,
		Tls:               p.Tls,
		PortLevelSettings: p.PortLevelSettings,
		Tunnel:            p.Tunnel,
		ProxyProtocol:     p.ProxyProtocol,
		RetryBudget:       p.RetryBudget,
	}
}
