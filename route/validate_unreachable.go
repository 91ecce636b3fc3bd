package route

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"
)

// Unreachable rules. Routes are tried in order and the first match wins, so
// a match is dead when an earlier match accepts every request it accepts:
// the earlier one "covers" it. Istio warns about rules after a rule without
// matches and about duplicated matches (VirtualServiceUnreachableRule,
// VirtualServiceIneffectiveMatch); meshroute generalises both to coverage,
// and names a witness: a request the dead match was written for that the
// earlier rule takes instead.

// unreachableHTTP warns about HTTP rules and matches that never apply.
func (v *validator) unreachableHTTP(routes []*networking.HTTPRoute) {
	type seen struct {
		m    *networking.HTTPMatchRequest // nil: the rule has no match (all)
		rule int
		item int
	}
	clauses := countHTTPClauses(routes)
	if clauses > maxUnreachableClauses {
		// Comparing every clause with every earlier one is quadratic: on
		// 100,000 rules it would stall validation for minutes.
		v.add(SeverityInfo, "unreachable-skipped", field("spec.http"), num(clauses),
			fmt.Sprintf("has %d match clauses, more than %d, so rules hidden by earlier rules are not looked for", clauses, maxUnreachableClauses))
		return
	}
	earlier := make([]seen, 0, clauses) // at most every clause
	for i, r := range routes {
		if r == nil {
			continue
		}
		f := fieldAt("spec.http", i)
		matches := r.Match
		if len(matches) == 0 {
			matches = []*networking.HTTPMatchRequest{nil}
		}
		var dead []string
		for j, m := range matches {
			covered := false
			for _, e := range earlier {
				if !coversHTTP(e.m, m) {
					continue
				}
				how := "covers"
				if e.m != nil && m != nil && sameMatch(e.m, m) {
					how = "duplicates"
				}
				what := fmt.Sprintf("rule %s match [%d] %s it", ruleName(routes[e.rule], e.rule), e.item, how)
				if e.m == nil || isMatchAll(e.m) {
					what = fmt.Sprintf("rule %s matches every request", ruleName(routes[e.rule], e.rule))
				}
				dead = append(dead, fmt.Sprintf("%s (e.g. %s)", what, witness(m)))
				if len(r.Match) > 1 {
					v.warnf("ineffective-match", f.at(".match", j), "", "never applies: %s", dead[len(dead)-1])
				}
				covered = true
				break
			}
			if !covered { // later rules must get past it
				earlier = append(earlier, seen{m, i, j})
			}
		}
		if len(dead) == len(matches) {
			v.warnf("unreachable-rule", f, "", "is never used: %s; move it above rule %s or narrow the earlier match", dead[0], firstWord(dead[0]))
		}
	}
}

// firstWord returns the rule name in a "rule X ..." message.
func firstWord(s string) string {
	fields := strings.Fields(s)
	if len(fields) > 1 {
		return fields[1]
	}
	return ""
}

// ruleName names a rule for messages: its name, or #index.
func ruleName(r *networking.HTTPRoute, i int) string {
	if r != nil && r.Name != "" {
		return q(r.Name)
	}
	return fmt.Sprintf("#%d", i)
}

// sameMatch reports whether two matches are equal apart from their names.
func sameMatch(a, b *networking.HTTPMatchRequest) bool {
	ca, cb := proto.CloneOf(a), proto.CloneOf(b)
	ca.Name, cb.Name = "", ""
	return proto.Equal(ca, cb)
}

// isMatchAll reports whether a match accepts every request: no conditions
// (a uri prefix "/" or regex ".*" is no condition).
func isMatchAll(m *networking.HTTPMatchRequest) bool {
	return m == nil || coversHTTP(m, &networking.HTTPMatchRequest{})
}

// coversHTTP reports whether match a (earlier) accepts every request that b
// (later) accepts. nil means "no match": accept all. It is conservative:
// false when unsure, so it never warns wrongly.
func coversHTTP(a, b *networking.HTTPMatchRequest) bool {
	if a == nil {
		return true
	}
	if b == nil {
		b = &networking.HTTPMatchRequest{}
	}
	// Proxy selectors: a must apply wherever b does.
	if a.Port != 0 && a.Port != b.Port || a.SourceNamespace != "" && a.SourceNamespace != b.SourceNamespace {
		return false
	}
	for k, val := range a.SourceLabels {
		if bv, ok := b.SourceLabels[k]; !ok || bv != val {
			return false
		}
	}
	if !sameSet(a.Gateways, b.Gateways) {
		return false
	}
	if !uriCovers(a, b) || !stringCovers(a.Scheme, b.Scheme, false) ||
		!stringCovers(a.Method, b.Method, false) || !stringCovers(a.Authority, b.Authority, false) {
		return false
	}
	for k, am := range a.Headers {
		bm, ok := b.Headers[k]
		if !ok || !presenceOrCovers(am, bm) {
			return false
		}
	}
	for k, am := range a.QueryParams {
		bm, ok := b.QueryParams[k]
		if !ok || !presenceOrCovers(am, bm) {
			return false
		}
	}
	for k, am := range a.WithoutHeaders {
		bm, ok := b.WithoutHeaders[k]
		if !ok || !proto.Equal(am, bm) {
			return false
		}
	}
	return true
}

