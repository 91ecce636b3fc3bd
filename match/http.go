package match

import (
	"fmt"
	"sort"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
)

// HTTPMatch is a compiled Istio HTTPMatchRequest: every condition it sets
// must hold (AND). A match with no conditions matches every request.
//
// Conditions are checked in this order, which is also the order Explain
// reports the first failure in: port, gateways (or sourceLabels and
// sourceNamespace), uri, method, scheme, authority, headers,
// withoutHeaders (both sorted by name), queryParams (sorted by key).
//
// The uri is matched against the path without its query string, after
// NormalizePath (Envoy's default path normalisation in Istio); the other
// conditions see the request as it is. An HTTPMatch is immutable and safe
// for concurrent use.
type HTTPMatch struct {
	name      string
	uri       StringMatcher
	method    *StringMatcher
	scheme    *StringMatcher
	authority *StringMatcher
	headers   []headerMatcher // headers, then withoutHeaders
	query     []queryMatcher
	source    sourceMatch
}

type queryMatcher struct {
	key string
	m   StringMatcher
}

// CompileHTTPMatch compiles m. gateways are match.gateways already resolved
// by the caller to "namespace/name" or "mesh" (nil when the match sets
// none); when non-empty the match holds only for requests received by one
// of them, and sourceLabels/sourceNamespace are not checked (spec §3.9).
// When empty, the VirtualService-level gateway check is the caller's job.
// Regexes are compiled with compile (RE2 when nil). A nil m matches every
// request.
func CompileHTTPMatch(m *networking.HTTPMatchRequest, gateways []string, compile RegexCompiler) (*HTTPMatch, error) {
	out := &HTTPMatch{uri: Prefix("/")}
	if m == nil {
		out.source = newSourceMatch(0, gateways, nil, "")
		return out, nil
	}
	out.name = m.GetName()
	out.source = newSourceMatch(m.GetPort(), gateways, m.GetSourceLabels(), m.GetSourceNamespace())

	if m.GetUri() != nil {
		u, err := CompileStringMatch(m.GetUri(), compile)
		if err != nil {
			return nil, fmt.Errorf("uri: %w", err)
		}
		if u.Kind != KindAny {
			// {} and regex "*" leave Istio's default: prefix "/".
			u.IgnoreCase = m.GetIgnoreUriCase() && u.Kind != KindRegex
			out.uri = u
		}
	}
	var err error
	if out.method, err = compileOptional(m.GetMethod(), compile, "method"); err != nil {
		return nil, err
	}
	if out.scheme, err = compileOptional(m.GetScheme(), compile, "scheme"); err != nil {
		return nil, err
	}
	if out.authority, err = compileOptional(m.GetAuthority(), compile, "authority"); err != nil {
		return nil, err
	}
	for _, name := range sortedKeys(m.GetHeaders()) {
		sm, err := CompileStringMatch(m.GetHeaders()[name], compile)
		if err != nil {
			return nil, fmt.Errorf("headers[%s]: %w", name, err)
		}
		out.headers = append(out.headers, newHeaderMatcher(name, sm, false))
	}
	sortHeaders(out.headers)
	positive := len(out.headers)
	for _, name := range sortedKeys(m.GetWithoutHeaders()) {
		sm, err := CompileStringMatch(m.GetWithoutHeaders()[name], compile)
		if err != nil {
			return nil, fmt.Errorf("withoutHeaders[%s]: %w", name, err)
		}
		out.headers = append(out.headers, newHeaderMatcher(name, sm, true))
	}
	sortHeaders(out.headers[positive:])
	for _, key := range sortedKeys(m.GetQueryParams()) {
		sm, err := CompileStringMatch(m.GetQueryParams()[key], compile)
		if err != nil {
			return nil, fmt.Errorf("queryParams[%s]: %w", key, err)
		}
		out.query = append(out.query, queryMatcher{key: key, m: sm})
	}
	return out, nil
}

