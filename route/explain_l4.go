package route

import (
	"fmt"
	"net"
	"strconv"

	"github.com/meshroute/meshroute/match"
)

// ExplainTCP decides an opaque TCP connection like DecideTCP, by the same
// code, and records why: the view and its VirtualServices, the service
// whose listener took the connection (Listener) and its virtual host,
// every tcp rule tried with each match clause and the first condition
// that failed, rules skipped and why, and how the connection went when no
// rule took it (HostRoute). Its Decision is what DecideTCP returns for
// the same table state and random source. Like Explain it allocates
// freely: it is for people and tools.
func (t *Table) ExplainTCP(req *match.Request) *Explanation {
	return t.explainL4(req, "tcp")
}

// ExplainTLS decides a TLS connection that is not terminated like
// DecideTLS and records why, as ExplainTCP does: every tls rule of the
// view in order (a sidecar skips those not on the connection's port, as
// DecideTLS does), then, when none takes the connection, the tcp rules
// and default route of the service its SNI names. The rules are tried in
// order where DecideTLS may use an SNI index; both give the same
// decision.
func (t *Table) ExplainTLS(req *match.Request) *Explanation {
	return t.explainL4(req, "tls")
}

// l4Trace records the steps of a TCP or TLS decision into an
// Explanation; decideTCP and decideTLSConn take it, nil on the request
// path.
type l4Trace struct {
	ex  *Explanation
	vh  *vhost      // the virtual host whose rules or default route applied
	won *compiledVS // the VirtualService of the rule that took the connection
}

func (t *Table) explainL4(req *match.Request, proto string) *Explanation {
	ex := &Explanation{Protocol: proto}
	tr := &l4Trace{ex: ex}
	if proto == "tcp" {
		ex.Decision = t.decideTCP(req, tr)
	} else {
		ex.Decision = t.decideTLSConn(req, tr)
	}
	v := t.viewFor(req)
	if !ex.setView(v, req) {
		return ex
	}
	d := &ex.Decision
	ex.considered(v, func(vs *compiledVS) bool {
		if tr.won != nil {
			return vs == tr.won
		}
		if d.DefaultRoute && tr.vh != nil {
			for _, s := range tr.vh.vss {
				if s == vs {
					return true
				}
			}
		}
		return false
	}, "")
	switch {
	case d.DefaultRoute:
		ex.HostRoute = "default route"
	case d.Passthrough:
		ex.HostRoute = "passthrough"
	case d.Action == ActionUnavailable && d.Reason == reasonRegistryOnly:
		ex.HostRoute = "registry only"
	}
	return ex
}

// service records the service whose listener took a TCP connection (vh
// and svc as l4Vhost found them).
func (tr *l4Trace) service(v *view, vh *vhost, svc *l4Service, req *match.Request) {
	tr.vh = vh
	if vh != nil {
		tr.ex.VirtualHost = vh.host
	}
	if v.isGateway {
		switch {
		case vh == nil && req.Authority == "":
			tr.ex.Listener = "the gateway's: the connection names no host, every tcp rule of the gateway is tried"
		case vh == nil || len(vh.vss) == 0:
			tr.ex.Listener = "the gateway's: no VirtualService bound to it serves " + strconv.Quote(req.Authority) + ", every tcp rule of the gateway is tried"
		}
		return
	}
	port := requestPort(req)
	at := connectionAddress(req, port)
	l := v.l4
	switch {
	case vh == nil:
		tr.ex.Listener = "none: no service listens on " + at + "; the tcp rules of VirtualServices whose hosts may be on another listener are tried"
	case byName(v, vh, req):
		h, _ := splitAuthority(req.Authority)
		name := lowerASCII(h)
		switch _, se := l.names[name]; {
		case se || svc != nil && svc.ports != nil:
			tr.ex.Listener = fmt.Sprintf("service %s, dialled by name on port %d", name, port)
		case svc != nil:
			tr.ex.Listener = fmt.Sprintf("service %s (a DestinationRule host: its ports are unknown), dialled by name on port %d", name, port)
		default:
			tr.ex.Listener = fmt.Sprintf("%s, dialled by name: no ServiceEntry describes it, its ports are unknown", net.JoinHostPort(name, strconv.FormatUint(uint64(port), 10)))
		}
	case svc != nil:
		tr.ex.Listener = fmt.Sprintf("service %s (ports %v), found by address %s", svc.host, svc.ports, at)
	}
	if svc != nil && svc.own != nil {
		tr.ex.Listener += "; its virtual host is wildcard VirtualService host " + vh.host + "'s"
	}
}

// byName reports whether l4Vhost found vh by the name req.Authority
// dials (not by address).
func byName(v *view, vh *vhost, req *match.Request) bool {
	if req.Authority == "" {
		return false
	}
	h, _ := splitAuthority(req.Authority)
	if _, ok := parseHostIP(h); ok {
		return false
	}
	return v.findVhost(req.Authority) == vh && v.l4.nameListens(lowerASCII(h), requestPort(req))
}

