package route

import (
	"slices"
	"sort"
	"strconv"
	"strings"

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
	noCluster bool      // and undefined: a host outside the registry (WithStrictRegistry)
	reason    string
	sePort    uint32 // the ServiceEntry's single port, 0 when none

	byPort []portPolicy
	policy *networking.TrafficPolicy // for any other port
	hash   bool                      // policy uses consistent hashing

	// from is the merged DestinationRule the target was resolved from
	// (nil: none), to share it between callers that resolve alike.
	from *mergedDR

	// selected are the targets for the calling workloads that
	// DestinationRules with a workloadSelector in the caller's namespace
	// take, in the order of their oldest rule; nil when there are none.
	selected []selectedTarget
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

// drKey keys the merge cache: namespace and caller, host, and the
// workload selector taken in ("" for none).
type drKey struct{ ns, host, selector string }

// compiledDR is one DestinationRule with its expanded host.
type compiledDR struct {
	dr     *DestinationRule
	host   string
	export exportSet
	// selector is the rule's workloadSelector, nil when it has none.
	selector *drSelector
}

// drSelector is a DestinationRule's workloadSelector: its labels and
// their canonical form, which tells equal selectors apart from others.
type drSelector struct {
	labels map[string]string
	key    string
}

// selectorKey is the canonical form of a selector's labels; an empty
// selector (every workload) is "{}", so no selector key is "".
func selectorKey(labels map[string]string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range sortedKeys(labels) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(k))
		b.WriteByte(':')
		b.WriteString(strconv.Quote(labels[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// selects reports whether a workload selector takes a workload with the
// given labels: every label of the selector is among them.
func selects(selector, workload map[string]string) bool {
	for k, v := range selector {
		if w, ok := workload[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// applies reports whether d counts for a caller in namespace caller
// whose workload matches the selector with key sel ("" for a workload
// no selector is assumed to match): a rule without a selector always, a
// rule with one only in the caller's own namespace and for an equal
// selector (destinationrule.md §1.1; rules with different selectors are
// not merged, §1.2).
func (d *compiledDR) applies(caller, sel string) bool {
	if d.selector == nil {
		return true
	}
	return d.dr.Namespace == caller && d.selector.key == sel
}

// lookupDR returns the DestinationRule that applies to host h for a caller
// in namespace caller (destinationrule.md §1.1): most specific host among
// the caller's namespace's rules, else the service's namespace's, else the
// root namespace's; only rules exported to the caller count. sel is the
// key of the workload selector the caller is taken to match (see
// applies), "" for none.
func (c *compiler) lookupDR(caller, h, sel string) *mergedDR {
	steps := []string{caller, c.serviceNamespace(h), rootNamespace}
	for i, ns := range steps {
		if ns == "" || (i > 0 && ns == caller) {
			continue
		}
		best := ""
		found := false
		for _, d := range c.drs {
			if d.dr.Namespace != ns || !d.export.visibleTo(caller) || !d.applies(caller, sel) {
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
			return c.mergeDRs(ns, best, caller, sel)
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

// mergeDRs merges the rules of namespace ns for host h that apply to the
// caller (see applies), oldest first (§1.2). For a workload a selector
// takes (sel not ""), the selected rules come first, then the others: the
// selected rule is preferred for the workloads it takes (§1.1), so its
// policy and subsets win, as in Istio, where the selected rule's own
// policy applies whichever rule is older. The merged rule is named after
// its first rule.
func (c *compiler) mergeDRs(ns, h, caller, sel string) *mergedDR {
	key := drKey{ns + "\x00" + caller, h, sel}
	if m, ok := c.drCache[key]; ok {
		return m
	}
	m := &mergedDR{host: h}
	seen := map[string]bool{}
	merge := func(selected bool) {
		for _, d := range c.drs { // already in creation order
			if d.dr.Namespace != ns || d.host != h || !d.export.visibleTo(caller) || !d.applies(caller, sel) || (d.selector != nil) != selected {
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
	}
	if sel != "" {
		merge(true)
	}
	merge(false)
	c.drCache[key] = m
	return m
}

// callerSelectors returns the keys of the workload selectors of caller's
// namespace rules that may apply to host h (their host covers it), each
// once, in the order of their oldest rule.
func (c *compiler) callerSelectors(caller, h string) []*drSelector {
	var out []*drSelector
	for _, d := range c.drs {
		if d.selector == nil || d.dr.Namespace != caller || !d.export.visibleTo(caller) {
			continue
		}
		if !ihost.SubsetOf(h, d.host) && d.host != h {
			continue
		}
		dup := false
		for _, s := range out {
			dup = dup || s.key == d.selector.key
		}
		if !dup {
			out = append(out, d.selector)
		}
	}
	return out
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
	t := c.newTarget(caller, h, subsetName, hs)
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
	// moreDistinct are the different targets of the callers in more:
	// callers that resolve alike share one (newTarget).
	moreDistinct []*targetInfo
}

type hostSubset struct{ host, subset string }

// newTarget resolves (host, subset) for a caller namespace: for a
// workload no selector of the caller's namespace takes, and, in selected,
// for each workload selector whose rules change the result. A caller
// that resolves like one of hs's earlier callers (the same rules, merged
// alike, and no selector) shares its target: most namespaces see a
// service through the same DestinationRule.
func (c *compiler) newTarget(caller, h, subsetName string, hs *hostTargets) *targetInfo {
	if c.opts.strictRegistry && c.outsideRegistry(caller, h) {
		if t := hs.noClusterTarget(); t != nil {
			return t
		}
		t := c.targetArena.new()
		*t = targetInfo{host: h, subset: subsetName, undefined: true, noCluster: true,
			reason: "no cluster: " + h + " is neither a ServiceEntry host visible to the caller nor a Kubernetes service name (flag NC)"}
		if hs.n >= len(hs.callers) {
			hs.moreDistinct = append(hs.moreDistinct, t)
		}
		return t
	}
	dr := c.lookupDR(caller, h, "")
	sels := c.callerSelectors(caller, h)
	if len(sels) == 0 {
		if t := hs.resolvedLike(dr); t != nil {
			return t
		}
	}
	t := c.targetArena.new()
	*t = targetInfo{host: h, subset: subsetName, from: dr}
	if se := c.seByHost[h]; se != nil && len(se.Spec.GetPorts()) == 1 {
		t.sePort = se.Spec.GetPorts()[0].GetNumber()
	}
	t.applyDR(dr)
	if hs.n >= len(hs.callers) {
		hs.moreDistinct = append(hs.moreDistinct, t)
	}
	for _, sel := range sels {
		dr := c.lookupDR(caller, h, sel.key)
		if dr == nil || dr.ref == t.dr {
			continue // the selected rules lost to a more specific host
		}
		st := c.targetArena.new()
		*st = targetInfo{host: h, subset: subsetName, sePort: t.sePort, from: dr}
		st.applyDR(dr)
		t.selected = append(t.selected, selectedTarget{labels: sel.labels, target: st})
	}
	return t
}

// resolvedLike returns a target of hs resolved from rules merged like dr
// (nil: none) and without selections, nil when there is none.
func (hs *hostTargets) resolvedLike(dr *mergedDR) *targetInfo {
	like := func(t *targetInfo) bool { return t.selected == nil && !t.noCluster && sameMerge(t.from, dr) }
	for _, t := range hs.targets[:min(hs.n, len(hs.targets))] {
		if like(t) {
			return t
		}
	}
	for _, t := range hs.moreDistinct {
		if like(t) {
			return t
		}
	}
	return nil
}

// noClusterTarget returns a target of hs for callers that see no service
// for the host (WithStrictRegistry), nil when there is none.
func (hs *hostTargets) noClusterTarget() *targetInfo {
	for _, t := range hs.targets[:min(hs.n, len(hs.targets))] {
		if t.noCluster {
			return t
		}
	}
	for _, t := range hs.moreDistinct {
		if t.noCluster {
			return t
		}
	}
	return nil
}

// sameMerge reports whether two merged DestinationRules are the same
// rules merged alike (nil for none).
func sameMerge(a, b *mergedDR) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a == b || (a.ref == b.ref && a.host == b.host && a.top == b.top && slices.Equal(a.subsets, b.subsets))
}

// applyDR fills in what DestinationRule dr (nil: none) sets for t's
// subset: its labels, or why it is undefined, and the policy per port.
func (t *targetInfo) applyDR(dr *mergedDR) {
	var sub *networking.Subset
	var top *networking.TrafficPolicy
	if dr != nil {
		t.dr = dr.ref
		top = dr.top
		if t.subset != "" {
			for _, s := range dr.subsets {
				if s.GetName() == t.subset {
					sub = s
					break
				}
			}
		}
	}
	if t.subset != "" {
		if sub == nil {
			t.undefined = true
			t.reason = "no healthy upstream: subset \"" + t.subset + "\" of " + t.host + " is not defined by any DestinationRule"
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
}

// selectedTarget is a target as resolved for the workloads a
// DestinationRule workloadSelector takes.
type selectedTarget struct {
	labels map[string]string
	target *targetInfo
}

// forWorkload returns t as resolved for a calling workload with the
// given labels: the first selected target whose selector takes them, else
// t itself (destinationrule.md §1.1).
func (t *targetInfo) forWorkload(labels map[string]string) *targetInfo {
	for i := range t.selected {
		if selects(t.selected[i].labels, labels) {
			return t.selected[i].target
		}
	}
	return t
}

func isConsistentHash(p *networking.TrafficPolicy) bool {
	return p.GetLoadBalancer().GetConsistentHash() != nil
}
