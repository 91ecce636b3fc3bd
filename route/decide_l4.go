package route

import (
	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/policy"
)

// DecideTCP returns the routing decision for an opaque TCP connection
// (virtualservice.md §14). The service is found by req.Authority (the host
// the caller dialled, when known) or by req.DestinationIP among
// ServiceEntry addresses; its VirtualService's tcp rules then decide, the
// first whose match (destinationSubnets, port, sourceLabels, gateways,
// sourceNamespace) holds. When the service is unknown, every tcp rule of
// the view is tried in order, as Envoy's filter chains on a shared port.
// A connection no rule takes goes to the known service itself
// (DefaultRoute), else passes through (AllowAny), else is refused
// (RegistryOnly).
func (t *Table) DecideTCP(req *match.Request) Decision {
	v := t.viewFor(req)
	if v == nil {
		return noRoute(reasonUnknownGW)
	}
	vh := t.l4Vhost(v, req)
	entries := v.tcpAll
	if vh != nil && len(vh.vss) > 0 {
		entries = vh.tcp
	}
	if d, ok := t.decideL4(v, entries, req); ok {
		return d
	}
	if vh != nil && vh.defaultRoute != nil {
		return t.l4Forward(v, nil, nil, vh.defaultRoute, req, true)
	}
	if vh != nil && vh.self != nil {
		return t.l4Forward(v, nil, nil, vh.self, req, true)
	}
	return t.l4Unknown(v, req)
}

// DecideTLS returns the routing decision for a TLS connection that is not
// terminated, routed by SNI (virtualservice.md §14): the first tls rule,
// across the VirtualServices of the view in order, whose match holds
// (sniHosts with wildcards, plus the L4 conditions). A connection no rule
// takes goes as for DecideTCP, with the SNI as the host.
func (t *Table) DecideTLS(req *match.Request) Decision {
	v := t.viewFor(req)
	if v == nil {
		return noRoute(reasonUnknownGW)
	}
	if d, ok := t.decideTLS(v, req); ok {
		return d
	}
	if req.SNI != "" {
		if vh := v.findVhost(req.SNI); vh != nil && vh.defaultRoute != nil {
			return t.l4Forward(v, nil, nil, vh.defaultRoute, req, true)
		}
	}
	return t.l4Unknown(v, req)
}

// l4Vhost finds the service of a connection by authority or destination
// address.
func (t *Table) l4Vhost(v *view, req *match.Request) *vhost {
	if req.Authority != "" {
		return v.findVhost(req.Authority)
	}
	if req.DestinationIP.IsValid() {
		return v.byAddr[req.DestinationIP]
	}
	return nil
}

func (t *Table) decideL4(v *view, entries []l4Entry, req *match.Request) (Decision, bool) {
	for i := range entries {
		e := &entries[i]
		mi, ok := e.rule.match(req)
		if !ok {
			continue
		}
		rd := e.rule.dests[0]
		if len(e.rule.dests) > 1 {
			rd = pickWeighted(e.rule.dests, e.rule.total, t.opts.rand.Uint64())
		}
		d := t.l4Forward(v, e, nil, rd, req, false)
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

func (t *Table) l4Forward(v *view, e *l4Entry, _ *ruleMatch, rd *routeDest, req *match.Request, def bool) Decision {
	d := Decision{Action: ActionRoute, DefaultRoute: def, Rule: RuleRef{Index: -1, MatchIndex: -1}}
	if e != nil {
		d.VirtualService = e.vs.ref
		d.Rule.Index = e.rule.index
	}
	setTarget(&d, rd.targets[v.id], rd.dest, req)
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
