package route

import (
	"net/netip"
	"sort"
	"strings"

	ihost "github.com/meshroute/meshroute/internal/host"
	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/policy"
)

// DecideTCP returns the routing decision for an opaque TCP connection
// (virtualservice.md §14). On a sidecar the connection belongs to the
// service whose outbound listener takes its address and port, as Envoy
// picks one: the service req.Authority names (the host the caller
// dialled, when known) if it declares the port, else by req.DestinationIP
// the ServiceEntry with that exact address, then the one whose CIDR
// address holds it, then one without addresses, each declaring the port
// (see l4Listeners; a host no ServiceEntry describes has unknown ports and
// takes any). Its VirtualService's tcp rules then decide, the first whose
// match (destinationSubnets, port, sourceLabels, gateways,
// sourceNamespace) holds, and a connection none takes goes to the service
// itself (DefaultRoute): the registry host the listener is for (found by
// address, or named by req.Authority) also when its virtual host is a
// wildcard VirtualService's, as Istio's last filter chain on a service's
// listener goes to the service's own cluster.
//
// A connection no service takes passes through (AllowAny) or is refused
// (RegistryOnly), as at Envoy's virtual outbound listener; before that
// the tcp rules of the view's other VirtualServices are tried in order,
// as Envoy's filter chains on a shared port, leaving out those whose
// hosts are all ServiceEntry hosts (their listeners are known and did not
// take the connection, or they do not declare its port when its address
// is unknown). On a gateway the connection belongs to the host
// req.Authority names, else every tcp rule of the view is tried.
func (t *Table) DecideTCP(req *match.Request) Decision { return t.decideTCP(req, nil) }

// decideTCP is DecideTCP, recording its steps in tr when not nil
// (ExplainTCP).
func (t *Table) decideTCP(req *match.Request, tr *l4Trace) Decision {
	v := t.viewFor(req)
	if v == nil {
		return noRoute(reasonUnknownGW)
	}
	var l *l4Listeners
	if !v.isGateway {
		l = t.l4Listeners(v)
	}
	vh, svc := t.l4Vhost(v, l, req)
	if tr != nil {
		tr.service(v, vh, svc, req)
	}
	if vh == nil || (v.isGateway && len(vh.vss) == 0) {
		if d, ok := t.decideL4Open(v, l, req, tr); ok {
			return d
		}
		return t.l4Unknown(v, req)
	}
	if d, ok := t.decideL4Traced(v, vh.tcp, req, tr); ok {
		return d
	}
	if d, ok := t.l4Default(v, vh, svc, req); ok {
		return d
	}
	return t.l4Unknown(v, req)
}

// l4Default is where a connection to the service of virtual host vh goes
// when no tcp rule takes it: the host's default route (no VirtualService
// claims it), else the service a VirtualService claims (vh.self), else
// svc's own destination, svc being the service the listener found (by
// address or by the dialled name) when vh is a wildcard VirtualService's
// (l4Service.own). false when there is none: a host neither the registry
// nor a VirtualService names as a service.
func (t *Table) l4Default(v *view, vh *vhost, svc *l4Service, req *match.Request) (Decision, bool) {
	switch {
	case vh.defaultRoute != nil:
		return t.l4Forward(nil, vh.defaultRoute.targets[v.id], vh.defaultRoute.dest, req, true), true
	case vh.self != nil:
		return t.l4Forward(nil, vh.self.targets[v.id], vh.self.dest, req, true), true
	case svc != nil && svc.own != nil:
		return t.l4Forward(nil, svc.own.target, svc.own.dest, req, true), true
	}
	return Decision{}, false
}

// DecideTLS returns the routing decision for a TLS connection that is not
// terminated, routed by SNI (virtualservice.md §14): the first tls rule,
// across the VirtualServices of the view in order, whose match holds
// (sniHosts with wildcards, plus the L4 conditions). On a sidecar a rule
// is only on the connection's port when its VirtualService's hosts match
// a ServiceEntry host that declares the port with protocol TLS or HTTPS,
// or a host no ServiceEntry describes (its ports unknown; see tlsListen);
// on a gateway the server's port decides. A connection no rule
// takes goes to the service its SNI names when a sidecar listens for it
// on the connection's port (it declares the port, or its ports are
// unknown), or, for a service a VirtualService claims (by its host or a
// wildcard), on a port it declares: TLS or HTTPS, where the listener ends
// with a filter chain to the service itself, or another protocol, where
// the connection is opaque TCP (the VirtualService's tcp rules, then the
// service); else as for DecideTCP, with the SNI as the host.
func (t *Table) DecideTLS(req *match.Request) Decision { return t.decideTLSConn(req, nil) }

