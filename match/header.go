package match

import "strings"

// jwtClaimPrefix starts header keys that Istio turns into matches on the
// claims of a verified JWT rather than on a header.
const jwtClaimPrefix = "@request.auth.claims"

// headerMatcher is one compiled entry of headers or withoutHeaders.
type headerMatcher struct {
	name      string // lower-case, as Envoy stores header names
	canonical string // net/http canonical form, for Request.Header
	m         StringMatcher
	// invert is set for withoutHeaders entries. A non-presence inverted
	// entry also treats a missing header as "" (Istio sets
	// treat_missing_header_as_empty there).
	invert bool
	// claim marks an "@request.auth.claims…" key: there is no verified JWT
	// in an in-process request, so the claim is always missing.
	claim bool
}

func newHeaderMatcher(name string, m StringMatcher, invert bool) headerMatcher {
	lower := strings.ToLower(name)
	return headerMatcher{
		name:      lower,
		canonical: CanonicalHeaderKey(lower),
		m:         m,
		invert:    invert,
		claim:     strings.HasPrefix(lower, jwtClaimPrefix),
	}
}

// match applies the entry to req; why, when not nil, receives the reason
// for a failure.
func (h *headerMatcher) match(req *Request, why *string) bool {
	var v string
	var vs []string
	var ok bool
	if !h.claim {
		v, vs, ok = req.HeaderValues(h.name, h.canonical)
		if h.name == ":path" {
			// Envoy normalises the :path header itself before routing.
			v = NormalizePath(v)
		}
	}
	if !h.invert {
		if !ok {
			if why != nil {
				*why = h.label() + ": missing"
			}
			return false
		}
		if matchValues(&h.m, v, vs) {
			return true
		}
		if why != nil {
			*why = h.label() + ": " + h.m.whyNot(joinValues(v, vs))
		}
		return false
	}
	// withoutHeaders: the positive match, inverted.
	if !ok {
		if h.m.Kind == KindAny {
			return true // absent: "not present" holds
		}
		v, vs = "", nil // treat_missing_header_as_empty
	}
	if !matchValues(&h.m, v, vs) {
		return true
	}
	if why != nil {
		switch {
		case h.m.Kind == KindAny:
			*why = "without " + h.label() + ": present"
		case !ok:
			*why = "without " + h.label() + ": missing counts as " + h.m.whyMatches("")
		default:
			*why = "without " + h.label() + ": " + h.m.whyMatches(joinValues(v, vs))
		}
	}
	return false
}

func (h *headerMatcher) label() string {
	if h.claim {
		return "claim " + strings.TrimPrefix(h.name, jwtClaimPrefix) + " (no verified JWT)"
	}
	return "header " + h.name
}

// String describes the entry, e.g. `header end-user = "jason"`, wrapped
// in "!(…)" for withoutHeaders.
func (h *headerMatcher) String() string {
	s := "header " + h.name + " " + h.m.String()
	if h.invert {
		return "!(" + s + ")"
	}
	return s
}

// matchValues matches a header's value as Envoy sees it: several values
// joined with ",". v is the single value when vs is nil. Exact, prefix and
// presence compare piece by piece without joining; only a regex over
// several values needs the joined string (one allocation).
func matchValues(m *StringMatcher, v string, vs []string) bool {
	if vs == nil || m.Kind == KindAny {
		return m.Match(v)
	}
	switch m.Kind {
	case KindExact:
		return joinedEqual(vs, m.Value, m.IgnoreCase)
	case KindPrefix:
		return joinedHasPrefix(vs, m.Value, m.IgnoreCase)
	}
	return m.Match(strings.Join(vs, ","))
}

func joinValues(v string, vs []string) string {
	if vs == nil {
		return v
	}
	return strings.Join(vs, ",")
}

// joinedHasPrefix reports whether strings.Join(vs, ",") starts with p.
func joinedHasPrefix(vs []string, p string, fold bool) bool {
	for i, s := range vs {
		if i > 0 {
			if p == "" {
				return true
			}
			if p[0] != ',' {
				return false
			}
			p = p[1:]
		}
		if len(s) >= len(p) {
			return eq(s[:len(p)], p, fold)
		}
		if !eq(s, p[:len(s)], fold) {
			return false
		}
		p = p[len(s):]
	}
	return p == ""
}

// joinedEqual reports whether strings.Join(vs, ",") == want.
func joinedEqual(vs []string, want string, fold bool) bool {
	n := len(vs) - 1
	for _, s := range vs {
		n += len(s)
	}
	if len(vs) == 0 {
		n = 0
	}
	return n == len(want) && joinedHasPrefix(vs, want, fold)
}

func eq(a, b string, fold bool) bool {
	if fold {
		return asciiEqualFold(a, b)
	}
	return a == b
}
