package match

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"time"

	"github.com/dlclark/regexp2"
)

// RegexCompiler compiles an Istio regex (as written in the configuration)
// into a Regexp that matches only whole strings, as Envoy's safe_regex
// does: "abc" does not match "xabcx".
type RegexCompiler func(pattern string) (Regexp, error)

// DefaultRegexp2Timeout bounds one regexp2 match when Regexp2Compiler is
// given no positive timeout.
const DefaultRegexp2Timeout = 10 * time.Millisecond

// RE2Compiler returns the default compiler: Go's regexp (RE2 syntax, linear
// time), anchored as "^(?:pattern)$". Patterns RE2 does not accept
// (lookarounds, backreferences) are errors.
func RE2Compiler() RegexCompiler { return compileRE2 }

func compileRE2(pattern string) (Regexp, error) {
	// Only a parenthesis can close the anchoring group early, and a
	// pattern without one that is invalid on its own stays invalid
	// anchored (a trailing "\\" or an open "[" swallows the closing ")"), so
	// such a pattern needs one parse, not two. Any failure takes the
	// careful path below, which words the error as before.
	if !strings.ContainsAny(pattern, "()") {
		if re, err := regexp.Compile("^(?:" + pattern + ")$"); err == nil {
			return re2Regexp{re, pattern}, nil
		}
	}
	// Parsing the pattern alone first rejects input such as "a)|(b"
	// that would otherwise escape the anchoring group. Parsing is all
	// regexp.Compile can fail at, at a third of the cost.
	if _, err := syntax.Parse(pattern, syntax.Perl); err != nil {
		return nil, fmt.Errorf("invalid RE2 regex %q: %w", pattern, err)
	}
	re, err := regexp.Compile("^(?:" + pattern + ")$")
	if err != nil {
		return nil, fmt.Errorf("invalid RE2 regex %q: %w", pattern, err)
	}
	return re2Regexp{re, pattern}, nil
}

// re2Regexp keeps the pattern as written for String.
type re2Regexp struct {
	*regexp.Regexp
	pattern string
}

// String returns the pattern as configured, without the anchoring group.
func (r re2Regexp) String() string { return r.pattern }

// Regexp2Compiler returns an opt-in compiler for github.com/dlclark/regexp2
// (.NET syntax, backtracking: lookarounds and backreferences work). Every
// match runs with the given timeout (DefaultRegexp2Timeout when timeout is
// not positive); a match that times out counts as no match. The pattern is
// anchored as `\A(?:pattern)\z`.
func Regexp2Compiler(timeout time.Duration) RegexCompiler {
	if timeout <= 0 {
		timeout = DefaultRegexp2Timeout
	}
	return func(pattern string) (Regexp, error) {
		if _, err := regexp2.Compile(pattern, regexp2.None); err != nil {
			return nil, fmt.Errorf("invalid regexp2 regex %q: %w", pattern, err)
		}
		re, err := regexp2.Compile(`\A(?:`+pattern+`)\z`, regexp2.None)
		if err != nil {
			return nil, fmt.Errorf("invalid regexp2 regex %q: %w", pattern, err)
		}
		re.MatchTimeout = timeout
		return regexp2Regexp{re, pattern}, nil
	}
}

// regexp2Regexp adapts a regexp2.Regexp; errors (timeouts) are no match.
type regexp2Regexp struct {
	re      *regexp2.Regexp
	pattern string
}

// MatchString runs one bounded match; an error (the timeout) is no match.
func (r regexp2Regexp) MatchString(s string) bool {
	ok, err := r.re.MatchString(s)
	return err == nil && ok
}

// String returns the pattern as configured, without the anchoring group.
func (r regexp2Regexp) String() string { return r.pattern }
