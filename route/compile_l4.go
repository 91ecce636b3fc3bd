package route

import (
	"fmt"
	"net/netip"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	ihost "github.com/meshroute/meshroute/internal/host"
	"github.com/meshroute/meshroute/match"
)

// l4Match is one compiled TCP (L4MatchAttributes) or TLS
// (TLSMatchAttributes) match clause.
type l4Match struct {
	index int
	m     interface {
		Match(*match.Request) bool
		Explain(*match.Request) (bool, string)
		String() string
	}
}

// compileL4Rule compiles a TCPRoute (tcp set) or TLSRoute (tls set).
func (c *compiler) compileL4Rule(vs *compiledVS, index int, tcp []*networking.L4MatchAttributes, tls []*networking.TLSMatchAttributes, route []*networking.RouteDestination, ns string) (*l4Rule, error) {
	rule := &l4Rule{index: index}
	resolve := func(gs []string) []string {
		var out []string
		for _, g := range gs {
			out = append(out, resolveGateway(g, ns))
		}
		return out
	}
	for i, m := range tcp {
		lm, err := match.CompileL4Match(m, resolve(m.GetGateways()))
		if err != nil {
			return nil, fmt.Errorf("match[%d]: %w", i, err)
		}
		rule.matches = append(rule.matches, &l4Match{index: i, m: lm})
	}
	for i, m := range tls {
		tm, err := match.CompileTLSMatch(m, resolve(m.GetGateways()))
		if err != nil {
			return nil, fmt.Errorf("match[%d]: %w", i, err)
		}
		rule.matches = append(rule.matches, &l4Match{index: i, m: tm})
	}
	weighted := len(route) > 1
	for i, rd := range route {
		if rd.GetDestination().GetHost() == "" {
			return nil, fmt.Errorf("route[%d].destination.host: is required", i)
		}
		if weighted && rd.GetWeight() <= 0 {
			continue
		}
		d := c.newDest(&networking.Destination{
			Host:   ihost.Expand(rd.GetDestination().GetHost(), ns, c.opts.domain),
			Subset: rd.GetDestination().GetSubset(),
			Port:   rd.GetDestination().GetPort(),
		})
		d.weight = uint64(rd.GetWeight())
		if !weighted {
			d.weight = 1
		}
		rule.total += d.weight
		d.cum = rule.total
		rule.dests = append(rule.dests, d)
	}
	if len(rule.dests) == 0 {
		return nil, fmt.Errorf("route: at least one destination with a weight above 0 is required")
	}
	return rule, nil
}

// l4Listeners is where the sidecars of one mesh view listen for TCP and
// TLS connections to the ServiceEntries visible to them: Envoy has an
// outbound listener per service address and declared port, a service
// without addresses listens on 0.0.0.0 on its ports (any address), and a
// CIDR address is a filter chain of the 0.0.0.0 listener matching the
// addresses in it (serviceentry.md "Resolution"; virtualservice.md §14).
// A connection that reaches none of them goes to the virtual outbound
// listener: passthrough (ALLOW_ANY) or blackhole (REGISTRY_ONLY).
type l4Listeners struct {
	// byAddr are the services with an exact address, in creation order.
	byAddr map[netip.Addr][]*l4Service
	// cidrs are the services with a CIDR address, longest prefix first,
	// then in creation order, as Envoy picks the most specific filter
	// chain.
	cidrs []l4CIDR
	// open are the services without addresses, in creation order.
	open []*l4Service
	// names holds the declared ports of every ServiceEntry host by each
	// name a connection can dial it by (domainForms); a host of several
	// ServiceEntries has all their ports. A name with a nil entry is a
	// ServiceEntry host that declares no port.
	names map[string][]uint32
	// tlsNames holds, as names does, the ports declared with protocol
	// TLS or HTTPS.
	tlsNames map[string][]uint32
	// wild are the wildcard ServiceEntry hosts, longest first.
	wild []l4Wild
	// owned are the registry services (ServiceEntry and DestinationRule
	// hosts) whose virtual host in the view is a wildcard VirtualService's,
	// by each name a connection can dial them by, the first in registry
	// order: such a host has neither a default route nor a self of its
	// own, yet its listener's last filter chain goes to it (see
	// l4Service.own).
	owned map[string]*l4Service
	// tlsOn is, for each rule of the view's tlsAll, where the sidecar has
	// the rule's filter chains (see tlsListen).
	tlsOn []*tlsListen
}

