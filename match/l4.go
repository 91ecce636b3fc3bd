package match

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
)

// L4Match is a compiled Istio L4MatchAttributes (a TCPRoute match): the
// connection's original destination address must be in one of
// destinationSubnets (when set), and port, gateways, sourceLabels and
// sourceNamespace select callers as for HTTP (see CompileHTTPMatch). The
// hidden sourceSubnet field is ignored, as Istio ignores it.
type L4Match struct {
	subnets []netip.Prefix
	source  sourceMatch
}

// CompileL4Match compiles m; gateways are match.gateways resolved to
// "namespace/name" or "mesh" by the caller. A subnet that is neither an IP
// address nor a CIDR is an error. A nil m matches every connection.
func CompileL4Match(m *networking.L4MatchAttributes, gateways []string) (*L4Match, error) {
	subnets, err := parseSubnets(m.GetDestinationSubnets())
	if err != nil {
		return nil, err
	}
	return &L4Match{
		subnets: subnets,
		source:  newSourceMatch(m.GetPort(), gateways, m.GetSourceLabels(), m.GetSourceNamespace()),
	}, nil
}

// Match reports whether the connection described by req satisfies m. It
// never allocates.
func (m *L4Match) Match(req *Request) bool { return m.eval(req, nil) }

// Explain is Match that also says which condition failed first.
func (m *L4Match) Explain(req *Request) (ok bool, failed string) {
	ok = m.eval(req, &failed)
	return ok, failed
}

func (m *L4Match) eval(req *Request, why *string) bool {
	if req == nil {
		if why != nil {
			*why = "no request"
		}
		return false
	}
	return m.source.match(req, why) && matchSubnets(m.subnets, req.DestinationIP, why)
}

// String describes the match, e.g. `destination in [10.0.0.0/8] && port 27017`.
func (m *L4Match) String() string {
	parts := m.source.appendStrings(nil)
	if len(m.subnets) > 0 {
		parts = append(parts, "destination in "+prefixList(m.subnets))
	}
	if len(parts) == 0 {
		return "any connection"
	}
	return strings.Join(parts, " && ")
}

// TLSMatch is a compiled Istio TLSMatchAttributes (a TLSRoute match): the
// ClientHello server name must match one of sniHosts, plus the L4
// conditions of L4Match.
//
// SNI hosts compare case-insensitively (ASCII). "*" matches any server
// name; "*.example.com" matches every name ending in ".example.com" at any
// depth but not "example.com" itself. A connection without SNI never
// matches.
type TLSMatch struct {
	sni []string // lower-case
	L4  L4Match
}

// CompileTLSMatch compiles m; gateways as for CompileL4Match. At least one
// SNI host is required.
func CompileTLSMatch(m *networking.TLSMatchAttributes, gateways []string) (*TLSMatch, error) {
	if len(m.GetSniHosts()) == 0 {
		return nil, errors.New("sniHosts: at least one SNI host is required")
	}
	out := &TLSMatch{}
	for i, h := range m.GetSniHosts() {
		if h == "" {
			return nil, fmt.Errorf("sniHosts[%d]: empty host", i)
		}
		if strings.Contains(h[1:], "*") || (h[0] == '*' && h != "*" && !strings.HasPrefix(h, "*.")) {
			return nil, fmt.Errorf("sniHosts[%d]: %q: a wildcard is allowed only as a whole first label (\"*.example.com\") or alone (\"*\")", i, h)
		}
		out.sni = append(out.sni, strings.ToLower(h))
	}
	subnets, err := parseSubnets(m.GetDestinationSubnets())
	if err != nil {
		return nil, err
	}
	out.L4 = L4Match{
		subnets: subnets,
		source:  newSourceMatch(m.GetPort(), gateways, m.GetSourceLabels(), m.GetSourceNamespace()),
	}
	return out, nil
}

// Match reports whether the TLS connection described by req (SNI,
// DestinationIP, Port, caller identity) satisfies m. It never allocates.
func (m *TLSMatch) Match(req *Request) bool { return m.eval(req, nil) }

// Explain is Match that also says which condition failed first.
func (m *TLSMatch) Explain(req *Request) (ok bool, failed string) {
	ok = m.eval(req, &failed)
	return ok, failed
}

func (m *TLSMatch) eval(req *Request, why *string) bool {
	if req == nil {
		if why != nil {
			*why = "no request"
		}
		return false
	}
	if !m.L4.source.match(req, why) {
		return false
	}
	if !m.matchSNI(req.SNI) {
		if why != nil {
			if req.SNI == "" {
				*why = "sni: missing (no TLS server name)"
			} else {
				*why = "sni: " + strconv.Quote(req.SNI) + " is not one of " + quoteList(m.sni)
			}
		}
		return false
	}
	return matchSubnets(m.L4.subnets, req.DestinationIP, why)
}

func (m *TLSMatch) matchSNI(sni string) bool {
	if sni == "" {
		return false
	}
	for _, h := range m.sni {
		if SNIMatches(h, sni) {
			return true
		}
	}
	return false
}

// SNIMatches reports whether the TLS server name sni matches the sniHosts
// entry pattern: exact, "*.suffix" (any name ending in ".suffix", never
// "suffix" itself) or "*" (any non-empty name), ignoring ASCII case. It
// never allocates.
func SNIMatches(pattern, sni string) bool {
	if sni == "" {
		return false
	}
	if pattern == "*" {
		return true
	}
	if strings.HasPrefix(pattern, "*.") {
		suffix := pattern[1:] // ".example.com"
		return len(sni) > len(suffix) && asciiEqualFold(sni[len(sni)-len(suffix):], suffix)
	}
	return asciiEqualFold(sni, pattern)
}

// String describes the match, e.g. `sni in ["*.example.com"] && port 443`.
func (m *TLSMatch) String() string {
	parts := m.L4.source.appendStrings(nil)
	parts = append(parts, "sni in "+quoteList(m.sni))
	if len(m.L4.subnets) > 0 {
		parts = append(parts, "destination in "+prefixList(m.L4.subnets))
	}
	return strings.Join(parts, " && ")
}

// parseSubnets parses destinationSubnets: each an IP address or a CIDR.
func parseSubnets(in []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, s := range in {
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("destinationSubnets[%d]: %q is not a CIDR: %w", i, s, err)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("destinationSubnets[%d]: %q is neither an IP address nor a CIDR", i, s)
		}
		a = a.Unmap().WithZone("")
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func matchSubnets(subnets []netip.Prefix, ip netip.Addr, why *string) bool {
	if len(subnets) == 0 {
		return true
	}
	if ip.IsValid() {
		ip = ip.Unmap()
		for _, p := range subnets {
			if p.Contains(ip) {
				return true
			}
		}
	}
	if why != nil {
		if !ip.IsValid() {
			*why = "destinationSubnets: destination address unknown"
		} else {
			*why = "destinationSubnets: " + ip.String() + " is not in " + prefixList(subnets)
		}
	}
	return false
}

func prefixList(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return "[" + strings.Join(s, " ") + "]"
}
