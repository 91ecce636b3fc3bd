package route

import (
	"sort"

	networking "istio.io/api/networking/v1alpha3"

	ihost "github.com/meshroute/meshroute/internal/host"
	"github.com/meshroute/meshroute/policy"
)

// targetInfo is a destination resolved for one view: the DestinationRule
// that applies to its host from the caller's namespace, the subset's labels
// and the effective traffic policy per port, all computed at compile time.
type targetInfo struct {
	host      string
	subset    string
	labels    map[string]string
	dr        ObjectRef // zero when no DestinationRule applies
	undefined bool      // a subset no DestinationRule defines (503 NC)
	reason    string
	sePort    uint32 // the ServiceEntry's single port, 0 when none

	byPort []portPolicy
	policy *networking.TrafficPolicy // for any other port
	hash   bool                      // policy uses consistent hashing
}

type portPolicy struct {
	port   uint32
	policy *networking.TrafficPolicy
	hash   bool
}

// policyFor returns the effective policy for a destination port and
// whether it hashes consistently.
func (t *targetInfo) policyFor(port uint32) (*networking.TrafficPolicy, bool) {
	for i := range t.byPort {
		if t.byPort[i].port == port {
			return t.byPort[i].policy, t.byPort[i].hash
		}
	}
	return t.policy, t.hash
}

// mergedDR is the DestinationRules of one namespace with the same host,
// merged as Istio does (destinationrule.md §1.2): subsets concatenated
// (first definition of a name wins), the first top-level policy.
type mergedDR struct {
	ref     ObjectRef
	host    string
	top     *networking.TrafficPolicy
	subsets []*networking.Subset
}

type drKey struct{ ns, host string }

// compiledDR is one DestinationRule with its expanded host.
type compiledDR struct {
	dr     *DestinationRule
	host   string
	export exportSet
}

// lookupDR returns the DestinationRule that applies to host h for a caller
// in namespace caller (destinationrule.md §1.1): most specific host among
// the caller's namespace's rules, else the service's namespace's, else the
// root namespace's; only rules exported to the caller count.
func (c *compiler) lookupDR(caller, h string) *mergedDR {
	steps := []string{caller, c.serviceNamespace(h), rootNamespace}
	for i, ns := range steps {
		if ns == "" || (i > 0 && ns == caller) {
			continue
		}
		best := ""
		found := false
		for _, d := range c.drs {
			if d.dr.Namespace != ns || !d.export.visibleTo(caller) {
				continue
			}
			if !ihost.SubsetOf(h, d.host) && d.host != h {
				continue
			}
			if !found || moreSpecific(d.host, best) {
				best, found = d.host, true
			}
		}
		if found {
			return c.mergeDRs(ns, best, caller)
		}
	}
	return nil
}

// moreSpecific reports whether host pattern a is more specific than b:
// exact beats wildcard, a longer wildcard beats a shorter one.
func moreSpecific(a, b string) bool {
	aw, bw := ihost.IsWildcard(a), ihost.IsWildcard(b)
	if aw != bw {
		return !aw
	}
	return len(a) > len(b)
}

func (c *compiler) mergeDRs(ns, h, caller string) *mergedDR {
	key := drKey{ns + "\x00" + caller, h}
	if m, ok := c.drCache[key]; ok {
		return m
	}
	m := &mergedDR{host: h}
	seen := map[string]bool{}
	for _, d := range c.drs { // already in creation order
		if d.dr.Namespace != ns || d.host != h || !d.export.visibleTo(caller) {
			continue
		}
		if m.ref.Name == "" {
			m.ref = d.dr.Ref(KindDestinationRule)
		}
		if m.top == nil {
			m.top = d.dr.Spec.GetTrafficPolicy()
		}
		for _, s := range d.dr.Spec.GetSubsets() {
			if s == nil || seen[s.GetName()] {
				continue
			}
			seen[s.GetName()] = true
			m.subsets = append(m.subsets, s)
		}
	}
	c.drCache[key] = m
	return m
}

// resolveTarget resolves (host, subset) for a caller namespace.
//
// The Table resolves each destination for every view in turn, so the
// compiler caches targets per (host, subset), with the callers' targets
// in a short list, and remembers the last (host, subset): one map lookup
// per destination rather than one per destination and view.
func (c *compiler) resolveTarget(caller, h, subsetName string) *targetInfo {
	hs := c.lastTargets
	if hs == nil || hs.host != h || hs.subset != subsetName {
		key := hostSubset{h, subsetName}
		if hs = c.targetCache[key]; hs == nil {
			hs = c.hostTargetArena.new()
			hs.host, hs.subset = h, subsetName
			c.targetCache[key] = hs
		}
		c.lastTargets = hs
	}
	for i := range min(hs.n, len(hs.callers)) {
		if hs.callers[i] == caller {
			return hs.targets[i]
		}
	}
	if t := hs.more[caller]; t != nil {
		return t
	}
	t := c.newTarget(caller, h, subsetName)
	if hs.n < len(hs.callers) {
		hs.callers[hs.n], hs.targets[hs.n] = caller, t
	} else {
		if hs.more == nil {
			hs.more = map[string]*targetInfo{}
		}
		hs.more[caller] = t
	}
	hs.n++
	return t
}

// hostTargets are the targets resolved for one (host, subset): for the
// first callers in a list, for any more in a map.
type hostTargets struct {
	host, subset string
	n            int // callers resolved
	callers      [4]string
	targets      [4]*targetInfo
	more         map[string]*targetInfo
}

type hostSubset struct{ host, subset string }

// newTarget resolves (host, subset) for a caller namespace.
func (c *compiler) newTarget(caller, h, subsetName string) *targetInfo {
	t := c.targetArena.new()
	*t = targetInfo{host: h, subset: subsetName}
	if se := c.seByHost[h]; se != nil && len(se.Spec.GetPorts()) == 1 {
		t.sePort = se.Spec.GetPorts()[0].GetNumber()
	}
	dr := c.lookupDR(caller, h)
	var sub *networking.Subset
	var top *networking.TrafficPolicy
	if dr != nil {
		t.dr = dr.ref
		top = dr.top
		if subsetName != "" {
			for _, s := range dr.subsets {
				if s.GetName() == subsetName {
					sub = s
					break
				}
			}
		}
	}
	if subsetName != "" {
		if sub == nil {
			t.undefined = true
			t.reason = "no healthy upstream: subset \"" + subsetName + "\" of " + h + " is not defined by any DestinationRule"
		} else {
			t.labels = sub.GetLabels()
		}
	}
	ports := map[uint32]bool{}
	for _, p := range top.GetPortLevelSettings() {
		ports[p.GetPort().GetNumber()] = true
	}
	for _, p := range sub.GetTrafficPolicy().GetPortLevelSettings() {
		ports[p.GetPort().GetNumber()] = true
	}
	t.policy = policy.MergePolicy(top, sub, 0)
	t.hash = isConsistentHash(t.policy)
	for p := range ports {
		if p == 0 {
			continue
		}
		pol := policy.MergePolicy(top, sub, p)
		t.byPort = append(t.byPort, portPolicy{port: p, policy: pol, hash: isConsistentHash(pol)})
	}
	if len(t.byPort) > 1 {
		sort.Slice(t.byPort, func(i, j int) bool { return t.byPort[i].port < t.byPort[j].port })
	}
	return t
}

func isConsistentHash(p *networking.TrafficPolicy) bool {
	return p.GetLoadBalancer().GetConsistentHash() != nil
}
