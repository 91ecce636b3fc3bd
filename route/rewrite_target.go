package route

// requestTarget makes a regex rewrite's result a valid request target: a
// result that does not start with "/" gets one (Envoy would forward
// "x/y", which upstreams refuse), and a control character, space or "%"
// that does not start a percent escape is percent-encoded, so a capture
// group that split "%41" cannot forward "/%1". Valid targets are returned
// as they are, without allocating.
func requestTarget(s string) string {
	if len(s) > 0 && s[0] == '/' && targetIsClean(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	if len(s) == 0 || s[0] != '/' {
		b = append(b, '/')
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; needsEscape(s, i) {
			b = append(b, '%', hexDigit[c>>4], hexDigit[c&15])
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}

const hexDigit = "0123456789ABCDEF"

func targetIsClean(s string) bool {
	for i := 0; i < len(s); i++ {
		if needsEscape(s, i) {
			return false
		}
	}
	return true
}

// needsEscape reports whether s[i] cannot stand as it is in a request
// target's path.
func needsEscape(s string, i int) bool {
	switch c := s[i]; {
	case c <= ' ' || c == 0x7f:
		return true
	case c == '%':
		return i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2])
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
