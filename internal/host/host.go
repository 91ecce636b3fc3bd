// Package host holds Istio's host-name rules shared by the loader, the
// validator and the compiler: short-name expansion to FQDN and the
// wildcard relations Istio uses to relate hosts (pkg/config/host in istio/istio).
package host

import "strings"

// DefaultDomain is the cluster domain suffix used to expand short names.
const DefaultDomain = "svc.cluster.local"

// Expand returns the fully qualified form of name as Istio resolves a short
// host name written in an object of namespace ns: a name without any dot
// becomes name.ns.svc.<domain>; "*", names with a dot and IP addresses are
// returned unchanged. The result is lower-cased.
func Expand(name, ns, domain string) string {
	name = strings.ToLower(name)
	if name == "" || name == "*" || strings.Contains(name, ".") || strings.Contains(name, ":") {
		return name
	}
	if domain == "" {
		domain = DefaultDomain
	}
	return name + "." + ns + "." + domain
}

// IsWildcard reports whether h starts with "*".
func IsWildcard(h string) bool { return len(h) > 0 && h[0] == '*' }

// Matches reports whether hosts a and b overlap under Istio's relation
// (host.Name.Matches): equal non-wildcards, a wildcard covering the other
// name by string suffix, "*" covering everything, or two wildcards one of
// whose suffixes ends with the other's.
func Matches(a, b string) bool {
	aw, bw := IsWildcard(a), IsWildcard(b)
	switch {
	case aw && bw:
		as, bs := a[1:], b[1:]
		return strings.HasSuffix(as, bs) || strings.HasSuffix(bs, as)
	case aw:
		return strings.HasSuffix(b, a[1:])
	case bw:
		return strings.HasSuffix(a, b[1:])
	default:
		return a == b
	}
}

// SubsetOf reports whether every name matched by n is matched by o
// (host.Name.SubsetOf): a wildcard is never a subset of a non-wildcard.
func SubsetOf(n, o string) bool {
	nw, ow := IsWildcard(n), IsWildcard(o)
	switch {
	case nw && ow:
		return strings.HasSuffix(n[1:], o[1:])
	case nw:
		return false
	case ow:
		return strings.HasSuffix(n, o[1:])
	default:
		return n == o
	}
}

// MatchesRequest reports whether a concrete request host name (no port,
// lower-case) is served by the configured host pattern h, as Envoy matches
// virtual-host domains: exact equality, "*" for anything, a suffix wildcard
// "*x" matching names ending in x that are longer than x (a wildcard never
// matches the empty string), or a prefix wildcard "x*".
func MatchesRequest(h, name string) bool {
	switch {
	case h == "*":
		return true
	case IsWildcard(h):
		return len(name) > len(h)-1 && strings.HasSuffix(name, h[1:])
	case strings.HasSuffix(h, "*"):
		return len(name) > len(h)-1 && strings.HasPrefix(name, h[:len(h)-1])
	default:
		return h == name
	}
}

// SplitHostPort splits an authority into host and port without allocating;
// it understands bracketed IPv6 literals. The port is "" when absent.
func SplitHostPort(authority string) (hostname, port string) {
	if strings.HasPrefix(authority, "[") {
		if i := strings.LastIndexByte(authority, ']'); i > 0 {
			rest := authority[i+1:]
			if strings.HasPrefix(rest, ":") {
				return authority[:i+1], rest[1:]
			}
			return authority[:i+1], ""
		}
		return authority, ""
	}
	i := strings.LastIndexByte(authority, ':')
	if i < 0 || strings.IndexByte(authority[:i], ':') >= 0 {
		return authority, ""
	}
	return authority[:i], authority[i+1:]
}
