package route

import (
	"slices"
	"strings"
	"sync"

	ihost "github.com/meshroute/meshroute/internal/host"
	"github.com/meshroute/meshroute/match"
)

// Table is a compiled, immutable routing table. It is safe for concurrent
// use; swap tables with a Store to follow configuration changes.
type Table struct {
	opts     options
	cfg      *Config
	warnings Problems
	// regexes are the compiled regexes of this table by pattern, for the
	// next Compile of a Store to reuse (compiler.regexCompiler).
	regexes map[string]match.Regexp

	vss       []*compiledVS
	views     []*view
	meshViews map[string]*view // by caller namespace
	meshOther *view            // callers in namespaces the configuration never names
	meshSelf  *view            // callers in the WithNamespace namespace (requests naming none)
	gwViews   map[string]*view // by "ns/name": all servers of the gateway
	// gwPortViews are the per-port views of gateways the configuration
	// defines: only the servers on that port bind hosts.
	gwPortViews map[gwPort]*view
	// defaultRule carries the timeout and retries of default and
	// passthrough routes.
	defaultRule *httpRule

	// refs are decideLinear's plans, built on its first use.
	refsOnce sync.Once
	refs     *referencePlans
}

// TableSource provides the table to use for one request. *Table returns
// itself; *Store returns its current table. Adapters call Table once per
// request so a request sees one table from start to end.
type TableSource interface {
	Table() *Table
}

// Table returns t, so a *Table is a TableSource.
func (t *Table) Table() *Table { return t }

// Config returns the configuration the table was compiled from.
func (t *Table) Config() *Config { return t.cfg }

// Warnings returns the validation warnings found when compiling.
func (t *Table) Warnings() Problems { return t.warnings }

// viewFor returns the view a request is decided in: its gateway's, or for
// sidecar traffic its caller namespace's (req.SourceNamespace, else the
// WithNamespace option, else "default"). nil for an unknown gateway.
func (t *Table) viewFor(req *match.Request) *view {
	gw := req.Gateway
	if gw == "" || gw == match.MeshGateway {
		ns := req.SourceNamespace
		if ns == "" {
			return t.meshSelf
		}
		if v, ok := t.meshViews[ns]; ok {
			return v
		}
		return t.meshOther
	}
	if len(t.gwPortViews) > 0 {
		if v, ok := t.gwPortViews[gwPort{gw, requestPort(req)}]; ok {
			return v
		}
	}
	return t.gwViews[gw]
}

// gwPort keys a gateway's per-port view.
type gwPort struct {
	gw   string
	port uint32
}

// build compiles the views and resolves every destination in each.
func (t *Table) build(c *compiler) {
	t.vss = c.vss
	t.meshViews = map[string]*view{}
	t.gwViews = map[string]*view{}
	for _, ns := range c.knownNamespaces() {
		v := c.buildMeshView(len(t.views), ns)
		t.views = append(t.views, v)
		t.meshViews[ns] = v
	}
	t.meshSelf = t.meshViews[c.opts.namespace]
	t.meshOther = c.buildMeshView(len(t.views), "")
	t.views = append(t.views, t.meshOther)
	for _, gw := range c.knownGateways() {
		v := c.buildGatewayView(len(t.views), gw, 0)
		t.views = append(t.views, v)
		t.gwViews[gw] = v
		g := c.gwObjs[gw]
		if g == nil {
			continue
		}
		var ports []uint32
		for _, srv := range g.Spec.GetServers() {
			if p := srv.GetPort().GetNumber(); p != 0 && !containsPort(ports, p) {
				ports = append(ports, p)
			}
		}
		if len(ports) < 2 {
			continue // one port: the gateway's view is that port's
		}
		if t.gwPortViews == nil {
			t.gwPortViews = map[gwPort]*view{}
		}
		for _, p := range ports {
			pv := c.buildGatewayView(len(t.views), gw, p)
			t.views = append(t.views, pv)
			t.gwPortViews[gwPort{gw, p}] = pv
		}
	}
	targets := make([]*targetInfo, len(c.dests)*len(t.views)) // one array for every destination's list
	for i, d := range c.dests {
		n := len(t.views)
		d.targets = targets[i*n : (i+1)*n : (i+1)*n]
		for _, v := range t.views {
			d.targets[v.id] = c.resolveTarget(v.namespace, d.dest.Host, d.dest.Subset)
		}
		canonicalTargets(d.targets)
	}
	for _, vs := range c.vss {
		for _, r := range vs.http {
			r.buildMirrors(len(t.views), c.opts.shadowSuffix)
		}
	}
	t.defaultRule = &httpRule{index: -1, action: ActionRoute}
	t.defaultRule.retry, _ = c.compileRetry(nil)
	t.buildPlans()
	t.buildIndexes()
	for _, v := range t.views {
		v.refreshHostRefs()
	}
	for _, v := range t.views {
		if !v.isGateway {
			v.l4 = c.buildL4Listeners(v)
		}
	}
}