// decideTLSConn is DecideTLS, recording its steps in tr when not nil
// (ExplainTLS): then the view's tls rules are tried in order rather than
// through its SNI index.
func (t *Table) decideTLSConn(req *match.Request, tr *l4Trace) Decision {
	v := t.viewFor(req)
	if v == nil {
		return noRoute(reasonUnknownGW)
	}
	if tr == nil {
		if d, ok := t.decideTLS(v, req); ok {
			return d
		}
	} else if d, ok := t.traceTLS(v, req, tr); ok {
		return d
	}
	if req.SNI != "" {
		vh := v.findVhost(req.SNI)
		if tr != nil {
			tr.sniHost(vh)
		}
		if vh != nil && vh.defaultRoute != nil &&
			(v.isGateway || t.l4Listeners(v).nameListens(lowerASCII(req.SNI), requestPort(req))) {
			return t.l4Forward(nil, vh.defaultRoute.targets[v.id], vh.defaultRoute.dest, req, true)
		}
		if vh != nil && !v.isGateway {
			l := t.l4Listeners(v)
			if name := lowerASCII(req.SNI); l.declaresTLS(name, requestPort(req)) {
				// The service's listener on its TLS port ends with a
				// filter chain to the service itself when no tls rule
				// takes the connection (istio/istio
				// pilot/pkg/networking/core/tls.go,
				// buildSidecarOutboundTLSFilterChainOpts).
				if tr != nil {
					tr.tlsDefault(name, requestPort(req))
				}
				if d, ok := t.l4Default(v, vh, l.named(name), req); ok {
					return d
				}
			} else if l.declaresNonTLS(name, requestPort(req)) {
				// Only TCP filter chains are on such a port: the
				// connection is opaque TCP to the service.
				if tr != nil {
					tr.opaque(name, requestPort(req))
				}
				if d, ok := t.decideL4Traced(v, vh.tcp, req, tr); ok {
					return d
				}
				if d, ok := t.l4Default(v, vh, l.named(name), req); ok {
					return d
				}
			}
		}
	}
	return t.l4Unknown(v, req)
}

// l4Vhost finds the virtual host of the service a connection is for (see
// DecideTCP), nil when none listens for it, and the service the listener
// is for when the registry names it (nil for a host only a VirtualService
// names, and on a gateway). l is the view's listeners, nil on a gateway,
// where the host is found by authority alone.
func (t *Table) l4Vhost(v *view, l *l4Listeners, req *match.Request) (*vhost, *l4Service) {
	if l == nil {
		if req.Authority == "" {
			return nil, nil
		}
		return v.findVhost(req.Authority), nil
	}
	port := requestPort(req)
	if req.Authority != "" {
		h, _ := splitAuthority(req.Authority)
		if a, ok := parseHostIP(h); ok {
			return l.byAddress(a, port)
		}
		if vh := v.findVhost(req.Authority); vh != nil {
			if name := lowerASCII(h); l.nameListens(name, port) {
				return vh, l.named(name)
			}
		}
	}
	if req.DestinationIP.IsValid() {
		return l.byAddress(req.DestinationIP, port)
	}
	return nil, nil
}

