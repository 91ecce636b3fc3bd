package match

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
)

// Kind is the kind of a string match.
type Kind uint8

// String match kinds (Istio StringMatch oneof, plus presence).
const (
	KindAny    Kind = iota // presence only: any value matches
	KindExact              // byte-for-byte equality
	KindPrefix             // string prefix
	KindRegex              // full match of an RE2 (or opt-in regexp2) pattern
)

// String returns the kind's name as Istio spells the StringMatch field
// ("exact", "prefix", "regex"), or "present" for KindAny.
func (k Kind) String() string {
	switch k {
	case KindAny:
		return "present"
	case KindExact:
		return "exact"
	case KindPrefix:
		return "prefix"
	case KindRegex:
		return "regex"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Regexp is a compiled regular expression that must match the whole input.
// The default engine is Go's RE2 (linear time); see RegexCompiler.
type Regexp interface {
	MatchString(s string) bool
	String() string
}

// StringMatcher is a compiled Istio StringMatch.
//
// The zero value (KindAny) matches every string; used for headers and
// query parameters it means "present". A KindRegex matcher must be built by
// Regex or CompileStringMatch; one built by hand without a compiled pattern
// matches nothing.
type StringMatcher struct {
	Kind       Kind
	Value      string // exact value or prefix; the pattern for regex
	IgnoreCase bool   // ASCII case folding for exact and prefix
	re         Regexp
}

// Exact returns a matcher for byte-for-byte equality with v.
func Exact(v string) StringMatcher { return StringMatcher{Kind: KindExact, Value: v} }

// Prefix returns a matcher for values starting with p.
func Prefix(p string) StringMatcher { return StringMatcher{Kind: KindPrefix, Value: p} }

// Regex compiles pattern with Go's RE2 engine for full-string matching.
func Regex(pattern string) (StringMatcher, error) {
	return compileRegex(pattern, nil)
}

func compileRegex(pattern string, compile RegexCompiler) (StringMatcher, error) {
	if pattern == "" {
		return StringMatcher{}, errors.New("regex must not be empty (use {} to match any value)")
	}
	if compile == nil {
		compile = RE2Compiler()
	}
	re, err := compile(pattern)
	if err != nil {
		return StringMatcher{}, err
	}
	return StringMatcher{Kind: KindRegex, Value: pattern, re: re}, nil
}

// CompileStringMatch compiles an Istio StringMatch. A nil or empty
// StringMatch ({}), and the special regex "*" (not valid RE2; Istio turns it
// into Envoy's present_match), compile to KindAny. Regexes use compile, or
// RE2 when compile is nil, and must match the whole value. An empty regex
// is an error.
func CompileStringMatch(m *networking.StringMatch, compile RegexCompiler) (StringMatcher, error) {
	if m == nil {
		return StringMatcher{}, nil
	}
	switch t := m.GetMatchType().(type) {
	case nil:
		return StringMatcher{}, nil
	case *networking.StringMatch_Exact:
		return Exact(t.Exact), nil
	case *networking.StringMatch_Prefix:
		return Prefix(t.Prefix), nil
	case *networking.StringMatch_Regex:
		if t.Regex == "*" {
			return StringMatcher{}, nil
		}
		return compileRegex(t.Regex, compile)
	}
	return StringMatcher{}, fmt.Errorf("unsupported string match type %T", m.GetMatchType())
}

// Match reports whether s satisfies the matcher. It never allocates
// (regexp2 patterns aside).
func (m *StringMatcher) Match(s string) bool {
	switch m.Kind {
	case KindAny:
		return true
	case KindExact:
		if m.IgnoreCase {
			return asciiEqualFold(s, m.Value)
		}
		return s == m.Value
	case KindPrefix:
		if m.IgnoreCase {
			return len(s) >= len(m.Value) && asciiEqualFold(s[:len(m.Value)], m.Value)
		}
		return strings.HasPrefix(s, m.Value)
	case KindRegex:
		return m.re != nil && m.re.MatchString(s)
	}
	return false
}

// IsPresence reports whether the matcher accepts every value (KindAny),
// which for headers and query parameters means "present".
func (m *StringMatcher) IsPresence() bool { return m.Kind == KindAny }

// String describes the matcher, e.g. `prefix "/api"`, `= "GET"` (exact),
// `regex "v[0-9]+"`, `present`; " (ignore case)" is appended when
// IgnoreCase applies.
func (m StringMatcher) String() string {
	var s string
	switch m.Kind {
	case KindAny:
		return "present"
	case KindExact:
		s = "= " + strconv.Quote(m.Value)
	default:
		s = m.Kind.String() + " " + strconv.Quote(m.Value)
	}
	if m.IgnoreCase && m.Kind != KindRegex {
		s += " (ignore case)"
	}
	return s
}

// whyNot describes, for Explain, why s does not satisfy the matcher.
func (m *StringMatcher) whyNot(s string) string {
	q := strconv.Quote(s)
	fold := ""
	if m.IgnoreCase && m.Kind != KindRegex {
		fold = " (ignoring case)"
	}
	switch m.Kind {
	case KindExact:
		return q + " is not " + strconv.Quote(m.Value) + fold
	case KindPrefix:
		return q + " does not start with " + strconv.Quote(m.Value) + fold
	case KindRegex:
		return q + " does not match regex " + strconv.Quote(m.Value)
	}
	return q + " does not match " + m.String()
}

// whyMatches describes, for Explain, the (unwanted) match of s, e.g.
// `"bar" is "bar"` or `"bar" starts with "ba"`.
func (m *StringMatcher) whyMatches(s string) string {
	q := strconv.Quote(s)
	switch m.Kind {
	case KindExact:
		return q + " is " + strconv.Quote(m.Value)
	case KindPrefix:
		return q + " starts with " + strconv.Quote(m.Value)
	case KindRegex:
		return q + " matches regex " + strconv.Quote(m.Value)
	}
	return q + " is present"
}

// asciiEqualFold reports whether a and b are equal under ASCII case
// folding only (as Envoy's case-insensitive path matching), without
// allocating. Unlike strings.EqualFold it never folds non-ASCII runes
// (e.g. the Kelvin sign does not equal "k").
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if ca == cb {
			continue
		}
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}
