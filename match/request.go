package match

import (
	"github.com/meshroute/meshroute/internal/host"
	"net"
	"net/http"
	"net/netip"
	"net/textproto"
	"strconv"
	"strings"
)

// MeshGateway is the reserved gateway name for in-mesh (sidecar) traffic.
const MeshGateway = "mesh"

// Request is the protocol-neutral view of one request (or, for L4 and TLS
// routing, one connection) that routing decisions are made on.
//
// Building a Request copies no headers: Header refers to the caller's
// http.Header and Metadata to the caller's gRPC metadata map. A Request must
// not be modified while a decision is being made on it.
type Request struct {
	// Method is the HTTP method (":method"), e.g. "GET".
	Method string
	// Scheme is "http" or "https" (":scheme").
	Scheme string
	// Authority is the Host header or ":authority", possibly with a port.
	Authority string
	// Path is the raw request target: path and query string, as sent
	// (":path"), e.g. "/api/list?x=1".
	Path string

	// Header holds HTTP headers with canonical keys (as net/http keeps them).
	// Exactly one of Header and Metadata is normally set.
	Header http.Header
	// Metadata holds headers with lower-case keys, as gRPC metadata does.
	Metadata map[string][]string

	// Port is the destination port the request was addressed to or arrived
	// on: the service port for sidecar traffic, the server port on a
	// gateway. Zero means unknown: routes that require a port do not match
	// and Authority's port, if any, is used instead.
	Port uint32

	// SourceLabels are the labels of the calling workload: they decide
	// sourceLabels matches and which DestinationRules with a
	// workloadSelector apply.
	SourceLabels map[string]string
	// SourceNamespace is the namespace of the calling workload.
	SourceNamespace string
	// SourceIP is the address of the downstream peer.
	SourceIP netip.Addr

	// Gateway is the gateway receiving the request as "namespace/name", or
	// MeshGateway ("mesh", also assumed when empty) for sidecar traffic.
	Gateway string

	// DestinationIP is the original destination address of an L4 or TLS
	// connection.
	DestinationIP netip.Addr
	// SNI is the TLS ClientHello server name of a TLS connection.
	SNI string
}

// FromHTTP builds the view of an inbound or outbound *http.Request. It
// copies no headers. The scheme is "https" when r.TLS is set or r.URL says
// so; the destination port comes from the authority (the Host header, or
// r.URL's host for an outbound request) and, when that names no port, is
// the scheme's default (80 or 443), the port the client connected to.
// Source identity (labels, namespace) is left for the caller to fill in.
func FromHTTP(r *http.Request) Request {
	req := Request{
		Method:    r.Method,
		Scheme:    "http",
		Authority: r.Host,
		Header:    r.Header,
		Gateway:   MeshGateway,
	}
	if r.URL != nil {
		if r.URL.Scheme != "" {
			req.Scheme = r.URL.Scheme
		}
		if req.Authority == "" {
			req.Authority = r.URL.Host
		}
		req.Path = requestTarget(r)
	}
	if r.TLS != nil {
		req.Scheme = "https"
	}
	req.Port = authorityPort(req.Authority, req.Scheme)
	if r.RemoteAddr != "" {
		req.SourceIP = remoteIP(r.RemoteAddr)
	}
	return req
}

// remoteIP returns the address of a "host:port" remote address as
// net/http's server sets it, the zero Addr when it does not parse: an
// IPv4 "a.b.c.d:port" by hand (netip.ParseAddrPort was a third of
// FromHTTP's time), anything else by netip.ParseAddrPort.
func remoteIP(hostport string) netip.Addr {
	var ip [4]byte
	n, octet, digits := 0, 0, 0
	for i := 0; i < len(hostport); i++ {
		switch c := hostport[i]; {
		case '0' <= c && c <= '9':
			if digits > 0 && octet == 0 { // a leading zero: let netip judge
				return parseAddrPort(hostport)
			}
			octet, digits = octet*10+int(c-'0'), digits+1
			if octet > 255 {
				return netip.Addr{}
			}
		case (c == '.' || c == ':') && digits > 0 && n < 4:
			ip[n], n, octet, digits = byte(octet), n+1, 0, 0
			if c == ':' {
				if n != 4 || !validPort(hostport[i+1:]) {
					return parseAddrPort(hostport)
				}
				return netip.AddrFrom4(ip)
			}
		default:
			return parseAddrPort(hostport)
		}
	}
	return parseAddrPort(hostport)
}

func parseAddrPort(hostport string) netip.Addr {
	if ap, err := netip.ParseAddrPort(hostport); err == nil {
		return ap.Addr()
	}
	return netip.Addr{}
}