// connectionAddress describes where a connection was sent: address (or
// dialled name) and port.
func connectionAddress(req *match.Request, port uint32) string {
	h := ""
	switch {
	case req.Authority != "":
		h, _ = splitAuthority(req.Authority)
		if len(h) > 1 && h[0] == '[' {
			h = h[1 : len(h)-1]
		}
	case req.DestinationIP.IsValid():
		h = req.DestinationIP.String()
	}
	if h == "" {
		return "port " + strconv.FormatUint(uint64(port), 10) + " (address unknown)"
	}
	return net.JoinHostPort(h, strconv.FormatUint(uint64(port), 10))
}

// sniHost records the virtual host of a TLS connection's SNI, where it
// goes when no tls rule takes it.
func (tr *l4Trace) sniHost(vh *vhost) {
	tr.vh = vh
	if vh != nil {
		tr.ex.VirtualHost = vh.host
	}
}

// opaque records that a TLS connection's port is one its service
// declares with a protocol other than TLS or HTTPS.
func (tr *l4Trace) opaque(name string, port uint32) {
	tr.ex.Listener = fmt.Sprintf("service %s, which declares port %d with a protocol other than TLS or HTTPS: the sidecar has only TCP filter chains there, the connection is opaque TCP", name, port)
}

// tlsDefault records that no tls rule took a connection on a port its
// service declares TLS or HTTPS, whose listener ends with a filter chain
// to the service.
func (tr *l4Trace) tlsDefault(name string, port uint32) {
	tr.ex.Listener = fmt.Sprintf("service %s, which declares port %d with protocol TLS or HTTPS: no tls rule took the connection, the listener's last filter chain goes to the service", name, port)
}

// rule records a rule tried; matched is whether it took the connection.
func (tr *l4Trace) rule(e *l4Entry, req *match.Request, matched bool) {
	rt := tr.ruleTrace(e, req)
	rt.Matched, rt.Reached = matched, true
	if matched {
		tr.won = e.vs
	}
	tr.ex.Rules = append(tr.ex.Rules, rt)
}

// notReached records the rules after the one that took the connection,
// with whether they would have matched, as Explain does.
func (tr *l4Trace) notReached(entries []l4Entry, req *match.Request) {
	for i := range entries {
		e := &entries[i]
		rt := tr.ruleTrace(e, req)
		_, rt.Matched = e.rule.match(req)
		tr.ex.Rules = append(tr.ex.Rules, rt)
	}
}

// skip records a rule the connection cannot meet, and why.
func (tr *l4Trace) skip(e *l4Entry, why string) {
	rt := tr.ruleTrace(e, nil)
	rt.Reached, rt.Skipped = true, why
	tr.ex.Rules = append(tr.ex.Rules, rt)
}

// ruleTrace describes rule e with its clauses, evaluated against req
// unless it is nil.
func (tr *l4Trace) ruleTrace(e *l4Entry, req *match.Request) RuleTrace {
	rt := RuleTrace{VirtualService: e.vs.ref.Namespace + "/" + e.vs.ref.Name, Kind: e.rule.section.String(), Index: e.rule.index, CatchAll: len(e.rule.matches) == 0}
	for _, m := range e.rule.matches {
		ct := ClauseTrace{Index: m.index, Condition: m.m.String()}
		if req != nil {
			ct.Matched, ct.Failed = m.m.Explain(req)
		}
		rt.Clauses = append(rt.Clauses, ct)
	}
	return rt
}

// traceTLS is decideTLS without the SNI index: the view's tls rules in
// order, recording each, those not on the connection's listener skipped.
func (t *Table) traceTLS(v *view, req *match.Request, tr *l4Trace) (Decision, bool) {
	sc := tlsScope{port: requestPort(req)}
	if l := t.l4Listeners(v); l != nil && !v.isGateway {
		sc.on = l.tlsOn
	}
	for k := range v.tlsAll {
		e := &v.tlsAll[k]
		if !sc.has(int32(k)) {
			tr.skip(e, notOnPort(sc.on[k], sc.port))
			continue
		}
		if d, ok := t.decideL4Traced(v, v.tlsAll[k:k+1], req, tr); ok {
			tr.notReached(v.tlsAll[k+1:], req)
			return d, true
		}
	}
	return Decision{}, false
}

// notOnPort says why a sidecar has no filter chain of a tls rule on port.
func notOnPort(on *tlsListen, port uint32) string {
	if len(on.ports) == 0 {
		return "no ServiceEntry host its VirtualService's hosts match declares a TLS or HTTPS port: the sidecar has its tls rules on no listener"
	}
	return fmt.Sprintf("not on port %d: the sidecar has its VirtualService's tls rules on the TLS and HTTPS ports of the ServiceEntry hosts its hosts match only (%v)", port, on.ports)
}
