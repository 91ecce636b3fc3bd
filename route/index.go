package route

import (
	"github.com/meshroute/meshroute/match"
)

// minIndexedClauses is the number of clauses from which a virtual host gets
// a ruleIndex: below it, trying the compact slots in order costs no more
// than the index's lookups (BenchmarkDecide/routes=10 with 10 clauses:
// 148 cpu-ns/op indexed at a threshold of 8, 137 at 16, 129 at 32).
const minIndexedClauses = 16

// ruleIndex finds the first matching (rule, clause) of a virtual host
// without trying every clause, and finds the same one the ordered walk
// (decideLinear) finds.
//
// Every clause that can apply gets a position ("slot") in the host's order:
// rule by rule, clause by clause. Each slot is filed under what its uri
// needs: an exact path (exact, or foldExact lower-cased for ignoreUriCase),
// a path prefix (a radix trie; foldPrefix for ignoreUriCase), a regex's
// literal prefix (the case-sensitive trie: a path that lacks it cannot
// match), or nothing (other). Every list is in ascending slot order. For a
// request the index walks each structure once along the normalised path,
// and in each candidate list tries slots in order until one fully matches
// or a slot is not below the best found so far: the answer is the smallest
// fully matching slot over all lists, the first match in configuration
// order. The other conditions (method, headers, …) are checked on the
// candidates only.
type ruleIndex struct {
	slots      []slot
	exact      *slotMap
	foldExact  *slotMap
	prefix     *flatTrie
	foldPrefix *flatTrie
	other      []int32
	// always is the slot of the first rule without match clauses (it
	// matches every request), len(slots) when there is none.
	always int32
}

// indexBuilder collects a ruleIndex's structures in their pointer forms
// before buildRuleIndex freezes them (index_flat.go).
type indexBuilder struct {
	exact, foldExact   map[string][]int32
	prefix, foldPrefix *trieNode
	other              []int32
}

// buildRuleIndex indexes a virtual host's slots (buildSlots); regexLiterals
// says whether regex literal prefixes may be used (RE2 syntax).
func buildRuleIndex(slots []slot, regexLiterals bool) *ruleIndex {
	x := &ruleIndex{slots: slots, always: int32(len(slots))}
	var b indexBuilder
	for i := range slots {
		sl := &slots[i]
		if sl.kind == slotAlways {
			x.always = int32(i) // the last slot: buildSlots stops there
			break
		}
		b.file(int32(i), sl.rm.m, sl.rm.uri, regexLiterals)
	}
	x.exact, x.foldExact = newSlotMap(b.exact, slots), newSlotMap(b.foldExact, slots)
	x.prefix, x.foldPrefix = freezeTrie(b.prefix), freezeTrie(b.foldPrefix)
	x.other = b.other
	return x
}

// file puts slot s in the structure its uri matcher selects.
func (x *indexBuilder) file(s int32, hm *match.HTTPMatch, uri match.StringMatcher, regexLiterals bool) {
	if hm == nil {
		x.other = append(x.other, s) // no matcher to look into: tried on every request
		return
	}
	switch uri.Kind {
	case match.KindExact:
		if uri.IgnoreCase {
			x.foldExact = addToMap(x.foldExact, lowerASCII(uri.Value), s)
		} else {
			x.exact = addToMap(x.exact, uri.Value, s)
		}
	case match.KindPrefix:
		if uri.IgnoreCase {
			x.foldPrefix = trieInsert(x.foldPrefix, lowerASCII(uri.Value), s)
		} else {
			x.prefix = trieInsert(x.prefix, uri.Value, s)
		}
	case match.KindAny:
		x.prefix = trieInsert(x.prefix, "", s)
	case match.KindRegex:
		// The engine's own literal prefix is free; parsing the pattern
		// finds one for RE2 patterns regexp cannot match in one pass.
		lit := uri.LiteralPrefix()
		if lit == "" && regexLiterals {
			lit = regexLiteralPrefix(uri.Value)
		}
		if lit != "" {
			x.prefix = trieInsert(x.prefix, lit, s)
		} else {
			x.other = append(x.other, s)
		}
	default:
		x.other = append(x.other, s)
	}
}

func addToMap(m map[string][]int32, k string, s int32) map[string][]int32 {
	if m == nil {
		m = map[string][]int32{}
	}
	m[k] = append(m[k], s)
	return m
}

