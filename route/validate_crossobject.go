package route

import (
	"slices"
	"sort"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/internal/host"
)

// crossObject adds the warnings that need several objects: routes to
// subsets no DestinationRule defines, references to Gateways that are not
// defined, several VirtualServices claiming one host on the mesh, and
// delegates that do not exist.
func (v *validator) crossObject(cfg *Config) {
	gateways := map[string]*Gateway{}
	for _, gw := range cfg.Gateways {
		if gw != nil {
			gateways[gw.Namespace+"/"+gw.Name] = gw
		}
	}
	delegates := map[string]bool{}
	for _, vs := range cfg.VirtualServices {
		if vs != nil && vs.Spec != nil && len(vs.Spec.Hosts) == 0 {
			delegates[vs.Namespace+"/"+vs.Name] = true
		}
	}
	for _, vs := range cfg.VirtualServices {
		if vs == nil || vs.Spec == nil {
			continue
		}
		v.object(&vs.Meta, KindVirtualService)
		v.subsetRefs(cfg, vs)
		v.gatewayRefs(gateways, vs)
		for i, r := range vs.Spec.Http {
			if d := r.GetDelegate(); d != nil {
				ns := d.Namespace
				if ns == "" {
					ns = vs.Namespace
				}
				if !delegates[ns+"/"+d.Name] {
					rf := fieldAt("spec.http", i)
					v.warnf("delegate-undefined", rf.dot(".delegate"), q(ns+"/"+d.Name),
						"names no VirtualService without hosts in this configuration; Istio drops this route")
				}
			}
		}
	}
	v.hostConflicts(cfg.VirtualServices)
	v.registryGaps(cfg)
	v.duplicates(cfg)
}

// registryGaps warns where a VirtualService sends traffic, or a
// DestinationRule applies, to a host that is neither a ServiceEntry host
// nor a Kubernetes service name (a short name, or
// name.namespace.svc.<domain>). Istio has no service for such a host: a
// route to it finds no cluster and is answered 503 (flag NC), a mirror to
// it sends nothing, and a DestinationRule for it applies to nothing
// (virtualservice.md §4, destinationrule.md §1). meshroute, which does
// not see Kubernetes services and takes endpoints from any registry, routes
// to the host and applies the rule, so the warning names both behaviours.
// Hosts a wildcard ServiceEntry host covers are left alone.
func (v *validator) registryGaps(cfg *Config) {
	var exact = map[string]bool{}
	var wild []string
	for _, se := range cfg.ServiceEntries {
		if se == nil || se.Spec == nil {
			continue
		}
		for _, h := range se.Spec.Hosts {
			h = host.Expand(h, se.Namespace, host.DefaultDomain)
			if host.IsWildcard(h) {
				wild = append(wild, h)
			} else {
				exact[h] = true
			}
		}
	}
	// outside reports whether host h, as written, names no service. A
	// short name (no dot) expands to a Kubernetes service name; a name
	// with a dot is taken as written (virtualservice.md §1.1).
	outside := func(h string) bool {
		if !strings.Contains(h, ".") || host.IsWildcard(h) {
			return false
		}
		h = strings.ToLower(h)
		if exact[h] || isKubernetesServiceName(h) {
			return false
		}
		for _, w := range wild {
			if host.SubsetOf(h, w) {
				return false
			}
		}
		return host.ValidateWildcardDomain(h) == nil // an invalid host has its own error
	}
	for _, vs := range cfg.VirtualServices {
		if vs == nil || vs.Spec == nil {
			continue
		}
		v.object(&vs.Meta, KindVirtualService)
		eachDestination(vs, func(at destAt, d *networking.Destination) {
			if !outside(d.GetHost()) {
				return
			}
			what := "a request routed here gets 503 (no cluster, flag NC)"
			if at.kind != destRoute {
				what = "nothing is mirrored"
			}
			at.field(func(f fieldPath) {
				v.warnf("host-not-in-registry", f.dot(".host"), q(d.GetHost()),
					"is neither a ServiceEntry host nor a Kubernetes service name (name.namespace.svc.cluster.local): Istio has no cluster for it, so %s; meshroute sends to the endpoints its registry has for the host (WithStrictRegistry does as Istio). Declare it with a ServiceEntry", what)
			})
		})
	}
	for _, dr := range cfg.DestinationRules {
		if dr == nil || dr.Spec == nil {
			continue
		}
		if outside(dr.Spec.Host) {
			v.object(&dr.Meta, KindDestinationRule)
			v.warnf("host-not-in-registry", field("spec.host"), q(dr.Spec.Host),
				"is neither a ServiceEntry host nor a Kubernetes service name (name.namespace.svc.cluster.local): Istio applies this DestinationRule to nothing; meshroute applies it to the host's traffic (WithStrictRegistry ignores it, as Istio). Declare the host with a ServiceEntry")
		}
	}
}

