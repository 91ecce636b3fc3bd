package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
)

// The values of --protocol.
const (
	protoHTTP = "http"
	protoTCP  = "tcp"
	protoTLS  = "tls"
)

// proto returns --protocol in lower case, http when unset.
func (f *requestFlags) proto() string {
	if f.protocol == "" {
		return protoHTTP
	}
	return strings.ToLower(f.protocol)
}

// l4 reports whether the flags describe a TCP or TLS connection.
func (f *requestFlags) l4() bool { p := f.proto(); return p == protoTCP || p == protoTLS }

// connection builds the view of a TCP or TLS connection from --dest,
// --sni, --port and the caller flags. A TCP connection needs a port; a TLS
// one needs --sni or --dest, and its port defaults to 443.
func (f *requestFlags) connection(args []string) (match.Request, error) {
	proto := f.proto()
	if len(args) > 0 {
		what := "--dest ADDRESS:PORT"
		if proto == protoTLS {
			what = "--sni NAME and --dest ADDRESS:PORT"
		}
		return match.Request{}, fmt.Errorf("--protocol %s takes no METHOD URL (got %q): describe the connection with %s", proto, strings.Join(args, " "), what)
	}
	if len(f.headers) > 0 {
		return match.Request{}, fmt.Errorf("-H %q: headers are read only with --protocol http; a %s connection has none", f.headers[0], proto)
	}
	if f.sni != "" && proto != protoTLS {
		return match.Request{}, fmt.Errorf("--sni %q: only with --protocol tls; a tcp connection has no server name", f.sni)
	}
	if f.sni != "" && !validName(f.sni) {
		return match.Request{}, fmt.Errorf("--sni %q: want a server name such as login.example.com (no scheme, port or path)", f.sni)
	}
	if f.gateway != "" && !strings.Contains(f.gateway, "/") {
		return match.Request{}, fmt.Errorf("--gateway %q: want NAMESPACE/NAME, e.g. istio-system/bookinfo-gateway", f.gateway)
	}
	if f.port > 65535 {
		return match.Request{}, fmt.Errorf("--port %d: want 1-65535", f.port)
	}
	labels, err := parseLabels(f.labels)
	if err != nil {
		return match.Request{}, err
	}
	req := match.Request{SourceLabels: labels, SourceNamespace: f.sourceNS, Gateway: f.gateway, SNI: f.sni}
	if req.Gateway == "" {
		req.Gateway = match.MeshGateway
		if req.SourceNamespace == "" {
			req.SourceNamespace = f.namespace
		}
	}
	ip, name, port, err := parseDest(f.dest)
	if err != nil {
		return match.Request{}, err
	}
	req.DestinationIP = ip
	req.Port = port
	if f.port != 0 {
		req.Port = uint32(f.port)
	}
	if name != "" {
		req.Authority = name
		if req.Port != 0 {
			req.Authority = net.JoinHostPort(name, strconv.FormatUint(uint64(req.Port), 10))
		}
	}
	switch {
	case proto == protoTLS && f.sni == "" && f.dest == "":
		return match.Request{}, errors.New("--protocol tls: give the connection's server name with --sni NAME, its destination with --dest ADDRESS:PORT, or both")
	case proto == protoTLS && req.Port == 0:
		req.Port = 443
	case req.Port == 0:
		return match.Request{}, errors.New("--protocol tcp: no destination port: give --dest ADDRESS:PORT, or --port")
	}
	return req, nil
}

// parseDest splits --dest into an IP address or a host name, and a port
// (0 when it names none).
func parseDest(dest string) (ip netip.Addr, name string, port uint32, err error) {
	if dest == "" {
		return netip.Addr{}, "", 0, nil
	}
	bad := fmt.Errorf("--dest %q: want ADDRESS:PORT, e.g. 10.1.0.5:5432, [fd00::5]:5432 or db.internal:5432", dest)
	if ap, err := netip.ParseAddrPort(dest); err == nil {
		if ap.Port() == 0 {
			return netip.Addr{}, "", 0, bad
		}
		return ap.Addr().Unmap(), "", uint32(ap.Port()), nil
	}
	if a, err := netip.ParseAddr(dest); err == nil {
		return a.Unmap(), "", 0, nil
	}
	host, p, err := net.SplitHostPort(dest)
	if err != nil {
		host, p = dest, ""
	}
	if p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			return netip.Addr{}, "", 0, bad
		}
		port = uint32(n)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap(), "", port, nil
	}
	if !validName(host) {
		return netip.Addr{}, "", 0, bad
	}
	return netip.Addr{}, host, port, nil
}

// validName reports whether s can be a host name: no scheme, port, path
// or spaces.
func validName(s string) bool {
	return s != "" && !strings.ContainsAny(s, "/:@?# \t[]")
}