// first returns the first matching slot, as firstMatch. A slot found by
// exact path is returned as the exact map's copy of it, which the lookup
// has just read, while no other structure finds an earlier one.
func (x *ruleIndex) first(req *match.Request, path string) *slot {
	best := x.always
	var hit *slot // the copy of slot best, when an exact map found it
	if x.exact != nil {
		best, hit = x.exact.try(x, path, best, req, path)
	}
	found := best
	if x.prefix != nil {
		best = x.walk(x.prefix, best, req, path, path)
	}
	if x.foldExact != nil || x.foldPrefix != nil {
		var foldHit *slot
		if best, foldHit = x.firstFolded(best, req, path); foldHit != nil {
			hit, found = foldHit, best
		}
	}
	if len(x.other) > 0 {
		best = x.try(x.other, best, req, path)
	}
	switch {
	case hit != nil && best == found:
		return hit
	case int(best) >= len(x.slots):
		return nil
	}
	return &x.slots[best]
}

// firstFolded searches the ignoreUriCase structures with the path folded
// to lower case, on the stack for paths up to 256 bytes; hit is the
// foldExact map's copy of the slot it returns, if it found it there.
func (x *ruleIndex) firstFolded(best int32, req *match.Request, path string) (_ int32, hit *slot) {
	var buf [256]byte
	lower := foldASCIIInto(buf[:], path)
	if x.foldExact != nil {
		best, hit = x.foldExact.try(x, lower, best, req, path)
	}
	if x.foldPrefix != nil {
		if b := x.walk(x.foldPrefix, best, req, path, lower); b != best {
			best, hit = b, nil
		}
	}
	return best, hit
}

// try returns the first slot of ss below best that fully matches req, or
// best.
func (x *ruleIndex) try(ss []int32, best int32, req *match.Request, path string) int32 {
	for _, s := range ss {
		if s >= best {
			return best
		}
		if x.slots[s].matches(req, path) {
			return s
		}
	}
	return best
}

func hasUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return true
		}
	}
	return false
}

// foldASCIIInto returns s with its ASCII letters lower-cased: s itself
// when it has none, else folded in buf when it fits (no allocation; the
// result is valid while buf is), else a new string. Not strings.ToLower:
// that folds Unicode too.
func foldASCIIInto(buf []byte, s string) string {
	if !hasUpperASCII(s) {
		return s
	}
	if len(s) > len(buf) {
		return lowerASCII(s)
	}
	n := copy(buf, s)
	for i := 0; i < n; i++ {
		if c := buf[i]; 'A' <= c && c <= 'Z' {
			buf[i] = c + 'a' - 'A'
		}
	}
	return bytesString(buf[:n])
}

// lowerASCII folds ASCII letters only, as ignoreUriCase compares.
func lowerASCII(s string) string {
	if !hasUpperASCII(s) {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// buildIndexes gives every virtual host of at least minIndexedClauses
// clauses its ruleIndex over its slots (buildPlans). Regex literal
// prefixes are used with RE2 only (regexp2's syntax is another language).
//
// Hosts that share their slots (one VirtualService's rules: every sidecar
// view, and gateway hosts only one VirtualService serves) share one index.
func (t *Table) buildIndexes() {
	re2 := t.opts.regexEngine != Regexp2
	shared := map[*slot]*ruleIndex{}
	for _, v := range t.views {
		if len(v.tlsAll) >= minIndexedTLS {
			v.tlsIndex = buildSNIIndex(v.tlsAll)
		}
		for _, vh := range v.vhosts {
			if len(vh.slots) < minIndexedClauses {
				continue
			}
			k := &vh.slots[0]
			if shared[k] == nil {
				shared[k] = buildRuleIndex(vh.slots, re2)
			}
			vh.index = shared[k]
		}
	}
}

// singleVS reports whether vh's entries are exactly vs's HTTP rules in
// order, all with the same vsLevel.
func singleVS(vh *vhost) (*compiledVS, bool, bool) {
	if len(vh.vss) != 1 || len(vh.routes) != len(vh.vss[0].http) {
		return nil, false, false
	}
	vs, vsLevel := vh.vss[0], vh.routes[0].vsLevel
	for i := range vh.routes {
		e := &vh.routes[i]
		if e.vs != vs || e.rule != vs.http[i] || e.vsLevel != vsLevel {
			return nil, false, false
		}
	}
	return vs, vsLevel, true
}

// countClauses counts the clauses of routes, a rule without any as one.
func countClauses(routes []routeEntry) int {
	n := 0
	for i := range routes {
		n += max(len(routes[i].rule.matches), 1)
	}
	return n
}