// isKubernetesServiceName reports whether h has the form of a
// Kubernetes service's name, name.namespace.svc.<domain>: meshroute does
// not see Kubernetes services, so it takes such a name to be one.
func isKubernetesServiceName(h string) bool {
	_, rest, _ := strings.Cut(h, ".")   // namespace.svc.<domain>
	_, rest, _ = strings.Cut(rest, ".") // svc.<domain>
	return strings.HasPrefix(rest, "svc.") && len(rest) > len("svc.")
}

// duplicates warns about objects defined twice (same kind, namespace and
// name): applying both keeps only the last.
func (v *validator) duplicates(cfg *Config) {
	seen := make(map[ObjectRef]Source, len(cfg.VirtualServices)+len(cfg.DestinationRules)+
		len(cfg.ServiceEntries)+len(cfg.Gateways)+len(cfg.WorkloadEntries))
	check := func(m *Meta, kind string) {
		ref := m.Ref(kind)
		if first, dup := seen[ref]; dup {
			v.object(m, kind)
			where := "earlier"
			if first.File != "" {
				where = first.File
				if first.Doc > 0 {
					where += " doc " + num(first.Doc)
				}
			}
			v.warnf("duplicate-object", field("metadata.name"), q(m.Name),
				"is defined twice (also in %s); kubectl apply keeps only the last one, and meshroute would load both", where)
			return
		}
		seen[ref] = m.Source
	}
	for _, o := range cfg.VirtualServices {
		if o != nil {
			check(&o.Meta, KindVirtualService)
		}
	}
	for _, o := range cfg.DestinationRules {
		if o != nil {
			check(&o.Meta, KindDestinationRule)
		}
	}
	for _, o := range cfg.ServiceEntries {
		if o != nil {
			check(&o.Meta, KindServiceEntry)
		}
	}
	for _, o := range cfg.Gateways {
		if o != nil {
			check(&o.Meta, KindGateway)
		}
	}
	for _, o := range cfg.WorkloadEntries {
		if o != nil {
			check(&o.Meta, KindWorkloadEntry)
		}
	}
}

