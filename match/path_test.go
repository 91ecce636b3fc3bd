package match

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizePath(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"a clean path is unchanged", "/a/b", "/a/b"},
		{"root is unchanged", "/", "/"},
		{"the query string is kept untouched", "/a/../b?x=/../y", "/b?x=/../y"},
		{"dot-dot removes the previous segment", "/a/b/../c", "/a/c"},
		{"dot removes itself", "/a/./b", "/a/b"},
		{"trailing dot-dot leaves a trailing slash", "/a/b/..", "/a/"},
		{"trailing dot leaves a trailing slash", "/a/.", "/a/"},
		{"dot-dot cannot climb above the root", "/../../a", "/a"},
		{"lone dot-dot is the root", "/..", "/"},
		{"lone dot is the root", "/.", "/"},
		{"three dots are an ordinary segment", "/a/.../b", "/a/.../b"},
		{"dots inside a segment are ordinary", "/a/..b/c.", "/a/..b/c."},
		{"backslash becomes a slash", `/a\b`, "/a/b"},
		{"backslash dot-dot is a dot segment", `/a\..\b`, "/b"},
		{"a leading backslash becomes the root slash", `\a`, "/a"},
		{"slashes are not merged", "/a//b", "/a//b"},
		{"dot-dot after an empty segment removes the empty segment", "/a//../b", "/a/b"},
		{"percent-encoding is not decoded", "/%61/%2F", "/%61/%2F"},
		{"%2e counts as a dot in a dot segment", "/a/%2e%2E/b", "/b"},
		{"%2e alone is a dot segment", "/a/%2e/b", "/a/b"},
		{"mixed .%2e is a dot-dot segment", "/a/b/.%2e", "/a/"},
		{"%2e inside a segment is ordinary", "/a/%2ex", "/a/%2ex"},
		{"a path not starting with / is unchanged", "*", "*"},
		{"a relative path is unchanged", "a/../b", "a/../b"},
		{"empty is unchanged", "", ""},
		{"query only is unchanged", "?a=..", "?a=.."},
		{"gRPC method paths are unchanged", "/pkg.Service/Method", "/pkg.Service/Method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, NormalizePath(tt.in)); diff != "" {
				t.Errorf("NormalizePath(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestNormalizePathAllocatesOnlyWhenChanged(t *testing.T) {
	for _, p := range []string{"/api/v1/items?x=1", "/", "/a.b/c..d/...", "/a//b"} {
		if n := testing.AllocsPerRun(100, func() { _ = NormalizePath(p) }); n != 0 {
			t.Errorf("NormalizePath(%q): %v allocations, want 0 for an unchanged path", p, n)
		}
	}
}

// rfc3986RemoveDotSegments is RFC 3986 §5.2.4 written literally, as the
// reference NormalizePath is checked against (after backslash conversion
// and with %2e read as a dot, as NormalizePath documents).
func rfc3986RemoveDotSegments(in string) string {
	var out []string // segments, each starting with "/" (or the first without)
	for in != "" {
		switch {
		case strings.HasPrefix(in, "../"):
			in = in[3:]
		case strings.HasPrefix(in, "./"):
			in = in[2:]
		case strings.HasPrefix(in, "/./"):
			in = in[2:]
		case in == "/.":
			in = "/"
		case strings.HasPrefix(in, "/../"):
			in = in[3:]
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case in == "/..":
			in = "/"
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case in == "." || in == "..":
			in = ""
		default:
			i := 0
			if in[0] == '/' {
				i = 1
			}
			j := strings.IndexByte(in[i:], '/')
			if j < 0 {
				j = len(in)
			} else {
				j += i
			}
			out = append(out, in[:j])
			in = in[j:]
		}
	}
	return strings.Join(out, "")
}

func referenceNormalize(target string) string {
	path, query, hasQuery := strings.Cut(target, "?")
	path = strings.ReplaceAll(path, `\`, "/")
	if !strings.HasPrefix(path, "/") {
		return target
	}
	// Read %2e as a dot only inside segments made of nothing but dots.
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if d := strings.ReplaceAll(strings.ReplaceAll(s, "%2e", "."), "%2E", "."); d == "." || d == ".." {
			segs[i] = d
		}
	}
	out := rfc3986RemoveDotSegments(strings.Join(segs, "/"))
	if hasQuery {
		out += "?" + query
	}
	return out
}

func TestNormalizePathAgreesWithRFC3986Reference(t *testing.T) {
	alphabet := []string{"/", ".", "a", `\`, "%2e", "?"}
	// Every string of up to 6 symbols from the alphabet.
	var gen func(prefix string, n int)
	count := 0
	gen = func(prefix string, n int) {
		got, want := NormalizePath(prefix), referenceNormalize(prefix)
		if got != want {
			t.Errorf("NormalizePath(%q) = %q, reference %q", prefix, got, want)
		}
		count++
		if n == 0 {
			return
		}
		for _, s := range alphabet {
			gen(prefix+s, n-1)
		}
	}
	gen("", 6)
	if count < 50000 {
		t.Fatalf("only %d inputs checked", count)
	}
}

func FuzzNormalizePath(f *testing.F) {
	for _, s := range []string{"/a/../b", "/a/./b/..", `\a\..\b`, "/%2e%2e/x", "/a?x=/..", "", "*", "/a//../b", "/..."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := NormalizePath(in)
		if want := referenceNormalize(in); got != want {
			t.Fatalf("NormalizePath(%q) = %q, reference %q", in, got, want)
		}
		if again := NormalizePath(got); again != got {
			t.Fatalf("not idempotent: %q → %q → %q", in, got, again)
		}
		_, q1, ok1 := strings.Cut(in, "?")
		_, q2, ok2 := strings.Cut(got, "?")
		if ok1 != ok2 || q1 != q2 {
			t.Fatalf("query changed: %q → %q", in, got)
		}
	})
}
