package match

import (
	"bytes"
	"strings"
)

// NormalizePath normalises the path part of a request target the way Envoy
// does with Istio's default mesh setting pathNormalization BASE
// (normalize_path: true), before any route is matched:
//
//   - every backslash becomes a slash ("\a\b" → "/a/b");
//   - dot segments are removed as RFC 3986 §5.2.4 says ("/a/./b" → "/a/b",
//     "/a/b/../c" → "/a/c", "/.." → "/", "/a/.." → "/a/"); like Envoy's URL
//     canonicaliser, "%2e" (any case) counts as a dot inside a dot segment,
//     so "/a/%2e%2e/b" → "/b";
//   - nothing is percent-decoded and slashes are not merged ("//a" stays);
//   - the query string, from the first "?", is kept untouched.
//
// Targets that do not start with "/" (after backslash conversion), such as
// "*" or "", are returned unchanged. NormalizePath allocates only when the
// path changes.
func NormalizePath(target string) string {
	path, query := target, ""
	if i := strings.IndexByte(target, '?'); i >= 0 {
		path, query = target[:i], target[i:]
	}
	if len(path) == 0 || (path[0] != '/' && path[0] != '\\') || !pathNeedsNormalizing(path) {
		return target
	}
	// One pass over the segments (split at "/" or "\"), keeping the
	// output as "/" + the kept segments joined with "/"; n counts them so
	// that "/" (none) and "/" + "" (one empty segment) stay distinct.
	buf := make([]byte, 1, len(target))
	buf[0] = '/'
	n := 0
	for i := 1; i <= len(path); {
		j := i
		for j < len(path) && path[j] != '/' && path[j] != '\\' {
			j++
		}
		seg, last := path[i:j], j == len(path)
		switch dotSegment(seg) {
		case 0:
			if n > 0 {
				buf = append(buf, '/')
			}
			buf = append(buf, seg...)
			n++
		case 2:
			if n > 0 {
				n--
				if n == 0 {
					buf = buf[:1]
				} else {
					buf = buf[:bytes.LastIndexByte(buf, '/')]
				}
			}
			fallthrough
		case 1:
			if last {
				if n > 0 {
					buf = append(buf, '/')
				}
				n++ // a trailing empty segment
			}
		}
		i = j + 1
	}
	return string(append(buf, query...))
}

// pathSpecial marks the bytes NormalizePathSplit stops at: one table
// load per byte instead of four comparisons.
var pathSpecial = [256]bool{'?': true, '.': true, '%': true, '\\': true}

// NormalizePathSplit is NormalizePath that also returns where the
// normalised path ends and its query string ("?" onward) begins, so that
// a router needing both the path to match and the target to forward
// scans the request target once. A target whose path has no backslash and
// no segment starting with '.' or '%' (only those can be dot segments:
// "3.png" and "v1.2" are not) needs no work and is returned as it is.
func NormalizePathSplit(target string) (normalized string, pathEnd int) {
	for i := 0; i < len(target); i++ {
		if !pathSpecial[target[i]] {
			continue
		}
		switch target[i] {
		case '?':
			return target, i
		case '.', '%':
			if i > 0 && target[i-1] != '/' {
				continue // inside a segment that does not start with a dot
			}
			fallthrough
		default: // '\\', or a segment that may be a dot segment
			normalized = NormalizePath(target)
			if j := strings.IndexByte(normalized, '?'); j >= 0 {
				return normalized, j
			}
			return normalized, len(normalized)
		}
	}
	return target, len(target)
}

// pathNeedsNormalizing reports, without allocating, whether path has a
// backslash or a dot segment.
func pathNeedsNormalizing(path string) bool {
	start := 0
	for i := 0; i <= len(path); i++ {
		if i < len(path) && path[i] != '/' {
			if path[i] == '\\' {
				return true
			}
			continue
		}
		if i > start && dotSegment(path[start:i]) != 0 {
			return true
		}
		start = i + 1
	}
	return false
}

// dotSegment returns 1 for a "." segment, 2 for "..", else 0. "%2e" in any
// case counts as a dot.
func dotSegment(seg string) int {
	dots := 0
	for len(seg) > 0 {
		switch {
		case seg[0] == '.':
			seg = seg[1:]
		case len(seg) >= 3 && seg[0] == '%' && seg[1] == '2' && (seg[2] == 'e' || seg[2] == 'E'):
			seg = seg[3:]
		default:
			return 0
		}
		dots++
		if dots > 2 {
			return 0
		}
	}
	return dots
}