// subsetRefs warns about destinations naming a subset that no
// DestinationRule for the host defines: Envoy has no such cluster, so every
// request routed there fails with 503.
func (v *validator) subsetRefs(cfg *Config, vs *VirtualService) {
	check := func(f fieldPath, d *networking.Destination) {
		if d == nil || d.Subset == "" || d.Host == "" {
			return
		}
		fqdn := host.Expand(d.Host, vs.Namespace, host.DefaultDomain)
		var found []*DestinationRule
		for _, dr := range cfg.DestinationRules {
			if dr == nil || dr.Spec == nil {
				continue
			}
			if host.SubsetOf(fqdn, host.Expand(dr.Spec.Host, dr.Namespace, host.DefaultDomain)) {
				found = append(found, dr)
			}
		}
		var names []string
		for _, dr := range found {
			for _, s := range dr.Spec.Subsets {
				if s.GetName() == d.Subset {
					return
				}
				names = append(names, s.GetName())
			}
		}
		if len(found) == 0 {
			v.warnf("subset-undefined", f.dot(".subset"), q(d.Subset),
				"is not defined: no DestinationRule for host %q, so every request routed here fails with 503 (no cluster); add a DestinationRule with this subset", fqdn)
			return
		}
		v.warnf("subset-undefined", f.dot(".subset"), q(d.Subset),
			"is not defined by DestinationRule %s (its subsets: %s), so every request routed here fails with 503 (no cluster)",
			found[0].Ref(KindDestinationRule).Namespace+"/"+found[0].Name, strings.Join(names, ", "))
	}
	eachDestination(vs, func(at destAt, d *networking.Destination) {
		if d != nil && d.Subset != "" && d.Host != "" {
			at.field(func(f fieldPath) { check(f, d) })
		}
	})
}

// destKind says where in a rule a destination is.
type destKind uint8

const (
	destRoute   destKind = iota // route[index].destination
	destMirror                  // mirror
	destMirrors                 // mirrors[index].destination
)

// destAt locates a destination of a VirtualService without building its
// field path, which only a problem needs.
type destAt struct {
	section     string // "spec.http", "spec.tcp" or "spec.tls"
	rule, index int
	kind        destKind
}

// field calls fn with the destination's field path, e.g.
// spec.http[1].route[0].destination.
func (a destAt) field(fn func(fieldPath)) {
	rf := fieldAt(a.section, a.rule)
	switch a.kind {
	case destMirror:
		fn(rf.dot(".mirror"))
	case destMirrors:
		mf := rf.at(".mirrors", a.index)
		fn(mf.dot(".destination"))
	default:
		df := rf.at(".route", a.index)
		fn(df.dot(".destination"))
	}
}

// eachDestination calls f with the place and value of every destination
// of vs: http, tcp and tls routes, and mirrors.
func eachDestination(vs *VirtualService, f func(destAt, *networking.Destination)) {
	s := vs.Spec
	for i, r := range s.Http {
		for j, d := range r.GetRoute() {
			f(destAt{"spec.http", i, j, destRoute}, d.GetDestination())
		}
		if m := r.GetMirror(); m != nil {
			f(destAt{"spec.http", i, 0, destMirror}, m)
		}
		for j, m := range r.GetMirrors() {
			f(destAt{"spec.http", i, j, destMirrors}, m.GetDestination())
		}
	}
	for i, r := range s.Tcp {
		for j, d := range r.GetRoute() {
			f(destAt{"spec.tcp", i, j, destRoute}, d.GetDestination())
		}
	}
	for i, r := range s.Tls {
		for j, d := range r.GetRoute() {
			f(destAt{"spec.tls", i, j, destRoute}, d.GetDestination())
		}
	}
}

// gatewayKey resolves a gateway reference of a VirtualService in namespace
// ns to "namespace/name".
func gatewayKey(ref, ns string) string {
	if gns, name, ok := strings.Cut(ref, "/"); ok {
		if gns == "." {
			gns = ns
		}
		return gns + "/" + name
	}
	if name, rest, ok := strings.Cut(ref, "."); ok { // legacy name.namespace[.svc...]
		gns, _, _ := strings.Cut(rest, ".")
		return gns + "/" + name
	}
	return ns + "/" + ref
}

