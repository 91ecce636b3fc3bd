package match

import (
	"regexp"
	"strings"
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

// Regexp is a compiled regular expression that must match the whole input.
// The default engine is Go's RE2 (linear time); see RegexEngine.
type Regexp interface {
	MatchString(s string) bool
	String() string
}

// StringMatcher is a compiled Istio StringMatch.
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
	re, err := regexp.Compile("^(?:" + pattern + ")$")
	if err != nil {
		return StringMatcher{}, err
	}
	return StringMatcher{Kind: KindRegex, Value: pattern, re: re}, nil
}

// Match reports whether s satisfies the matcher. It never allocates.
func (m *StringMatcher) Match(s string) bool {
	switch m.Kind {
	case KindAny:
		return true
	case KindExact:
		if m.IgnoreCase {
			return strings.EqualFold(s, m.Value)
		}
		return s == m.Value
	case KindPrefix:
		if m.IgnoreCase {
			return len(s) >= len(m.Value) && strings.EqualFold(s[:len(m.Value)], m.Value)
		}
		return strings.HasPrefix(s, m.Value)
	case KindRegex:
		return m.re.MatchString(s)
	}
	return false
}
