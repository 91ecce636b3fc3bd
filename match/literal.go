package match

import "unicode/utf8"

// LiteralPrefix returns text every value the matcher accepts starts with,
// byte for byte, for indexes that narrow the candidates of a lookup: the
// value of a case-sensitive exact or prefix match, and for a regex the
// literal prefix the engine reports (Go's regexp does, for patterns it
// can match in one pass; regexp2 reports none), cut before the first
// non-ASCII byte. "" when there is none, and for case-insensitive matches.
func (m *StringMatcher) LiteralPrefix() string {
	switch m.Kind {
	case KindExact, KindPrefix:
		if m.IgnoreCase {
			return ""
		}
		return m.Value
	case KindRegex:
		lp, ok := m.re.(interface{ LiteralPrefix() (string, bool) })
		if !ok {
			return ""
		}
		p, _ := lp.LiteralPrefix()
		for i := 0; i < len(p); i++ {
			if p[i] >= utf8.RuneSelf {
				return p[:i]
			}
		}
		return p
	}
	return ""
}

// SNIHosts returns the match's sniHosts, lower case, as compiled ("*",
// "*.example.com" or exact names), for indexes that file TLS routes by
// server name. The slice must not be modified.
func (m *TLSMatch) SNIHosts() []string { return m.sni }