// gatewayRefs warns about gateways a VirtualService binds to that no
// Gateway object in the configuration defines, or that serve none of its
// hosts: its routes serve nothing there.
func (v *validator) gatewayRefs(defined map[string]*Gateway, vs *VirtualService) {
	check := func(f fieldPath, ref string) bool {
		if ref == meshGateway {
			return false
		}
		if defined[gatewayKey(ref, vs.Namespace)] == nil {
			v.warnf("gateway-undefined", f, q(ref),
				"names Gateway %s, which this configuration does not define; these routes apply to no gateway until it exists", gatewayKey(ref, vs.Namespace))
			return false
		}
		return true
	}
	for i, g := range vs.Spec.Gateways {
		if check(fieldAt("spec.gateways", i), g) {
			v.gatewayHosts(fieldAt("spec.gateways", i), defined[gatewayKey(g, vs.Namespace)], vs)
		}
	}
	for i, r := range vs.Spec.Http {
		for j, m := range r.GetMatch() {
			for k, g := range m.GetGateways() {
				rf := fieldAt("spec.http", i)
				mf := rf.at(".match", j)
				_ = check(mf.at(".gateways", k), g)
			}
		}
	}
}

// gatewayHosts warns when a Gateway the VirtualService binds to serves
// none of its hosts for the VirtualService's namespace (server hosts
// "ns/host" bind only VirtualServices of namespace ns; "*/" any; "./" the
// Gateway's own), so the binding has no effect.
func (v *validator) gatewayHosts(f fieldPath, gw *Gateway, vs *VirtualService) {
	if gw.Spec == nil || len(vs.Spec.Hosts) == 0 {
		return
	}
	var served []string
	for _, srv := range gw.Spec.Servers {
		for _, sh := range srv.GetHosts() {
			ns, name, ok := strings.Cut(sh, "/")
			if !ok {
				ns, name = "*", sh
			}
			if ns == "." {
				ns = gw.Namespace
			}
			if ns != "*" && ns != vs.Namespace {
				continue
			}
			served = append(served, name)
			for _, h := range vs.Spec.Hosts {
				if name == "*" || h == "*" || host.Matches(strings.ToLower(h), strings.ToLower(name)) {
					return
				}
			}
		}
	}
	if len(served) == 0 {
		served = []string{"none"}
	}
	v.warnf("gateway-host-mismatch", f, q(gw.Namespace+"/"+gw.Name),
		"serves hosts [%s] to namespace %s, none of them among this VirtualService's hosts [%s]; its routes serve nothing on that gateway",
		strings.Join(served, ", "), vs.Namespace, strings.Join(vs.Spec.Hosts, ", "))
}

// hostConflicts warns when several VirtualServices applying to the mesh
// claim the same host: sidecars use only the oldest (ties by name, then
// namespace) and ignore the others for that host.
func (v *validator) hostConflicts(all []*VirtualService) {
	var mesh []*VirtualService
	for _, vs := range all {
		if vs != nil && vs.Spec != nil && len(vs.Spec.Hosts) > 0 &&
			(len(vs.Spec.Gateways) == 0 || slices.Contains(vs.Spec.Gateways, meshGateway)) {
			mesh = append(mesh, vs)
		}
	}
	sort.SliceStable(mesh, func(i, j int) bool {
		a, b := mesh[i], mesh[j]
		if !a.CreationTimestamp.Equal(b.CreationTimestamp) {
			return a.CreationTimestamp.Before(b.CreationTimestamp)
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Namespace < b.Namespace
	})
	owner := make(map[string]*VirtualService, len(mesh))
	for _, vs := range mesh {
		v.object(&vs.Meta, KindVirtualService)
		for i, h := range vs.Spec.Hosts {
			fqdn := host.Expand(h, vs.Namespace, host.DefaultDomain)
			if first, taken := owner[fqdn]; taken && first != vs && first.Ref(KindVirtualService) != vs.Ref(KindVirtualService) {
				v.warnf("host-conflict", fieldAt("spec.hosts", i), q(h),
					"is also claimed by %s, which is older (or sorts first); on sidecars only that one's routes serve %s and this VirtualService's are ignored; merge them or use delegates",
					first.Ref(KindVirtualService), fqdn)
				continue
			}
			owner[fqdn] = vs
		}
	}
}