// uriCovers compares the uri conditions, minding ignoreUriCase.
func uriCovers(a, b *networking.HTTPMatchRequest) bool {
	au := a.Uri
	if au.GetPrefix() == "/" || au.GetRegex() == ".*" {
		au = nil // every path starts with "/"
	}
	if au == nil {
		return true
	}
	if a.IgnoreUriCase != b.IgnoreUriCase && !a.IgnoreUriCase {
		return false // b matches case variants a does not
	}
	return stringCovers(au, b.Uri, a.IgnoreUriCase)
}

// stringCovers reports whether StringMatch a accepts every value b accepts
// (nil accepts everything).
func stringCovers(a, b *networking.StringMatch, fold bool) bool {
	if a == nil || a.GetMatchType() == nil {
		return true
	}
	if b == nil || b.GetMatchType() == nil {
		return false
	}
	eq, hasPrefix := func(x, y string) bool { return x == y }, strings.HasPrefix
	if fold {
		eq = strings.EqualFold
		hasPrefix = func(s, p string) bool { return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) }
	}
	switch at := a.GetMatchType().(type) {
	case *networking.StringMatch_Exact:
		be, ok := b.GetMatchType().(*networking.StringMatch_Exact)
		return ok && eq(at.Exact, be.Exact)
	case *networking.StringMatch_Prefix:
		switch bt := b.GetMatchType().(type) {
		case *networking.StringMatch_Exact:
			return hasPrefix(bt.Exact, at.Prefix)
		case *networking.StringMatch_Prefix:
			return hasPrefix(bt.Prefix, at.Prefix)
		}
	case *networking.StringMatch_Regex:
		br, ok := b.GetMatchType().(*networking.StringMatch_Regex)
		return ok && at.Regex == br.Regex || at.Regex == ".*"
	}
	return false
}

// presenceOrCovers compares a header/query condition: a presence match
// ({} or regex "*") accepts any b; otherwise as stringCovers.
func presenceOrCovers(a, b *networking.StringMatch) bool {
	if a == nil || a.GetMatchType() == nil || a.GetRegex() == "*" {
		return true
	}
	if b == nil || b.GetMatchType() == nil || b.GetRegex() == "*" {
		return false
	}
	return stringCovers(a, b, false)
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// witness describes a request that match m accepts, for messages.
func witness(m *networking.HTTPMatchRequest) string {
	var b bytes.Buffer
	method := "GET"
	if e := m.GetMethod().GetExact(); e != "" {
		method = e
	} else if p := m.GetMethod().GetPrefix(); p != "" {
		method = p
	}
	path := "/"
	if e := m.GetUri().GetExact(); e != "" {
		path = e
	} else if p := m.GetUri().GetPrefix(); p != "" {
		path = p
	} else if m.GetUri().GetRegex() != "" {
		path = "a path matching " + q(m.GetUri().GetRegex())
	}
	fmt.Fprintf(&b, "%s %s", method, path)
	if len(m.GetHeaders()) > 0 {
		var hs []string
		for _, k := range sortedKeys(m.GetHeaders()) {
			sm := m.GetHeaders()[k]
			val := sm.GetExact() + sm.GetPrefix()
			if sm.GetRegex() != "" {
				val = "≈" + sm.GetRegex()
			}
			hs = append(hs, k+": "+val)
		}
		fmt.Fprintf(&b, " with %s", strings.Join(hs, ", "))
	}
	return b.String()
}

// unreachableL4 warns about TCP and TLS rules after a rule that matches
// every connection, and about repeated matches.
func (v *validator) unreachableL4(s *networking.VirtualService) {
	catchAll := -1
	seen := map[string]int{}
	for i, r := range s.Tcp {
		if r == nil {
			continue
		}
		f := fieldAt("spec.tcp", i)
		if catchAll >= 0 {
			v.warnf("unreachable-rule", f, "", "is never used: rule #%d above matches every connection", catchAll)
			continue
		}
		if len(r.Match) == 0 {
			catchAll = i
			continue
		}
		dups := 0
		for j, m := range r.Match {
			key := string(deterministic(m))
			if k, ok := seen[key]; ok {
				dups++
				if len(r.Match) > 1 {
					v.warnf("ineffective-match", f.at(".match", j), "", "never applies: rule #%d has the same match", k)
				}
				continue
			}
			seen[key] = i
		}
		if dups == len(r.Match) {
			v.warnf("unreachable-rule", f, "", "is never used: earlier rules have the same matches")
		}
	}
	seen = map[string]int{}
	for i, r := range s.Tls {
		if r == nil {
			continue
		}
		dups := 0
		for j, m := range r.Match {
			key := string(deterministic(m))
			if k, ok := seen[key]; ok {
				dups++
				if len(r.Match) > 1 {
					rf := fieldAt("spec.tls", i)
					v.warnf("ineffective-match", rf.at(".match", j), "", "never applies: rule #%d has the same match", k)
				}
				continue
			}
			seen[key] = i
		}
		if len(r.Match) > 0 && dups == len(r.Match) {
			v.warnf("unreachable-rule", fieldAt("spec.tls", i), "", "is never used: earlier rules have the same matches")
		}
	}
}

// deterministic serialises m with sorted maps, as a comparison key.
func deterministic(m proto.Message) []byte {
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	return b
}

// maxUnreachableClauses bounds the quadratic unreachable-rule analysis:
// 5,000 clauses take about 0.2s.
const maxUnreachableClauses = 5000

// countHTTPClauses counts the match clauses of routes, a rule without
// match counting as one.
func countHTTPClauses(routes []*networking.HTTPRoute) int {
	n := 0
	for _, r := range routes {
		n += max(1, len(r.GetMatch()))
	}
	return n
}
