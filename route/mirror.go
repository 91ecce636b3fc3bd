package route

import (
	"github.com/meshroute/meshroute/fault"
	"github.com/meshroute/meshroute/policy"
)

// Mirror is one compiled mirror target of a route.
type Mirror struct {
	// Destination is the mirror cluster; Port 0 means the port of the
	// request being mirrored (the service has no single port).
	Destination Destination
	Chance      fault.PerMillion
	// ShadowSuffix is true when the mirrored request's host gets the
	// "-shadow" suffix (WithShadowSuffix); see ShadowAuthority.
	ShadowSuffix bool
	// Target is the mirror's cluster with its effective traffic policy.
	Target policy.Target

	target *targetInfo // resolves the policy of a port known per request
}

// MirrorSet is the set of mirrors selected for one request: the route's
// compiled mirror list and a bit per mirror that was sampled in. It holds
// no allocation of its own.
type MirrorSet struct {
	all  []Mirror
	mask uint64
	port uint32 // the request's port, for mirrors whose service has none
	// workload is the calling workload's labels, for mirrors whose
	// DestinationRule a workloadSelector chooses.
	workload map[string]string
}

// Len returns the number of mirrors selected.
func (m MirrorSet) Len() int {
	n := 0
	for i := range m.all {
		if _, ok := m.selected(i); ok {
			n++
		}
	}
	return n
}

// selected returns the target of mirror i, resolved for the calling
// workload, and whether the mirror is sent: it was sampled in, and its
// cluster exists. A mirror to a subset no DestinationRule defines has no
// cluster in Envoy, so nothing is mirrored there (virtualservice.md §4,
// §11), where its plain labels would otherwise reach the whole service.
func (m MirrorSet) selected(i int) (*targetInfo, bool) {
	if m.mask&(1<<uint(i)) == 0 {
		return nil, false
	}
	ti := m.all[i].target
	if ti != nil && ti.selected != nil {
		ti = ti.forWorkload(m.workload)
	}
	return ti, ti == nil || !ti.undefined
}

// Each calls fn for each selected mirror, in configuration order, but for
// mirrors whose cluster does not exist (see Len). A mirror whose port the
// configuration leaves open gets the request's port (virtualservice.md
// §11), with that port's effective policy; a mirror whose DestinationRule
// a workloadSelector chooses gets the subset labels and policy of the
// calling workload's rule.
func (m MirrorSet) Each(fn func(Mirror)) {
	for i := range m.all {
		ti, ok := m.selected(i)
		if !ok {
			continue
		}
		mi := m.all[i]
		reresolve := false
		if ti != mi.target {
			reresolve = true
			mi.Target.SubsetLabels = ti.labels
		}
		if mi.Destination.Port == 0 && m.port != 0 {
			mi.Destination.Port, mi.Target.Port = m.port, m.port
			reresolve = true
		}
		if reresolve && ti != nil {
			mi.Target.Policy, _ = ti.policyFor(mi.Target.Port)
		}
		fn(mi)
	}
}

// Configured returns every mirror configured on the route, selected or
// not, as compiled: Port 0 where the request's port applies (see Each).
func (m MirrorSet) Configured() []Mirror { return m.all }

// ShadowAuthority returns authority with "-shadow" appended to its host
// part ("reviews:9080" → "reviews-shadow:9080"), as Envoy rewrites the
// authority of mirrored requests when the shadow suffix is on.
func ShadowAuthority(authority string) string {
	h, p := splitAuthority(authority)
	if p == "" {
		return h + "-shadow"
	}
	return h + "-shadow:" + p
}