// bindsTo reports whether vs applies on gateway gw, at the VirtualService
// level (first result) or only through a match clause's gateways.
func (vs *compiledVS) bindsTo(gw string) (vsLevel, any bool) {
	if contains(vs.gateways, gw) {
		return true, true
	}
	for _, r := range vs.http {
		for _, m := range r.matches {
			if contains(m.gateways, gw) {
				return false, true
			}
		}
	}
	return false, false
}

func (v *view) consider(vs *compiledVS, taken bool, reason string, hosts []string) {
	v.considered = append(v.considered, vsConsideration{vs: vs, taken: taken, reason: reason, hosts: hosts})
}

// buildMeshView builds the sidecar view of callers in namespace ns: for
// every host the oldest visible VirtualService wins (virtualservice.md
// §1.2); registry hosts no VirtualService claims get a default route.
func (c *compiler) buildMeshView(id int, ns string) *view {
	v := &view{id: id, gateway: match.MeshGateway, namespace: ns, exact: map[string]*hostRef{}}
	claimed := map[string]*vhost{}
	for _, vs := range c.vss {
		vsLevel, bound := vs.bindsTo(match.MeshGateway)
		if !bound {
			v.consider(vs, false, "not bound to mesh (gateways: "+strings.Join(vs.gateways, ", ")+")", nil)
			continue
		}
		if !vs.export.visibleTo(ns) {
			v.consider(vs, false, "not exported to namespace "+quoteNS(ns)+" (exportTo: "+vs.export.String()+")", nil)
			continue
		}
		// got is the hosts taken; until one is lost they are a prefix of
		// vs.hosts, which is shared rather than copied (most take all).
		var got, lost []string
		for i, h := range vs.hosts {
			if owner := claimed[h]; owner != nil {
				if lost == nil {
					got = append(make([]string, 0, len(vs.hosts)-1), vs.hosts[:i]...)
				}
				lost = append(lost, h+" (already claimed by "+owner.vss[0].ref.Namespace+"/"+owner.vss[0].ref.Name+", which is older)")
				continue
			}
			vh := c.vhostArena.new()
			vh.host, vh.vss = h, append(c.vsLists.make(1), vs)
			vh.addRules(vs, vsLevel)
			if !ihost.IsWildcard(h) {
				vh.self = c.newDest(nil)
				vh.self.dest.Host = h
			}
			claimed[h] = vh
			v.vhosts = append(v.vhosts, vh)
			if lost != nil {
				got = append(got, h)
			}
		}
		if lost == nil {
			got = vs.hosts
		}
		v.addL4(vs)
		reason := ""
		if len(lost) > 0 {
			reason = "hosts dropped: " + strings.Join(lost, "; ")
		}
		v.consider(vs, len(got) > 0, reason, got)
	}
	for _, vh := range v.vhosts {
		for _, d := range domainForms(vh.host, ns, c.opts.domain) {
			v.addDomain(d, vh)
		}
	}
	partial := partialWildcards(claimed)
	for _, r := range c.registry {
		if !r.export.visibleTo(ns) || claimed[r.host] != nil {
			continue
		}
		if r.fromDR && c.opts.strictRegistry && c.outsideRegistry(ns, r.host) {
			continue // Istio ignores a DestinationRule for no service
		}
		target := c.registryOwner(claimed, partial, r.host)
		if target == nil {
			target = c.vhostArena.new()
			target.host, target.defaultRoute = r.host, c.newDest(nil)
			target.defaultRoute.dest.Host = r.host
			v.vhosts = append(v.vhosts, target)
		}
		claimed[r.host] = target
		for _, d := range domainForms(r.host, ns, c.opts.domain) {
			v.addDomain(d, target)
		}
	}
	for addr, h := range c.seAddr {
		if vh := claimed[h]; vh != nil {
			v.addDomain(strings.ToLower(addr), vh)
		}
	}
	c.scopePorts(v, claimed)
	v.sortWildcards()
	return v
}

