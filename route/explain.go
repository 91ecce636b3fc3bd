package route

import (
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/meshroute/meshroute/match"
)

// Explanation says, for one request, which VirtualServices were considered
// and why each was taken or skipped, which virtual host served the
// authority, every rule and match clause tried with the first condition
// that failed, and the decision. Print it with String or encode it as JSON.
// Explain makes it for an HTTP request, ExplainTCP and ExplainTLS for a
// TCP or TLS connection.
type Explanation struct {
	// Protocol is "tcp" or "tls" for a connection (ExplainTCP,
	// ExplainTLS), "" for an HTTP request.
	Protocol string `json:"protocol,omitempty"`
	// View names the configuration the request was decided in: the
	// sidecars of a namespace, or a gateway.
	View string `json:"view"`
	// VirtualServices lists every VirtualService of the configuration in
	// Istio's precedence order (oldest first).
	VirtualServices []VirtualServiceTrace `json:"virtualServices"`
	// Listener says, for a connection to a sidecar, which service's
	// outbound listener took it and how it was found (by address or by the
	// name dialled), or that none did.
	Listener string `json:"listener,omitempty"`
	// VirtualHost is the host whose routes served the request's authority,
	// "" when none did. For a connection it is the host whose tcp rules
	// and default route applied (TCP), or, when no tls rule took it, the
	// one the SNI names (TLS: tls rules are tried across the view by SNI,
	// not by virtual host).
	VirtualHost string `json:"virtualHost,omitempty"`
	// HostRoute says how the authority was served when no rule list was
	// walked (for a connection: when no rule took it): "default route",
	// "passthrough", "registry only", or "".
	HostRoute string `json:"hostRoute,omitempty"`
	// Rules are the rules of the virtual host in the order they were
	// tried; for a connection, the tcp or tls rules tried, skipped or not
	// reached, in order, from every VirtualService whose rules it could
	// meet.
	Rules []RuleTrace `json:"rules,omitempty"`
	// Decision is what Decide (DecideTCP, DecideTLS) returned.
	Decision Decision `json:"-"`
}

// VirtualServiceTrace is one VirtualService as the request's view saw it.
type VirtualServiceTrace struct {
	VirtualService string   `json:"virtualService"` // "ns/name"
	Taken          bool     `json:"taken"`
	Reason         string   `json:"reason,omitempty"` // why skipped, or which hosts were lost
	Hosts          []string `json:"hosts,omitempty"`  // hosts it serves in this view
	ServesRequest  bool     `json:"servesRequest"`    // its routes are in the chosen virtual host
}

// RuleTrace is one rule tried for the request.
type RuleTrace struct {
	VirtualService string `json:"virtualService"`
	Delegate       string `json:"delegate,omitempty"`
	// Kind is "tcp" or "tls" for a rule of a connection: Index is into
	// the VirtualService's tcp or tls list; "" for an http rule.
	Kind     string `json:"kind,omitempty"`
	Index    int    `json:"index"`
	Name     string `json:"name,omitempty"`
	CatchAll bool   `json:"catchAll,omitempty"`
	Matched  bool   `json:"matched"`
	Reached  bool   `json:"reached"` // false after the winning rule
	// Skipped says why a rule reached was not tried (a connection's rule
	// that is not on the connection's listener); its clauses are not
	// evaluated then.
	Skipped string        `json:"skipped,omitempty"`
	Clauses []ClauseTrace `json:"clauses,omitempty"`
}

// ClauseTrace is one match clause of a rule.
type ClauseTrace struct {
	Index     int    `json:"index"`
	Name      string `json:"name,omitempty"`
	Condition string `json:"condition"`
	Matched   bool   `json:"matched"`
	Failed    string `json:"failed,omitempty"` // the first condition that failed
}