func compileOptional(sm *networking.StringMatch, compile RegexCompiler, field string) (*StringMatcher, error) {
	if sm == nil {
		return nil, nil
	}
	c, err := CompileStringMatch(sm, compile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return &c, nil
}

// sortHeaders orders header matchers by lower-case name, so that Explain
// and String do not depend on how the configuration spelt the keys.
func sortHeaders(hs []headerMatcher) {
	sort.SliceStable(hs, func(i, j int) bool { return hs[i].name < hs[j].name })
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Name returns the match's name (HTTPMatchRequest.name), possibly "".
func (m *HTTPMatch) Name() string { return m.name }

// URI returns the uri matcher: KindPrefix "/" when the match sets no uri.
// Route rewrites use it to know which prefix matched.
func (m *HTTPMatch) URI() StringMatcher { return m.uri }

// Simple reports whether the match tests nothing but its uri, as an exact
// or prefix comparison without case folding, and optionally the method as
// an exact, case-sensitive comparison (method "" when it sets none): no
// scheme, authority, header, query, port, gateway or source condition. A
// router may then evaluate the clause from these two values alone, which
// is what Match would answer for a path already normalised.
func (m *HTTPMatch) Simple() (uri StringMatcher, method string, ok bool) {
	if m.scheme != nil || m.authority != nil || len(m.headers) > 0 || len(m.query) > 0 ||
		m.source.port != 0 || len(m.source.gateways) > 0 || len(m.source.labels) > 0 || m.source.namespace != "" {
		return StringMatcher{}, "", false
	}
	if m.uri.IgnoreCase || (m.uri.Kind != KindExact && m.uri.Kind != KindPrefix) {
		return StringMatcher{}, "", false
	}
	if m.method != nil {
		if m.method.Kind != KindExact || m.method.IgnoreCase || m.method.Value == "" {
			return StringMatcher{}, "", false
		}
		method = m.method.Value
	}
	return m.uri, method, true
}

// Match reports whether req satisfies every condition. It allocates
// nothing for single-valued headers and normalised paths.
func (m *HTTPMatch) Match(req *Request) bool { return m.eval(req, nil, nil) }

// MatchNormalized is Match for callers that have already computed path =
// NormalizePath(req.PathOnly()): a router trying many clauses against one
// request normalises its path once instead of once per clause. Passing any
// other path gives an answer for that path.
func (m *HTTPMatch) MatchNormalized(req *Request, path string) bool {
	return m.eval(req, &path, nil)
}

// Explain is Match that also says, when the match fails, which condition
// failed first and why, e.g. `uri: "/ratings" does not start with
// "/reviews"` or `header end-user: missing`.
func (m *HTTPMatch) Explain(req *Request) (ok bool, failed string) {
	ok = m.eval(req, nil, &failed)
	return ok, failed
}

// eval checks every condition; path, when not nil, is the request's
// already normalised path.
func (m *HTTPMatch) eval(req *Request, normalized *string, why *string) bool {
	if req == nil {
		if why != nil {
			*why = "no request"
		}
		return false
	}
	if !m.source.match(req, why) {
		return false
	}
	var path string
	if normalized != nil {
		path = *normalized
	} else {
		path = NormalizePath(req.PathOnly())
	}
	if !m.uri.Match(path) {
		if why != nil {
			*why = "uri: " + m.uri.whyNot(path)
		}
		return false
	}
	if !pseudo(m.method, req.Method, "method", why) ||
		!pseudo(m.scheme, req.Scheme, "scheme", why) ||
		!pseudo(m.authority, req.Authority, "authority", why) {
		return false
	}
	for i := range m.headers {
		if !m.headers[i].match(req, why) {
			return false
		}
	}
	if len(m.query) > 0 {
		q := req.Query()
		for i := range m.query {
			qm := &m.query[i]
			v, ok := QueryParam(q, qm.key)
			if ok && qm.m.Match(v) {
				continue
			}
			if why != nil {
				if !ok {
					*why = "query " + qm.key + ": missing"
				} else {
					*why = "query " + qm.key + ": " + qm.m.whyNot(v)
				}
			}
			return false
		}
	}
	return true
}

// pseudo matches one of method, scheme, authority (the :method, :scheme
// and :authority pseudo-headers, always present).
func pseudo(m *StringMatcher, v, field string, why *string) bool {
	if m == nil || m.Match(v) {
		return true
	}
	if why != nil {
		*why = field + ": " + m.whyNot(v)
	}
	return false
}

// IsCatchAll reports whether the match is a catch-all as Istio's
// IsCatchAllRoute sees it (catch-all routes sort last when VirtualServices
// merge on a gateway): uri prefix "/" or regex ".*", and no method, scheme,
// authority, header, withoutHeaders or query-parameter condition. Port,
// gateways and source selectors do not count: they choose where a route is
// installed, not what it matches.
func (m *HTTPMatch) IsCatchAll() bool {
	uriAll := (m.uri.Kind == KindPrefix && m.uri.Value == "/") || (m.uri.Kind == KindRegex && m.uri.Value == ".*")
	return uriAll && m.method == nil && m.scheme == nil && m.authority == nil &&
		len(m.headers) == 0 && len(m.query) == 0
}

// String describes the match in one line, conditions joined with " && ",
// e.g. `uri prefix "/api" && header end-user = "jason"`. A match with no
// conditions is `uri prefix "/"`.
func (m *HTTPMatch) String() string {
	parts := m.source.appendStrings(nil)
	parts = append(parts, "uri "+m.uri.String())
	for _, p := range []struct {
		name string
		m    *StringMatcher
	}{{"method", m.method}, {"scheme", m.scheme}, {"authority", m.authority}} {
		if p.m != nil {
			parts = append(parts, p.name+" "+p.m.String())
		}
	}
	for i := range m.headers {
		parts = append(parts, m.headers[i].String())
	}
	for _, q := range m.query {
		parts = append(parts, "query "+q.key+" "+q.m.String())
	}
	return strings.Join(parts, " && ")
}