// parseHostIP parses an authority's host as an IP address ("[::1]"
// included).
func parseHostIP(h string) (netip.Addr, bool) {
	if len(h) > 1 && h[0] == '[' && h[len(h)-1] == ']' {
		h = h[1 : len(h)-1]
	}
	if h == "" || (strings.IndexByte(h, ':') < 0 && (h[len(h)-1] < '0' || h[len(h)-1] > '9')) {
		// Not an address (IPv4 ends with a digit, IPv6 has a colon):
		// spare ParseAddr's error, which allocates.
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(h)
	return a, err == nil
}

// declares reports whether a service with the declared ports listens on
// port; an unknown port (0) is assumed to be one of them.
func declares(ports []uint32, port uint32) bool {
	return port == 0 || containsPort(ports, port)
}

// byAddress returns the service listening on address a and port, with
// its virtual host: exact address, then the longest CIDR holding a, then
// no address; nils for none.
func (l *l4Listeners) byAddress(a netip.Addr, port uint32) (*vhost, *l4Service) {
	for _, s := range l.byAddr[a] {
		if declares(s.ports, port) {
			return s.vh, s
		}
	}
	for i := range l.cidrs {
		if c := &l.cidrs[i]; c.prefix.Contains(a) && declares(c.svc.ports, port) {
			return c.svc.vh, c.svc
		}
	}
	for _, s := range l.open {
		if declares(s.ports, port) {
			return s.vh, s
		}
	}
	return nil, nil
}

// named returns the registry service a connection dialled by name (lower
// case, no port) is for, when the view has a virtual host for it whose
// own destination it needs (l4Service.own): a ServiceEntry or
// DestinationRule host by any of its names, else the ServiceEntry host of
// the longest wildcard that matches name; nil for none.
func (l *l4Listeners) named(name string) *l4Service {
	if s, ok := l.owned[name]; ok {
		return s
	}
	if _, ok := l.names[name]; ok {
		return nil // a ServiceEntry host with a default route or self
	}
	for i := range l.wild {
		if w := &l.wild[i]; ihost.MatchesRequest(w.pattern, name) {
			return w.svc
		}
	}
	return nil
}

// nameListens reports whether the service named name (lower case, no
// port) listens on port: a ServiceEntry host (exact, else the longest
// wildcard host) when it declares the port, any other name always, its
// ports being unknown.
func (l *l4Listeners) nameListens(name string, port uint32) bool {
	if ports, ok := l.names[name]; ok {
		return declares(ports, port)
	}
	for i := range l.wild {
		if w := &l.wild[i]; ihost.MatchesRequest(w.pattern, name) {
			return declares(w.ports, port)
		}
	}
	return true
}

// declaresNonTLS reports whether the ServiceEntry host named name (as
// nameListens finds it) declares port (known, not 0) with a protocol
// other than TLS or HTTPS, where Istio puts no tls rule
// (buildSidecarOutboundTLSFilterChainOpts) but the service's TCP filter
// chains.
func (l *l4Listeners) declaresNonTLS(name string, port uint32) bool {
	if port == 0 {
		return false
	}
	if ports, ok := l.names[name]; ok {
		return containsPort(ports, port) && !containsPort(l.tlsNames[name], port)
	}
	for i := range l.wild {
		if w := &l.wild[i]; ihost.MatchesRequest(w.pattern, name) {
			return containsPort(w.ports, port) && !containsPort(w.tlsPorts, port)
		}
	}
	return false
}

// declaresTLS reports whether the ServiceEntry host named name (as
// nameListens finds it) declares port (known, not 0) with protocol TLS or
// HTTPS.
func (l *l4Listeners) declaresTLS(name string, port uint32) bool {
	if port == 0 {
		return false
	}
	if _, ok := l.names[name]; ok {
		return containsPort(l.tlsNames[name], port)
	}
	for i := range l.wild {
		if w := &l.wild[i]; ihost.MatchesRequest(w.pattern, name) {
			return containsPort(w.tlsPorts, port)
		}
	}
	return false
}

// mayListen reports whether a connection no service listener took can
// still be for one of vs's hosts: a wildcard host, or a host no
// ServiceEntry describes (its addresses and ports are unknown), or, when
// the connection's address is unknown, a ServiceEntry host that declares
// its port.
func (l *l4Listeners) mayListen(vs *compiledVS, req *match.Request) bool {
	for _, h := range vs.hosts {
		ports, known := l.names[h]
		if !known || ihost.IsWildcard(h) {
			return true
		}
		if !req.DestinationIP.IsValid() && declares(ports, requestPort(req)) {
			return true
		}
	}
	return false
}

// decideL4Open tries the tcp rules of every VirtualService of the view
// for a connection no service listener took; on a sidecar (l not nil)
// only those of VirtualServices that mayListen.
func (t *Table) decideL4Open(v *view, l *l4Listeners, req *match.Request, tr *l4Trace) (Decision, bool) {
	if l == nil {
		return t.decideL4Traced(v, v.tcpAll, req, tr)
	}
	for i := range v.tcpAll {
		e := &v.tcpAll[i]
		if !l.mayListen(e.vs, req) {
			if tr != nil {
				tr.skip(e, reasonNoListener)
			}
			continue
		}
		if d, ok := t.decideL4Traced(v, v.tcpAll[i:i+1], req, tr); ok {
			if tr != nil {
				tr.notReached(v.tcpAll[i+1:], req)
			}
			return d, true
		}
	}
	return Decision{}, false
}

// reasonNoListener is why a connection no service listener took does not
// meet a tcp rule (mayListen).
const reasonNoListener = "its VirtualService's hosts are ServiceEntry hosts, whose listeners did not take the connection"

// decideL4 returns the decision of the first of entries that takes the
// connection.
func (t *Table) decideL4(v *view, entries []l4Entry, req *match.Request) (Decision, bool) {
	return t.decideL4Traced(v, entries, req, nil)
}

// decideL4Traced is decideL4, recording in tr (when not nil) each rule
// tried, and those after the one that took the connection as not
// reached.
func (t *Table) decideL4Traced(v *view, entries []l4Entry, req *match.Request, tr *l4Trace) (Decision, bool) {
	for i := range entries {
		e := &entries[i]
		mi, ok := e.rule.match(req)
		if tr != nil {
			tr.rule(e, req, ok)
		}
		if !ok {
			continue
		}
		if tr != nil {
			tr.notReached(entries[i+1:], req)
		}
		rd := e.rule.dests[0]
		if len(e.rule.dests) > 1 {
			rd = pickWeighted(e.rule.dests, e.rule.total, t.opts.rand.Uint64())
		}
		d := t.l4Forward(e, rd.targets[v.id], rd.dest, req, false)
		d.Rule.MatchIndex = mi
		return d, true
	}
	return Decision{}, false
}

// match reports whether a TCP/TLS rule takes the connection (OR across
// clauses; no clause matches every connection) and which clause did.
func (r *l4Rule) match(req *match.Request) (int, bool) {
	if len(r.matches) == 0 {
		return -1, true
	}
	for _, m := range r.matches {
		if m.m.Match(req) {
			return m.index, true
		}
	}
	return -1, false
}

// l4Forward routes a connection to dest, whose target in the view is ti:
// by rule e (nil for a default route, def set).
func (t *Table) l4Forward(e *l4Entry, ti *targetInfo, dest Destination, req *match.Request, def bool) Decision {
	d := Decision{Action: ActionRoute, DefaultRoute: def, Rule: RuleRef{Index: -1, MatchIndex: -1}}
	if e != nil {
		d.VirtualService = e.vs.ref
		d.Rule.Index, d.Rule.Section = e.rule.index, e.rule.section
	}
	if ti.selected != nil {
		ti = ti.forWorkload(req.SourceLabels)
	}
	setTarget(&d, ti, dest, req)
	return d
}

// l4Unknown decides for a connection to no known service: a gateway closes
// it, a sidecar passes it through to its original destination (AllowAny)
// or refuses it (RegistryOnly).
func (t *Table) l4Unknown(v *view, req *match.Request) Decision {
	if v.isGateway {
		return Decision{Action: ActionNoRoute, Reason: "no tcp or tls rule of this gateway takes the connection", Rule: RuleRef{Index: -1, MatchIndex: -1}}
	}
	if t.opts.outbound == RegistryOnly {
		return Decision{Action: ActionUnavailable, Reason: reasonRegistryOnly, Rule: RuleRef{Index: -1, MatchIndex: -1}}
	}
	h := req.SNI
	if h == "" {
		h, _ = splitAuthority(req.Authority)
	}
	if h == "" && req.DestinationIP.IsValid() {
		h = req.DestinationIP.String()
	}
	port := requestPort(req)
	return Decision{
		Action: ActionRoute, Passthrough: true, Rule: RuleRef{Index: -1, MatchIndex: -1},
		Destination: Destination{Host: h, Port: port},
		Target:      policy.Target{Host: h, Port: port},
	}
}

// l4Listeners returns the listeners of mesh view v (Table.build makes
// them).
func (t *Table) l4Listeners(v *view) *l4Listeners { return v.l4 }

// serviceEntriesByCreation returns cfg's ServiceEntries in creation
// order, as Compile indexes them.
func serviceEntriesByCreation(cfg *Config) []*ServiceEntry {
	var ses []*ServiceEntry
	for _, se := range cfg.ServiceEntries {
		if se != nil && se.Spec != nil {
			ses = append(ses, se)
		}
	}
	sort.SliceStable(ses, func(i, j int) bool { return byCreation(&ses[i].Meta, &ses[j].Meta) })
	return ses
}