// decide decides req as --protocol says.
func (f *requestFlags) decide(tbl *route.Table, req *match.Request) route.Decision {
	switch f.proto() {
	case protoTCP:
		return tbl.DecideTCP(req)
	case protoTLS:
		return tbl.DecideTLS(req)
	}
	return tbl.Decide(req)
}

// connectionOut is the connection routectl explain --protocol tcp|tls
// decided on.
type connectionOut struct {
	Protocol        string            `json:"protocol"`
	Destination     string            `json:"destination,omitempty"` // IP address or host name
	Port            uint32            `json:"port"`
	SNI             string            `json:"sni,omitempty"`
	Gateway         string            `json:"gateway"`
	SourceNamespace string            `json:"sourceNamespace,omitempty"`
	SourceLabels    map[string]string `json:"sourceLabels,omitempty"`
}

// explanationL4 is routectl explain's answer for a TCP or TLS connection.
// The library traces only HTTP decisions, so it shows the rule that
// decided (with its match clauses) rather than every rule tried; the keys
// it shares with the HTTP explanation mean the same.
type explanationL4 struct {
	View       string            `json:"view"`
	Connection connectionOut     `json:"connection"`
	Rules      []route.RuleTrace `json:"rules,omitempty"`
	HostRoute  string            `json:"hostRoute,omitempty"`
	Decision   map[string]any    `json:"decision"`

	decision route.Decision
}

// explainL4 explains the decision d on the connection req.
func (f *requestFlags) explainL4(tbl *route.Table, req *match.Request, d route.Decision) *explanationL4 {
	ex := &explanationL4{
		// the view is the same for a request and a connection from the
		// same caller; tracing an HTTP decision after the connection's keeps
		// seeded picks as routectl decide makes them
		View: tbl.Explain(req).View,
		Connection: connectionOut{Protocol: f.proto(), Port: req.Port, SNI: req.SNI, Gateway: req.GatewayName(),
			SourceNamespace: req.SourceNamespace, SourceLabels: req.SourceLabels},
		decision: d,
	}
	switch {
	case req.DestinationIP.IsValid():
		ex.Connection.Destination = req.DestinationIP.String()
	case req.Authority != "":
		ex.Connection.Destination = req.Authority
		if h, _, err := net.SplitHostPort(req.Authority); err == nil {
			ex.Connection.Destination = h
		}
	}
	switch {
	case d.VirtualService.Name != "" && d.Rule.Index >= 0:
		ex.Rules = []route.RuleTrace{ruleTrace(tbl.Config(), f.proto(), req, &d)}
	case d.DefaultRoute:
		ex.HostRoute = "default route"
	case d.Passthrough:
		ex.HostRoute = "passthrough"
	case d.Action == route.ActionUnavailable:
		ex.HostRoute = "registry only"
	}
	ex.Decision = decisionSummary(&d)
	return ex
}

// ruleTrace describes the tcp or tls rule that decided: each match clause
// with its condition and whether it holds. A clause that names gateways is
// not evaluated here (routectl does not resolve gateway names as the
// library does): the one that decided matched, those before it failed,
// those after it were not tried.
func ruleTrace(cfg *route.Config, proto string, req *match.Request, d *route.Decision) route.RuleTrace {
	rt := route.RuleTrace{
		VirtualService: d.VirtualService.Namespace + "/" + d.VirtualService.Name,
		Index:          d.Rule.Index, Name: d.Rule.Name, Matched: true, Reached: true,
	}
	type clause struct {
		cond     string
		explain  func(*match.Request) (bool, string)
		gateways bool
	}
	var clauses []clause
	tcp, tls := l4Rule(cfg, d.VirtualService, proto, d.Rule.Index)
	for _, m := range tcp.GetMatch() {
		c := clause{cond: fmt.Sprintf("%v", m), gateways: len(m.GetGateways()) > 0}
		// compiled without gateways: the condition text names them apart,
		// as written
		if lm, err := match.CompileL4Match(m, nil); err == nil {
			c.cond, c.explain = lm.String(), lm.Explain
		}
		clauses = append(clauses, c)
	}
	for _, m := range tls.GetMatch() {
		c := clause{cond: fmt.Sprintf("%v", m), gateways: len(m.GetGateways()) > 0}
		if tm, err := match.CompileTLSMatch(m, nil); err == nil {
			c.cond, c.explain = tm.String(), tm.Explain
		}
		clauses = append(clauses, c)
	}
	for i, c := range clauses {
		cond := c.cond
		if c.gateways {
			cond = withGateways(cond, gatewaysOf(tcp, tls, i))
		}
		ct := route.ClauseTrace{Index: i, Condition: cond}
		switch {
		case i == d.Rule.MatchIndex:
			ct.Matched = true
		case c.explain != nil && !c.gateways:
			ct.Matched, ct.Failed = c.explain(req)
		case i < d.Rule.MatchIndex:
			ct.Failed = "its gateways or conditions do not hold"
		default:
			ct.Failed = "not tried: an earlier clause matched"
		}
		rt.Clauses = append(rt.Clauses, ct)
	}
	return rt
}