// scopePorts records in v.portScoped the ports of every ServiceEntry host
// visible to mesh view v that declares ports (the union over its
// ServiceEntries; the first to declare a port gives its protocol), under
// each exact domain that leads to the host's virtual host: its domain
// forms and its addresses, and for a "*.suffix" host in
// v.portScopedWild. Istio puts a service's virtual host in the outbound
// route configuration of each of its HTTP ports only, so a request on
// another port does not reach it (virtualservice.md §1.1 on domains;
// serviceentry.md "Ports", "Protocol"). Hosts no ServiceEntry describes,
// whose ports are unknown, and "*" or partial wildcard hosts take every
// port.
func (c *compiler) scopePorts(v *view, claimed map[string]*vhost) {
	declared := map[string]declaredPorts{}
	for _, se := range c.ses {
		if !newExportSet(se.Spec.GetExportTo(), se.Namespace).visibleTo(v.namespace) {
			continue
		}
		for _, h := range se.Spec.GetHosts() {
			if h = ihost.Expand(h, se.Namespace, c.opts.domain); ihost.IsWildcard(h) && !strings.HasPrefix(h, "*.") {
				continue // "*" and partial wildcards ("*-x.y") take every port
			}
			dp := declared[h]
			for _, p := range se.Spec.GetPorts() {
				n := p.GetNumber()
				if containsPort(dp.all, n) {
					continue
				}
				dp.all = append(dp.all, n)
				switch proto := protocolOf(p.GetProtocol()); {
				case tlsProtocols[proto]:
					dp.tls = append(dp.tls, n)
				case proto != "" && !httpProtocols[proto]:
					dp.tcp = append(dp.tcp, n)
				}
			}
			declared[h] = dp
		}
	}
	scope := func(d string, vh *vhost, dp declaredPorts) {
		if r := v.exact[d]; r != nil && r.vh == vh {
			if v.portScoped == nil {
				v.portScoped = map[string]declaredPorts{}
			}
			v.portScoped[d] = dp
			vh.portScoped = true
		}
	}
	for h, dp := range declared {
		vh := claimed[h]
		if vh == nil || len(dp.all) == 0 {
			continue
		}
		if ihost.IsWildcard(h) { // "*.suffix": the suffix entry, if it leads to vh
			if r := v.suffixDot[h[1:]]; r != nil && r.vh == vh {
				v.portScopedWild = append(v.portScopedWild, wildPorts{suffix: h[1:], vh: vh, dp: dp})
				vh.portScoped = true
			}
			continue
		}
		for _, d := range domainForms(h, v.namespace, c.opts.domain) {
			scope(d, vh, dp)
		}
	}
	c.scopeHostsOutsideRegistry(v, claimed, declared)
	sortStable(v.portScopedWild, func(a, b wildPorts) bool { return len(a.suffix) > len(b.suffix) })
	for addr, h := range c.seAddr {
		if dp := declared[h]; len(dp.all) > 0 && claimed[h] != nil {
			scope(strings.ToLower(addr), claimed[h], dp)
		}
	}
}