// validPort reports whether p is a decimal port number as
// netip.ParseAddrPort accepts it (up to 65535).
func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
		n = n*10 + int(p[i]-'0')
	}
	return n <= 65535
}

// FromGRPC builds the view of a gRPC call: fullMethod is
// "/package.Service/Method", authority the call's target authority and md
// its metadata (lower-case keys, as google.golang.org/grpc/metadata.MD).
// The method is POST and the scheme http, as gRPC is carried over HTTP/2.
func FromGRPC(fullMethod, authority string, md map[string][]string) Request {
	req := Request{
		Method:    http.MethodPost,
		Scheme:    "http",
		Authority: authority,
		Path:      fullMethod,
		Metadata:  md,
		Gateway:   MeshGateway,
	}
	if _, p, err := net.SplitHostPort(authority); err == nil {
		if n, err := strconv.ParseUint(p, 10, 16); err == nil {
			req.Port = uint32(n)
		}
	}
	return req
}

// authorityPort returns the port of authority ("host:port"), or, when it
// names none, the scheme's default port (80 for http, 443 for https), which
// is the port a client connects to. A malformed or zero port gives 0.
func authorityPort(authority, scheme string) uint32 {
	if _, p := host.SplitHostPort(authority); p != "" {
		n := uint32(0)
		for i := 0; i < len(p); i++ {
			c := p[i]
			if c < '0' || c > '9' {
				return 0
			}
			n = n*10 + uint32(c-'0')
			if n > 65535 {
				return 0
			}
		}
		return n
	}
	if authority == "" {
		return 0
	}
	switch scheme {
	case "http":
		return 80
	case "https":
		return 443
	}
	return 0
}

// requestTarget returns the request's path and query as sent, without
// building a string when the server already kept it (r.RequestURI) or the
// URL has no query.
func requestTarget(r *http.Request) string {
	if r.RequestURI != "" && r.RequestURI[0] == '/' {
		return r.RequestURI
	}
	if r.URL.Opaque == "" && r.URL.RawQuery == "" && !r.URL.ForceQuery {
		if p := r.URL.EscapedPath(); p != "" {
			return p
		}
		return "/"
	}
	return r.URL.RequestURI()
}

// HeaderValues returns the values of the header whose lower-case name is
// lower and canonical MIME form canonical (both precomputed by callers on
// the hot path, see CanonicalHeaderKey). Pseudo-headers (":authority",
// ":method", ":scheme", ":path") and "host" read the request's fields.
// The second result reports whether the header is present.
func (r *Request) HeaderValues(lower, canonical string) (string, []string, bool) {
	if len(lower) > 0 && lower[0] == ':' || lower == "host" {
		switch lower {
		case ":authority", "host":
			return r.Authority, nil, r.Authority != "" || lower == ":authority"
		case ":method":
			return r.Method, nil, true
		case ":scheme":
			return r.Scheme, nil, true
		case ":path":
			return r.Path, nil, true
		}
		return "", nil, false
	}
	var vs []string
	var ok bool
	if r.Header != nil {
		vs, ok = r.Header[canonical]
	} else if r.Metadata != nil {
		vs, ok = r.Metadata[lower]
	}
	if !ok {
		return "", nil, false
	}
	if len(vs) == 1 {
		return vs[0], nil, true
	}
	return "", vs, true
}

// HeaderValue returns the value of the named header as Envoy sees it for
// matching: several values are joined with ",". It allocates only when the
// header has more than one value. name may be in any case.
func (r *Request) HeaderValue(name string) (string, bool) {
	lower := strings.ToLower(name)
	v, vs, ok := r.HeaderValues(lower, CanonicalHeaderKey(lower))
	if vs != nil {
		return strings.Join(vs, ","), ok
	}
	return v, ok
}

// CanonicalHeaderKey returns the net/http canonical form of a header name
// ("x-user" → "X-User"); pseudo-headers are returned unchanged.
func CanonicalHeaderKey(name string) string {
	if strings.HasPrefix(name, ":") {
		return name
	}
	return textproto.CanonicalMIMEHeaderKey(name)
}

// PathOnly returns Path without its query string.
func (r *Request) PathOnly() string {
	if i := strings.IndexByte(r.Path, '?'); i >= 0 {
		return r.Path[:i]
	}
	return r.Path
}

// Query returns the raw query string of Path (without "?"), or "".
func (r *Request) Query() string {
	if i := strings.IndexByte(r.Path, '?'); i >= 0 {
		return r.Path[i+1:]
	}
	return ""
}

// GatewayName returns Gateway, or MeshGateway when it is empty.
func (r *Request) GatewayName() string {
	if r.Gateway == "" {
		return MeshGateway
	}
	return r.Gateway
}
