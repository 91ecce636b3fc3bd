package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"

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

// explanationL4 is routectl explain's answer for a TCP or TLS connection:
// the library's trace (route.Table.ExplainTCP, ExplainTLS) with the
// connection it was made for.
type explanationL4 struct {
	*route.Explanation
	Connection connectionOut
}

// explainL4 traces the decision on the connection req as --protocol says.
// The trace decides by the same code as DecideTCP and DecideTLS, drawing
// from the table's random source as routectl decide does, so --seed
// picks the same weighted destination.
func (f *requestFlags) explainL4(tbl *route.Table, req *match.Request) *explanationL4 {
	ex := &explanationL4{
		Connection: connectionOut{Protocol: f.proto(), Port: req.Port, SNI: req.SNI, Gateway: req.GatewayName(),
			SourceNamespace: req.SourceNamespace, SourceLabels: req.SourceLabels},
	}
	if f.proto() == protoTLS {
		ex.Explanation = tbl.ExplainTLS(req)
	} else {
		ex.Explanation = tbl.ExplainTCP(req)
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
	return ex
}

// MarshalJSON is the library's JSON with the connection added.
func (ex *explanationL4) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(ex.Explanation)
	if err != nil {
		return nil, err
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	if out["connection"], err = json.Marshal(ex.Connection); err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

// write renders the library's text with the connection after the view.
func (ex *explanationL4) write(w io.Writer) {
	view, rest, _ := strings.Cut(ex.String(), "\n")
	var b strings.Builder
	b.WriteString(view + "\n")
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
	b.WriteString(rest)
	io.WriteString(w, b.String())
}