// tlsListen is where a sidecar puts the tls rules of one VirtualService:
// Istio adds them, as filter chains matched by SNI, to the outbound
// listener of each port with protocol TLS or HTTPS of each service the
// VirtualService's hosts match (host.Name.Matches; istio/istio
// pilot/pkg/networking/core/tls.go, getConfigsForHost and
// buildSidecarOutboundTLSFilterChainOpts, which builds nothing on a port
// that is not TLS). A VirtualService with a host that may name a service
// no ServiceEntry describes (its ports unknown) has them on every port.
type tlsListen struct {
	any   bool
	ports []uint32
}

// on reports whether the rules are on port; an unknown port (0) is
// assumed to be one of them.
func (t *tlsListen) on(port uint32) bool {
	return t.any || declares(t.ports, port)
}

// l4Service is one ServiceEntry host: its declared ports and the view's
// virtual host for it. A DestinationRule host (a registry host without
// ports or addresses) is one in l4Listeners.owned only.
type l4Service struct {
	host  string
	ports []uint32
	vh    *vhost
	// own is, when vh is a wildcard VirtualService's (no default route,
	// no self), the service's own destination, where a connection no tcp
	// rule takes goes: Istio adds to each service's outbound listener a
	// filter chain to the service's cluster when no tcp route of its
	// VirtualService is a catch-all (istio/istio
	// pilot/pkg/networking/core/tcp.go,
	// buildSidecarOutboundTCPFilterChainOpts). Its target is resolved for
	// the view, as every route destination's is.
	own *l4Own
}

// l4Own is a service's own destination in one view.
type l4Own struct {
	dest   Destination // the service's host, as its default route would name it
	target *targetInfo
}

type l4CIDR struct {
	prefix netip.Prefix
	svc    *l4Service
}

type l4Wild struct {
	pattern  string // "*.example.com"
	ports    []uint32
	tlsPorts []uint32   // those with protocol TLS or HTTPS
	svc      *l4Service // the first ServiceEntry's, when the view has a virtual host for it
}

// buildL4Listeners indexes the listeners of mesh view v for c.ses, the
// configuration's ServiceEntries in creation order; hosts are expanded
// with the cluster domain. The own destinations of the services whose
// virtual host is a wildcard VirtualService's are resolved here, once per
// view, so that deciding allocates nothing.
func (c *compiler) buildL4Listeners(v *view) *l4Listeners {
	domain := c.opts.domain
	l := &l4Listeners{byAddr: map[netip.Addr][]*l4Service{}, names: map[string][]uint32{}, tlsNames: map[string][]uint32{}}
	var tlsHosts []l4Wild // every ServiceEntry host with its TLS and HTTPS ports
	for _, se := range c.ses {
		if se == nil || se.Spec == nil || !newExportSet(se.Spec.GetExportTo(), se.Namespace).visibleTo(v.namespace) {
			continue
		}
		var ports, tlsPorts []uint32
		for _, p := range se.Spec.GetPorts() {
			ports = append(ports, p.GetNumber())
			if tlsProtocols[protocolOf(p.GetProtocol())] {
				tlsPorts = append(tlsPorts, p.GetNumber())
			}
		}
		for _, h := range se.Spec.GetHosts() {
			h = ihost.Expand(h, se.Namespace, domain)
			tlsHosts = append(tlsHosts, l4Wild{pattern: h, ports: tlsPorts})
			if ihost.IsWildcard(h) {
				l.addWild(h, ports, tlsPorts, nil)
			} else {
				for _, name := range domainForms(h, v.namespace, domain) {
					old, seen := l.names[name]
					if !seen {
						old = []uint32{} // declared, possibly no port
					}
					l.names[name] = unionPorts(old, ports)
					l.tlsNames[name] = unionPorts(l.tlsNames[name], tlsPorts)
				}
			}
			vh := v.findVhost(h)
			if vh == nil {
				continue
			}
			svc := &l4Service{host: h, ports: ports, vh: vh}
			c.ownService(l, v, svc)
			if ihost.IsWildcard(h) {
				l.addWild(h, nil, nil, svc)
			}
			if len(se.Spec.GetAddresses()) == 0 {
				l.open = append(l.open, svc)
			}
			for _, a := range se.Spec.GetAddresses() {
				if strings.Contains(a, "/") {
					if p, err := netip.ParsePrefix(a); err == nil {
						l.cidrs = append(l.cidrs, l4CIDR{prefix: p.Masked(), svc: svc})
					}
					continue
				}
				if ip, err := netip.ParseAddr(a); err == nil {
					l.byAddr[ip] = append(l.byAddr[ip], svc)
				}
			}
		}
	}
	for _, r := range c.registry {
		// DestinationRule hosts, which name a service of unknown ports
		// and addresses (the ServiceEntry hosts are in owned already)
		if _, ok := l.owned[r.host]; ok || ihost.IsWildcard(r.host) || !r.export.visibleTo(v.namespace) {
			continue
		}
		if _, ok := l.names[r.host]; ok {
			continue
		}
		if vh := v.findVhost(r.host); vh != nil {
			c.ownService(l, v, &l4Service{host: r.host, vh: vh})
		}
	}
	sortStable(l.cidrs, func(a, b l4CIDR) bool { return a.prefix.Bits() > b.prefix.Bits() })
	sortStable(l.wild, func(a, b l4Wild) bool { return len(a.pattern) > len(b.pattern) })
	byVS := map[*compiledVS]*tlsListen{}
	for _, e := range v.tlsAll {
		t := byVS[e.vs]
		if t == nil {
			t = l.tlsListenOf(e.vs, tlsHosts)
			byVS[e.vs] = t
		}
		l.tlsOn = append(l.tlsOn, t)
	}
	return l
}

