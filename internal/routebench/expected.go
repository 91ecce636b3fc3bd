package routebench

import (
	"net"
	"net/textproto"
	"regexp"
	"strings"
)

// ExpectedRule returns the index in rules of the rule Istio (Envoy) would
// use for req, or -1 when none matches. It is a deliberately naive
// reference, independent of meshroute's code, and follows the rules of
// spec/virtualservice.md:
//
//   - The virtual host is chosen by the request authority without its port,
//     compared case-insensitively: an exact host first, then the suffix
//     wildcard ("*.foo.com", "*-bar.foo.com") with the longest suffix that
//     leaves at least one character before it, then "*". Prefix wildcards
//     ("foo.*") are not generated and not handled.
//   - Of several VirtualServices with the winning host, the first (oldest)
//     alone is used: on sidecars they are not merged.
//   - That VirtualService's rules are walked in order; the first whose
//     conditions all hold wins.
//   - Exact and regex paths are compared with the path without its query
//     string; a regex must match the whole of it (RE2). A prefix is a raw
//     string prefix of the path as sent, query included, with no segment
//     boundary: prefix "/foo" matches "/foobar".
//   - Method and header values compare exactly and case-sensitively; a
//     header with several values is matched as their ","-join, and a
//     missing header never matches.
func ExpectedRule(rules []Rule, req Request) int {
	return newOracle(rules).expect(req)
}

// expectAll computes ExpectedRule for every request, compiling each regex
// once.
func expectAll(rules []Rule, reqs []Request) []int {
	o := newOracle(rules)
	out := make([]int, len(reqs))
	for i, r := range reqs {
		out[i] = o.expect(r)
	}
	return out
}

type oracle struct {
	rules []Rule
	res   []*regexp.Regexp // per rule, nil unless PathKind == Regex
	// first[host] is the index of the first rule of the oldest
	// VirtualService with that (lower-cased) host.
	first map[string]int
	wild  []string // wildcard hosts (lower-cased), in first-seen order
}

func newOracle(rules []Rule) *oracle {
	o := &oracle{rules: rules, res: make([]*regexp.Regexp, len(rules)), first: map[string]int{}}
	for i, r := range rules {
		if r.PathKind == Regex {
			// An invalid pattern never matches (nil regexp).
			o.res[i], _ = regexp.Compile("^(?:" + r.Path + ")$")
		}
		h := strings.ToLower(r.Host)
		if _, ok := o.first[h]; !ok {
			o.first[h] = i
			if strings.HasPrefix(h, "*") {
				o.wild = append(o.wild, h)
			}
		}
	}
	return o
}

func (o *oracle) expect(req Request) int {
	host, ok := o.virtualHost(req.Host)
	if !ok {
		return -1
	}
	start := o.first[host]
	vs := o.rules[start].VirtualService
	for i := start; i < len(o.rules) && o.rules[i].VirtualService == vs; i++ {
		if o.matches(i, req) {
			return i
		}
	}
	return -1
}

// virtualHost returns the rule host (lower-cased) Envoy's virtual host
// selection picks for authority.
func (o *oracle) virtualHost(authority string) (string, bool) {
	name := authority
	if h, _, err := net.SplitHostPort(authority); err == nil {
		name = h
	}
	name = strings.ToLower(name)
	if _, ok := o.first[name]; ok && !strings.HasPrefix(name, "*") {
		return name, true
	}
	best, found := "", false
	for _, w := range o.wild {
		suffix := w[1:]
		if len(name) > len(suffix) && strings.HasSuffix(name, suffix) && (!found || len(suffix) > len(best)-1) {
			best, found = w, true
		}
	}
	return best, found
}

func (o *oracle) matches(i int, req Request) bool {
	r := &o.rules[i]
	if r.Method != "" && r.Method != req.Method {
		return false
	}
	switch r.PathKind {
	case Exact:
		if req.PathOnly() != r.Path {
			return false
		}
	case Prefix:
		if !strings.HasPrefix(req.Path, r.Path) {
			return false
		}
	case Regex:
		if o.res[i] == nil || !o.res[i].MatchString(req.PathOnly()) {
			return false
		}
	default:
		return false
	}
	if r.HeaderName != "" {
		vs, ok := req.Headers[textproto.CanonicalMIMEHeaderKey(r.HeaderName)]
		if !ok || strings.Join(vs, ",") != r.HeaderValue {
			return false
		}
	}
	return true
}
