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
	// wild are the wildcard ServiceEntry hosts, longest first.
	wild []l4Wild
}

// l4Service is one ServiceEntry host: its declared ports and the view's
// virtual host for it.
type l4Service struct {
	host  string
	ports []uint32
	vh    *vhost
}

type l4CIDR struct {
	prefix netip.Prefix
	svc    *l4Service
}

type l4Wild struct {
	pattern string // "*.example.com"
	ports   []uint32
}

// buildL4Listeners indexes the listeners of mesh view v for ses, the
// configuration's ServiceEntries in creation order; hosts are expanded
// with domain.
func buildL4Listeners(v *view, ses []*ServiceEntry, domain string) *l4Listeners {
	l := &l4Listeners{byAddr: map[netip.Addr][]*l4Service{}, names: map[string][]uint32{}}
	for _, se := range ses {
		if se == nil || se.Spec == nil || !newExportSet(se.Spec.GetExportTo(), se.Namespace).visibleTo(v.namespace) {
			continue
		}
		var ports []uint32
		for _, p := range se.Spec.GetPorts() {
			ports = append(ports, p.GetNumber())
		}
		for _, h := range se.Spec.GetHosts() {
			h = ihost.Expand(h, se.Namespace, domain)
			if ihost.IsWildcard(h) {
				l.addWild(h, ports)
			} else {
				for _, name := range domainForms(h, v.namespace, domain) {
					old, seen := l.names[name]
					if !seen {
						old = []uint32{} // declared, possibly no port
					}
					l.names[name] = unionPorts(old, ports)
				}
			}
			vh := v.findVhost(h)
			if vh == nil {
				continue
			}
			svc := &l4Service{host: h, ports: ports, vh: vh}
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
	sortStable(l.cidrs, func(a, b l4CIDR) bool { return a.prefix.Bits() > b.prefix.Bits() })
	sortStable(l.wild, func(a, b l4Wild) bool { return len(a.pattern) > len(b.pattern) })
	return l
}

func (l *l4Listeners) addWild(pattern string, ports []uint32) {
	for i := range l.wild {
		if l.wild[i].pattern == pattern {
			l.wild[i].ports = unionPorts(l.wild[i].ports, ports)
			return
		}
	}
	l.wild = append(l.wild, l4Wild{pattern: pattern, ports: unionPorts([]uint32{}, ports)})
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