// tlsListenOf returns where the sidecar has the tls rules of vs, given
// every ServiceEntry host of the view with its TLS and HTTPS ports.
func (l *l4Listeners) tlsListenOf(vs *compiledVS, tlsHosts []l4Wild) *tlsListen {
	t := &tlsListen{}
	for _, h := range vs.hosts {
		if !l.describes(h) {
			return &tlsListen{any: true}
		}
		for _, s := range tlsHosts {
			if ihost.Matches(h, s.pattern) {
				t.ports = unionPorts(t.ports, s.ports)
			}
		}
	}
	return t
}

// describes reports whether every name host h (expanded, lower case)
// covers is a ServiceEntry host: h itself, or a name under a wildcard
// ServiceEntry host that covers h.
func (l *l4Listeners) describes(h string) bool {
	if _, ok := l.names[h]; ok && !ihost.IsWildcard(h) {
		return true
	}
	for i := range l.wild {
		if ihost.SubsetOf(h, l.wild[i].pattern) {
			return true
		}
	}
	return false
}

// ownService gives svc its own destination when its virtual host is a
// wildcard VirtualService's (see l4Service.own), and records a
// non-wildcard one in l.owned under each name it can be dialled by.
func (c *compiler) ownService(l *l4Listeners, v *view, svc *l4Service) {
	if svc.vh.defaultRoute != nil || svc.vh.self != nil {
		return
	}
	svc.own = &l4Own{dest: Destination{Host: svc.host}, target: c.resolveTarget(v.namespace, svc.host, "")}
	if ihost.IsWildcard(svc.host) {
		return
	}
	if l.owned == nil {
		l.owned = map[string]*l4Service{}
	}
	for _, name := range domainForms(svc.host, v.namespace, c.opts.domain) {
		if _, ok := l.owned[name]; !ok {
			l.owned[name] = svc
		}
	}
}

// addWild adds the ports of a wildcard ServiceEntry host, or (svc not
// nil) the view's service for it when it has none yet.
func (l *l4Listeners) addWild(pattern string, ports, tlsPorts []uint32, svc *l4Service) {
	for i := range l.wild {
		if w := &l.wild[i]; w.pattern == pattern {
			w.ports = unionPorts(w.ports, ports)
			w.tlsPorts = unionPorts(w.tlsPorts, tlsPorts)
			if w.svc == nil {
				w.svc = svc
			}
			return
		}
	}
	l.wild = append(l.wild, l4Wild{pattern: pattern, ports: unionPorts([]uint32{}, ports), tlsPorts: unionPorts(nil, tlsPorts), svc: svc})
}

// unionPorts appends to a the ports of b it lacks.
func unionPorts(a, b []uint32) []uint32 {
	for _, p := range b {
		if !containsPort(a, p) {
			a = append(a, p)
		}
	}
	return a
}