// Explain decides req like Decide and records why. It allocates freely: it
// is for people and tools, not for the request path. Sampling (weights,
// faults, mirrors) draws from the table's random source as Decide does.
func (t *Table) Explain(req *match.Request) *Explanation {
	ex := &Explanation{Decision: t.Decide(req)}
	v := t.viewFor(req)
	if !ex.setView(v, req) {
		return ex
	}
	vh := v.findVhost(req.Authority)
	if vh != nil && vh.portScoped {
		switch l := v.listenerFor(req, vh); l {
		case listenNone:
			ex.Listener = fmt.Sprintf("none for %s on port %d: its ServiceEntries do not declare the port", req.Authority, requestPort(req))
			if vh.onlyPorts != nil {
				ex.Listener = fmt.Sprintf("none for %s on port %d: the host is neither a ServiceEntry host nor a Kubernetes service, so its VirtualService's routes are on port 80 and its ServiceEntry hosts' HTTP ports only (%v)",
					req.Authority, requestPort(req), vh.onlyPorts)
			}
			vh = nil
		case listenTLS, listenTCP:
			// decided as the connection it is: explain that
			q, tls := opaqueConnection(req, l)
			var cx *Explanation
			if tls {
				cx = t.ExplainTLS(&q)
			} else {
				cx = t.ExplainTCP(&q)
			}
			declared, as := "TLS or HTTPS", "opaque TCP"
			if l == listenTCP {
				declared = "with a protocol other than HTTP"
			}
			if tls {
				as = "the TLS connection it is, by SNI"
			}
			listener := fmt.Sprintf("port %d, which %s declares %s: no HTTP route applies, the request is decided as %s", q.Port, req.Authority, declared, as)
			if cx.Listener != "" {
				listener += "; " + cx.Listener
			}
			cx.Listener, cx.Decision = listener, ex.Decision
			return cx
		}
	}
	ex.considered(v, func(vs *compiledVS) bool {
		if vh != nil {
			for _, s := range vh.vss {
				if s == vs {
					return true
				}
			}
		}
		return false
	}, "its hosts do not serve authority "+req.Authority)
	switch {
	case vh == nil && v.isGateway:
		return ex
	case vh == nil && t.opts.outbound == RegistryOnly:
		ex.HostRoute = "registry only"
		return ex
	case vh == nil:
		ex.HostRoute = "passthrough"
		return ex
	}
	ex.VirtualHost = vh.host
	if vh.defaultRoute != nil {
		ex.HostRoute = "default route"
		return ex
	}
	decided := false
	for i := range vh.routes {
		e := &vh.routes[i]
		rt := RuleTrace{VirtualService: e.vs.ref.Namespace + "/" + e.vs.ref.Name, Index: e.rule.index, Name: e.rule.name, CatchAll: e.rule.catchAll, Reached: !decided}
		if e.rule.delegate.Name != "" {
			rt.Delegate = e.rule.delegate.Namespace + "/" + e.rule.delegate.Name
		}
		if len(e.rule.matches) == 0 {
			rt.Matched = e.vsLevel
		}
		for _, rm := range e.rule.matches {
			ct := ClauseTrace{Index: rm.index, Name: rm.name, Condition: rm.m.String()}
			if !e.vsLevel && rm.gateways == nil {
				ct.Failed = "the VirtualService is bound to this view only through other clauses' gateways"
			} else {
				ct.Matched, ct.Failed = rm.m.Explain(req)
			}
			if ct.Matched && !rt.Matched {
				rt.Matched = true
			}
			rt.Clauses = append(rt.Clauses, ct)
		}
		if rt.Matched && !decided {
			decided = true
		}
		ex.Rules = append(ex.Rules, rt)
	}
	return ex
}

// setView names the view req was decided in (v, nil for an unknown
// gateway); false when there is none.
func (ex *Explanation) setView(v *view, req *match.Request) bool {
	switch {
	case v == nil:
		ex.View = "gateway " + req.Gateway + " (bound by no VirtualService)"
		return false
	case v.isGateway:
		ex.View = "gateway " + v.gateway
	default:
		ex.View = "sidecars in namespace " + quoteNS(v.namespace)
	}
	return true
}

// considered lists the VirtualServices view v considered; serves says
// whether one's rules served the request, unserved is the reason given
// for a taken one whose rules did not ("" for none).
func (ex *Explanation) considered(v *view, serves func(*compiledVS) bool, unserved string) {
	for _, c := range v.considered {
		tr := VirtualServiceTrace{VirtualService: c.vs.ref.Namespace + "/" + c.vs.ref.Name, Taken: c.taken, Reason: c.reason, Hosts: slices.Clone(c.hosts)}
		tr.ServesRequest = serves(c.vs)
		if tr.Taken && !tr.ServesRequest && tr.Reason == "" {
			tr.Reason = unserved
		}
		ex.VirtualServices = append(ex.VirtualServices, tr)
	}
}