// scopeHostsOutsideRegistry scopes to port 80 the VirtualService hosts
// of view v that name no service: neither a ServiceEntry host visible to
// v nor a Kubernetes service name. Istio puts the virtual hosts of a
// VirtualService none of whose hosts is a service on a port into the
// route configuration of port 80 only ("only select virtualServices that
// matches a service" unless the listener port is 80, in
// buildSidecarOutboundHTTPRouteConfig), so a request for such a host on
// another port finds no route configuration for it and is for an unknown
// host. A VirtualService that also has a ServiceEntry host takes its other
// hosts to that host's HTTP ports as well; one that has a Kubernetes
// service name, a wildcard host, or a host a wildcard ServiceEntry host
// covers is left on every port, as those hosts' ports are unknown here.
func (c *compiler) scopeHostsOutsideRegistry(v *view, claimed map[string]*vhost, declared map[string]declaredPorts) {
	// service reports whether h is a service whose ports are unknown here
	// (every port), and else the HTTP ports it declares, if any. declared
	// holds the ServiceEntry hosts visible to v.
	service := func(h string) (everyPort bool, http []uint32) {
		if ihost.IsWildcard(h) {
			return true, nil
		}
		dp, ok := declared[h]
		if !ok {
			// a Kubernetes service name, or a name under a wildcard
			// ServiceEntry host
			return !c.outsideRegistry(v.namespace, h), nil
		}
		if len(dp.all) == 0 {
			return true, nil // a ServiceEntry host without ports
		}
		for _, p := range dp.all {
			if !containsPort(dp.tls, p) && !containsPort(dp.tcp, p) {
				http = append(http, p)
			}
		}
		return false, http
	}
	for h, vh := range claimed {
		if len(vh.vss) == 0 || vh.defaultRoute != nil || vh.host != h {
			continue // a registry host's default route, or a wildcard's
		}
		if every, http := service(h); every || http != nil {
			continue
		}
		if _, ok := declared[h]; ok {
			continue // scoped by its own ports above
		}
		ports := []uint32{80}
		every := false
		for _, o := range vh.vss[0].hosts {
			e, http := service(o)
			every = every || e
			for _, p := range http {
				if !containsPort(ports, p) {
					ports = append(ports, p)
				}
			}
		}
		if every {
			continue
		}
		// h is its only domain (no Kubernetes short forms, no addresses),
		// so the ports are the virtual host's own
		vh.onlyPorts, vh.portScoped = ports, true
	}
}

// partialWildcards lists the claimed wildcards whose "*" stands for part
// of a label ("*-x.y.z").
func partialWildcards(claimed map[string]*vhost) []string {
	var out []string
	for h := range claimed {
		if ihost.IsWildcard(h) && h != "*" && h[1] != '.' {
			out = append(out, h)
		}
	}
	return out
}

// registryOwner returns the virtual host of the most specific (longest)
// wildcard VirtualService host covering registry host h, or nil; of two
// as long, the one first in string order. The candidates are "*" plus each
// suffix of h from a '.', longest first, found by map, and partial, the
// claimed wildcards whose "*" stands for part of a label ("*-x.y.z").
func (c *compiler) registryOwner(claimed map[string]*vhost, partial []string, h string) *vhost {
	if ihost.IsWildcard(h) {
		return nil
	}
	best, bestHost := (*vhost)(nil), ""
	consider := func(w string) {
		owner := claimed[w]
		if owner == nil || owner.defaultRoute != nil {
			return
		}
		if best == nil || len(w) > len(bestHost) || (len(w) == len(bestHost) && w < bestHost) {
			best, bestHost = owner, w
		}
	}
	var buf [256]byte
	buf[0] = '*'
	for i := 1; i < len(h); i++ {
		if h[i] != '.' || len(h)-i >= len(buf) {
			continue
		}
		n := 1 + copy(buf[1:], h[i:])
		if owner := claimed[string(buf[:n])]; owner != nil && owner.defaultRoute == nil {
			consider(string(buf[:n]))
			break // the longest suffix at a label boundary
		}
	}
	for _, w := range partial {
		if ihost.MatchesRequest(w, h) {
			consider(w)
		}
	}
	if best == nil {
		consider("*")
	}
	return best
}

