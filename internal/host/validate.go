package host

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Length limits of DNS names (RFC 1035, RFC 1123).
const (
	MaxNameLength  = 255 // a whole host name, as Istio checks it
	MaxLabelLength = 63  // one dot-separated label
)

// isLabel reports whether s is a DNS-1123 label of any length, as
// `^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$` (upper) or
// `^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$` (lower case only) match it: letters,
// digits and "-", not starting or ending in "-". A loop, not a regexp:
// the validator checks every host and namespace of every object.
func isLabel(s string, upper bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case 'A' <= c && c <= 'Z':
			if !upper {
				return false
			}
		case c == '-':
			if i == 0 || i == len(s)-1 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// isWildcardLabel reports whether s is a first label that may carry a
// wildcard: "*", "*label", "*-label", or a plain label (any case), as
// `^(?:\*|(?:\*|\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)$` matches it.
func isWildcardLabel(s string) bool {
	if s == "*" || isLabel(s, true) {
		return true
	}
	rest, ok := strings.CutPrefix(s, "*")
	if !ok {
		return false
	}
	if isLabel(rest, true) {
		return true
	}
	rest, ok = strings.CutPrefix(rest, "-")
	return ok && isLabel(rest, true)
}

// IsDNS1123Label reports whether s is a DNS-1123 label as Istio checks
// host-name labels: at most 63 letters, digits and "-", starting and
// ending with a letter or digit. Upper case is allowed (host names compare
// case-insensitively).
func IsDNS1123Label(s string) bool { return len(s) <= MaxLabelLength && isLabel(s, true) }

// IsLowerDNS1123Label reports whether s is a Kubernetes DNS-1123 label:
// as IsDNS1123Label but lower case only. Namespace names, subset names and
// port names follow this rule.
func IsLowerDNS1123Label(s string) bool { return len(s) <= MaxLabelLength && isLabel(s, false) }

// IsDNS1123Subdomain reports whether s is a Kubernetes DNS-1123 subdomain
// (object names): lower-case labels joined by dots, at most 253 characters.
func IsDNS1123Subdomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for l := range strings.SplitSeq(s, ".") {
		if !isLabel(l, false) {
			return false
		}
	}
	return true
}

// IsIP reports whether s is an IPv4 or IPv6 address (no brackets, no zone).
func IsIP(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Zone() == ""
}

// IsIPOrCIDR reports whether s is an IP address or an IP prefix in CIDR
// notation ("10.0.0.0/8").
func IsIPOrCIDR(s string) bool {
	if strings.Contains(s, "/") {
		_, err := netip.ParsePrefix(s)
		return err == nil
	}
	return IsIP(s)
}

// checkLength applies Istio's preconditions on any DNS name.
func checkLength(name string) error {
	if name == "" {
		return fmt.Errorf("must not be empty")
	}
	if len(name) > MaxNameLength {
		return fmt.Errorf("is longer than %d characters", MaxNameLength)
	}
	return nil
}

// checkLabels checks dot-separated labels: each a DNS-1123 label, the last
// not all-numeric, a trailing dot allowed.
func checkLabels(name string) error {
	parts := strings.Split(name, ".")
	// Atoi only what starts like a number: its error allocates.
	if last := parts[len(parts)-1]; last != "" && (last[0] >= '0' && last[0] <= '9' || last[0] == '+' || last[0] == '-') && isInt(last) {
		return fmt.Errorf("has an all-numeric top-level label %q", parts[len(parts)-1])
	}
	for i, l := range parts {
		if i == len(parts)-1 && l == "" {
			return nil // trailing dot: "istio.io."
		}
		if !IsDNS1123Label(l) {
			return fmt.Errorf("has an invalid label %q (letters, digits and '-', at most 63, not starting or ending with '-')", l)
		}
	}
	return nil
}

// ValidateFQDN checks a DNS name without wildcards ("reviews",
// "reviews.default.svc.cluster.local", "istio.io."). The error says what is
// wrong, to follow the field path and the value in a message.
func ValidateFQDN(name string) error {
	if err := checkLength(name); err != nil {
		return err
	}
	return checkLabels(name)
}

// ValidateWildcardDomain checks a DNS name that may start with a wildcard,
// as Istio checks VirtualService, DestinationRule and ServiceEntry hosts:
// the wildcard may appear only in the first label, which may be "*",
// "*label", "*-label" or a plain label ("*", "*.foo.com" and "*foo.com" are
// valid; "foo.*.com" is not).
func ValidateWildcardDomain(name string) error {
	if err := checkLength(name); err != nil {
		return err
	}
	first, rest, hasRest := strings.Cut(name, ".")
	if len(first) > MaxLabelLength || !isWildcardLabel(first) {
		if strings.Contains(name[len(first):], "*") || strings.Count(first, "*") > 1 || (strings.Contains(first, "*") && first[0] != '*') {
			return fmt.Errorf("has a wildcard that is not at the start of the first label (write \"*.example.com\")")
		}
		return fmt.Errorf("has an invalid label %q (letters, digits and '-', at most 63, not starting or ending with '-')", first)
	}
	if !hasRest {
		return nil
	}
	if strings.Contains(rest, "*") {
		return fmt.Errorf("has a wildcard that is not at the start of the first label (write \"*.example.com\")")
	}
	return checkLabels(rest)
}

// IsPartialWildcard reports whether name has a wildcard that is not a
// whole first label ("*foo.com", "*-bar.foo.com"), which Istio accepts
// with a warning on ServiceEntries.
func IsPartialWildcard(name string) bool {
	return strings.HasPrefix(name, "*") && name != "*" && !strings.HasPrefix(name, "*.")
}

func isInt(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}