// String renders the explanation as indented text.
func (ex *Explanation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "view: %s\n", ex.View)
	b.WriteString("virtual services:\n")
	for _, v := range ex.VirtualServices {
		state := "skipped"
		if v.Taken {
			state = "taken"
		}
		fmt.Fprintf(&b, "  %s: %s", v.VirtualService, state)
		if len(v.Hosts) > 0 {
			fmt.Fprintf(&b, " for %s", strings.Join(v.Hosts, ", "))
		}
		if v.Reason != "" {
			fmt.Fprintf(&b, " — %s", v.Reason)
		}
		if v.ServesRequest {
			b.WriteString(" [serves this request]")
		}
		b.WriteByte('\n')
	}
	l4 := ex.Protocol != ""
	if ex.Listener != "" {
		fmt.Fprintf(&b, "listener: %s\n", ex.Listener)
	}
	switch {
	case l4 && ex.VirtualHost == "":
		// a connection's rules need no virtual host
	case ex.VirtualHost != "":
		fmt.Fprintf(&b, "virtual host: %s", ex.VirtualHost)
		if ex.HostRoute != "" && !l4 {
			fmt.Fprintf(&b, " (%s)", ex.HostRoute)
		}
		b.WriteByte('\n')
	case ex.HostRoute != "":
		fmt.Fprintf(&b, "virtual host: none (%s)\n", ex.HostRoute)
	default:
		b.WriteString("virtual host: none\n")
	}
	every := "request"
	if l4 {
		every = "connection"
		if len(ex.Rules) > 0 {
			// TLS rules (and those of a connection no listener took) come from every VirtualService of the view
			b.WriteString("rules tried:\n")
		}
	}
	for _, r := range ex.Rules {
		state := "no match"
		switch {
		case !r.Reached:
			state = "not reached"
		case r.Skipped != "":
			state = "skipped: " + r.Skipped
		case r.Matched:
			state = "MATCHED"
		}
		kind := r.Kind
		if kind == "" {
			kind = "http"
		}
		fmt.Fprintf(&b, "  rule %s %s[%d]", r.VirtualService, kind, r.Index)
		if r.Name != "" {
			fmt.Fprintf(&b, " %q", r.Name)
		}
		if r.Delegate != "" {
			fmt.Fprintf(&b, " (from delegate %s)", r.Delegate)
		}
		fmt.Fprintf(&b, ": %s\n", state)
		if r.Skipped != "" {
			continue
		}
		if len(r.Clauses) == 0 {
			fmt.Fprintf(&b, "    (no match: every %s)\n", every)
		}
		for _, c := range r.Clauses {
			fmt.Fprintf(&b, "    match[%d] %s: ", c.Index, c.Condition)
			if c.Matched {
				b.WriteString("matched\n")
			} else {
				fmt.Fprintf(&b, "failed: %s\n", c.Failed)
			}
		}
	}
	if l4 && ex.HostRoute != "" {
		fmt.Fprintf(&b, "no rule took the connection: %s\n", ex.HostRoute)
	}
	d := &ex.Decision
	fmt.Fprintf(&b, "decision: %s", d.Action)
	switch {
	case d.Action == ActionRoute && d.Passthrough:
		// Envoy's PassthroughCluster forwards to the original destination.
		dst := d.Target.Host
		if d.Target.Port != 0 {
			dst = net.JoinHostPort(dst, strconv.FormatUint(uint64(d.Target.Port), 10))
		}
		fmt.Fprintf(&b, " to PassthroughCluster (original destination %s)", dst)
	case d.Action == ActionRoute:
		fmt.Fprintf(&b, " to %s", d.Target.Key())
		if d.Path != "" {
			fmt.Fprintf(&b, " path %s", d.Path)
		}
	case d.Action == ActionRedirect:
		fmt.Fprintf(&b, " %d %s", d.Redirect.Code, d.Redirect.Location)
	default:
		if d.Status != 0 {
			fmt.Fprintf(&b, " %d", d.Status)
		}
	}
	if d.Reason != "" {
		fmt.Fprintf(&b, " (%s)", d.Reason)
	}
	b.WriteByte('\n')
	return b.String()
}

// MarshalJSON encodes the explanation with a summary of the decision
// (for a connection without path, authority and timeout, which only an
// HTTP request has).
func (ex *Explanation) MarshalJSON() ([]byte, error) {
	type plain Explanation
	d := &ex.Decision
	out := struct {
		*plain
		Decision map[string]any `json:"decision"`
	}{plain: (*plain)(ex), Decision: map[string]any{"action": d.Action.String()}}
	if d.VirtualService.Name != "" {
		out.Decision["virtualService"] = d.VirtualService.Namespace + "/" + d.VirtualService.Name
		out.Decision["rule"] = map[string]any{"index": d.Rule.Index, "name": d.Rule.Name, "match": d.Rule.MatchIndex}
	}
	if d.Action == ActionRoute || d.Action == ActionUnavailable && d.Destination.Host != "" {
		out.Decision["destination"] = map[string]any{"host": d.Destination.Host, "subset": d.Destination.Subset, "port": d.Destination.Port}
		if ex.Protocol == "" {
			out.Decision["path"] = d.Path
			out.Decision["authority"] = d.Authority
			out.Decision["timeout"] = d.Timeout.String()
		}
	}
	if d.Status != 0 {
		out.Decision["status"] = d.Status
	}
	if d.Reason != "" {
		out.Decision["reason"] = d.Reason
	}
	if d.Action == ActionRedirect {
		out.Decision["redirect"] = map[string]any{"location": d.Redirect.Location, "code": d.Redirect.Code}
	}
	return json.Marshal(out)
}
