package route

import (
	ihost "github.com/meshroute/meshroute/internal/host"
	"github.com/meshroute/meshroute/match"
)

// regexCompiler returns the regex engine selected by the options, behind
// a cache of this Compile call: a configuration often repeats a pattern
// (the same header regex on many routes), and a compiled Regexp is
// immutable and safe for concurrent use, so every matcher with the pattern
// can share one. The Table keeps the cache (Table.regexes), and a Store's
// next Compile takes from it the patterns it has already compiled
// (prevRegexes) instead of compiling them again.
func (c *compiler) regexCompiler() match.RegexCompiler {
	if c.compileRegex != nil {
		return c.compileRegex
	}
	engine := match.RE2Compiler()
	if c.opts.regexEngine == Regexp2 {
		engine = match.Regexp2Compiler(c.opts.regexTimeout)
	}
	c.regexCache = map[string]match.Regexp{}
	c.compileRegex = func(pattern string) (match.Regexp, error) {
		if re, ok := c.regexCache[pattern]; ok {
			return re, nil
		}
		re, ok := c.prevRegexes[pattern]
		if !ok {
			var err error
			if re, err = engine(pattern); err != nil {
				return nil, err
			}
		}
		c.regexCache[pattern] = re
		return re, nil
	}
	return c.compileRegex
}

// validationRegexes returns the compiler the validator may check match
// regexes with (validator.anchoredRegex): the cached RE2 engine, so that
// each regex is parsed once for both validation and compilation. With the
// regexp2 engine it returns nil: the validator then parses the regexes as
// RE2 on its own, as the matchers are compiled by another engine.
func (c *compiler) validationRegexes() match.RegexCompiler {
	if c.opts.regexEngine == Regexp2 {
		return nil
	}
	return c.regexCompiler()
}

// requestPort is the port the request was addressed to: req.Port, else
// the authority's port, else 0.
func requestPort(req *match.Request) uint32 {
	if req.Port != 0 {
		return req.Port
	}
	_, p := ihost.SplitHostPort(req.Authority)
	n := uint32(0)
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < '0' || c > '9' || n > 65535 {
			return 0
		}
		n = n*10 + uint32(c-'0')
	}
	if n > 65535 {
		return 0
	}
	return n
}

// keysInOrder returns the keys of m in order.
func keysInOrder[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStable(keys, func(a, b string) bool { return a < b })
	return keys
}