// buildGatewayView builds the view of gateway gw ("ns/name") for its
// servers on port (0: all servers): VirtualServices bound to it and
// exported to its namespace, on the hosts they share with its servers,
// merged per host with catch-all rules moved last (virtualservice.md §1.3).
func (c *compiler) buildGatewayView(id int, gw string, port uint32) *view {
	gns := gw[:strings.IndexByte(gw, '/')]
	v := &view{id: id, gateway: gw, namespace: gns, isGateway: true, exact: map[string]*hostRef{}}
	byHost := map[string]*vhost{}
	for _, vs := range c.vss {
		vsLevel, bound := vs.bindsTo(gw)
		if !bound {
			v.consider(vs, false, "not bound to gateway "+gw+" (gateways: "+strings.Join(vs.gateways, ", ")+")", nil)
			continue
		}
		if !vs.export.visibleTo(gns) {
			v.consider(vs, false, "not exported to the gateway's namespace "+gns+" (exportTo: "+vs.export.String()+")", nil)
			continue
		}
		hosts := c.gatewayHosts(gw, port, vs)
		if len(hosts) == 0 {
			v.consider(vs, false, "no host intersects the hosts of gateway "+gw+"'s servers", nil)
			continue
		}
		for _, h := range hosts {
			vh := byHost[h]
			if vh == nil {
				vh = &vhost{host: h}
				byHost[h] = vh
				v.vhosts = append(v.vhosts, vh)
			}
			vh.vss = append(vh.vss, vs)
			vh.addRules(vs, vsLevel)
		}
		v.addL4(vs)
		v.consider(vs, true, "", hosts)
	}
	if g := c.gwObjs[gw]; g != nil {
		for _, srv := range g.Spec.GetServers() {
			if !srv.GetTls().GetHttpsRedirect() || (port != 0 && srv.GetPort().GetNumber() != port) {
				continue
			}
			hr := httpsRedirect{port: srv.GetPort().GetNumber()}
			for _, sh := range srv.GetHosts() {
				if i := strings.IndexByte(sh, '/'); i >= 0 {
					sh = sh[i+1:]
				}
				hr.hosts = append(hr.hosts, strings.ToLower(sh))
			}
			v.httpsRedirects = append(v.httpsRedirects, hr)
		}
	}
	for _, vh := range v.vhosts {
		if len(vh.vss) > 1 {
			sortStable(vh.routes, func(a, b routeEntry) bool { return !a.rule.catchAll && b.rule.catchAll })
		}
		v.addDomain(vh.host, vh)
	}
	v.sortWildcards()
	return v
}

// gatewayHosts intersects a VirtualService's hosts with the hosts of
// gateway gw's servers open to the VirtualService's namespace (gateway.md
// §Binding). A gateway the configuration does not define binds every host
// (so a Gateway object is not required to route on a gateway).
func (c *compiler) gatewayHosts(gw string, port uint32, vs *compiledVS) []string {
	g := c.gwObjs[gw]
	if g == nil {
		return vs.hosts
	}
	var out []string
	add := func(h string) {
		if !contains(out, h) {
			out = append(out, h)
		}
	}
	for _, s := range g.Spec.GetServers() {
		if port != 0 && s.GetPort().GetNumber() != port {
			continue
		}
		for _, sh := range s.GetHosts() {
			ns, name := "*", sh
			if i := strings.IndexByte(sh, '/'); i >= 0 {
				ns, name = sh[:i], sh[i+1:]
			}
			if ns == "." {
				ns = g.Namespace
			}
			if ns != "*" && ns != vs.ref.Namespace {
				continue
			}
			name = strings.ToLower(name)
			for _, h := range vs.hosts {
				switch {
				case ihost.SubsetOf(h, name):
					add(h)
				case ihost.SubsetOf(name, h):
					add(name)
				}
			}
		}
	}
	return out
}

// addRules appends the HTTP and TCP rules of vs to the virtual host.
func (vh *vhost) addRules(vs *compiledVS, vsLevel bool) {
	vh.routes = slices.Grow(vh.routes, len(vs.http))
	for _, r := range vs.http {
		vh.routes = append(vh.routes, routeEntry{vs: vs, rule: r, vsLevel: vsLevel})
	}
	for _, r := range vs.tcp {
		vh.tcp = append(vh.tcp, l4Entry{vs: vs, rule: r})
	}
}

// addL4 adds the TCP and TLS rules of vs to the view's host-less lists.
func (v *view) addL4(vs *compiledVS) {
	for _, r := range vs.tcp {
		v.tcpAll = append(v.tcpAll, l4Entry{vs: vs, rule: r})
	}
	for _, r := range vs.tls {
		v.tlsAll = append(v.tlsAll, l4Entry{vs: vs, rule: r})
	}
}

func quoteNS(ns string) string {
	if ns == "" {
		return "(other)"
	}
	return ns
}

func containsPort(ps []uint32, p uint32) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}