// withGateways adds a clause's gateways, as written, to its condition.
func withGateways(cond string, gws []string) string {
	q := make([]string, len(gws))
	for i, g := range gws {
		q[i] = strconv.Quote(g)
	}
	g := "gateway in [" + strings.Join(q, " ") + "]"
	if cond == "any connection" {
		return g
	}
	return cond + " && " + g
}

// gatewaysOf returns the gateways clause i of the rule names.
func gatewaysOf(tcp *networking.TCPRoute, tls *networking.TLSRoute, i int) []string {
	if ms := tcp.GetMatch(); i < len(ms) {
		return ms[i].GetGateways()
	}
	if ms := tls.GetMatch(); i < len(ms) {
		return ms[i].GetGateways()
	}
	return nil
}

// l4Rule returns tcp[i] or tls[i] (as proto says) of the VirtualService
// ref; nil when there is none.
func l4Rule(cfg *route.Config, ref route.ObjectRef, proto string, i int) (*networking.TCPRoute, *networking.TLSRoute) {
	for _, vs := range cfg.VirtualServices {
		if vs.Name != ref.Name || vs.Namespace != ref.Namespace {
			continue
		}
		switch rules, tlsRules := vs.Spec.GetTcp(), vs.Spec.GetTls(); {
		case proto == protoTCP && i < len(rules):
			return rules[i], nil
		case proto == protoTLS && i < len(tlsRules):
			return nil, tlsRules[i]
		}
	}
	return nil, nil
}

// decisionSummary is the decision as the HTTP explanation's JSON has it,
// without the keys only HTTP has (path, authority, timeout).
func decisionSummary(d *route.Decision) map[string]any {
	out := map[string]any{"action": d.Action.String()}
	if d.VirtualService.Name != "" {
		out["virtualService"] = d.VirtualService.Namespace + "/" + d.VirtualService.Name
		out["rule"] = map[string]any{"index": d.Rule.Index, "name": d.Rule.Name, "match": d.Rule.MatchIndex}
	}
	if d.Action == route.ActionRoute || d.Action == route.ActionUnavailable && d.Destination.Host != "" {
		out["destination"] = map[string]any{"host": d.Destination.Host, "subset": d.Destination.Subset, "port": d.Destination.Port}
	}
	if d.Status != 0 {
		out["status"] = d.Status
	}
	if d.Reason != "" {
		out["reason"] = d.Reason
	}
	return out
}

// write renders the explanation as text, in the HTTP explanation's line
// formats.
func (ex *explanationL4) write(w io.Writer) {
	var b strings.Builder
	fmt.Fprintf(&b, "view: %s\n", ex.View)
	c := &ex.Connection
	fmt.Fprintf(&b, "connection: %s to ", c.Protocol)
	if c.Destination != "" {
		b.WriteString(net.JoinHostPort(c.Destination, strconv.FormatUint(uint64(c.Port), 10)))
	} else {
		fmt.Fprintf(&b, "port %d", c.Port)
	}
	if c.SNI != "" {
		fmt.Fprintf(&b, ", sni %q", c.SNI)
	}
	b.WriteByte('\n')
	if len(ex.Rules) == 0 {
		b.WriteString("rule: none")
		if ex.HostRoute != "" {
			fmt.Fprintf(&b, " (%s)", ex.HostRoute)
		}
		b.WriteByte('\n')
	}
	if len(ex.Rules) > 0 {
		b.WriteString("rule that decided (rules tried before it are traced for http only):\n")
	}
	for _, r := range ex.Rules {
		fmt.Fprintf(&b, "  rule %s %s[%d]: MATCHED\n", r.VirtualService, c.Protocol, r.Index)
		if len(r.Clauses) == 0 {
			b.WriteString("    (no match: every connection)\n")
		}
		for _, cl := range r.Clauses {
			fmt.Fprintf(&b, "    match[%d] %s: ", cl.Index, cl.Condition)
			if cl.Matched {
				b.WriteString("matched\n")
			} else {
				fmt.Fprintf(&b, "failed: %s\n", cl.Failed)
			}
		}
	}
	d := &ex.decision
	fmt.Fprintf(&b, "decision: %s", d.Action)
	if d.Action == route.ActionRoute {
		fmt.Fprintf(&b, " to %s", d.Target.Key())
	} else if d.Status != 0 {
		fmt.Fprintf(&b, " %d", d.Status)
	}
	if d.Reason != "" {
		fmt.Fprintf(&b, " (%s)", d.Reason)
	}
	b.WriteByte('\n')
	io.WriteString(w, b.String())
}
