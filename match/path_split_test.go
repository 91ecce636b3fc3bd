package match

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// splitWant is what NormalizePathSplit must return: NormalizePath, and
// where its query begins.
func splitWant(target string) [2]any {
	n := NormalizePath(target)
	end := len(n)
	if i := strings.IndexByte(n, '?'); i >= 0 {
		end = i
	}
	return [2]any{n, end}
}

func TestNormalizePathSplit(t *testing.T) {
	for _, target := range []string{
		"", "/", "*", "/a/b", "/a/b?x=1", "/a/./b?q=/../", "/a/../b", `\a\b?c`, "/a/%2e%2E/b",
		"/app-1.js", "/a?", "?x", "/a/b/..", "/%zz", "/q?a/./b",
		// Only a segment starting with '.' or '%' can be a dot segment.
		"/v1.2/img/3.png?x=/./", "/a/.b", "/a/b.", "/a/b.%2e", "/a/x%2e%2e/c", "/a/%2e.", "/.", "/..",
		"./a", "a/./b", ".", "%2e", "/a/..%2f/b",
	} {
		t.Run(target, func(t *testing.T) {
			got, end := NormalizePathSplit(target)
			if diff := cmp.Diff(splitWant(target), [2]any{got, end}); diff != "" {
				t.Errorf("NormalizePathSplit(%q) (-want +got):\n%s", target, diff)
			}
		})
	}
}

func FuzzNormalizePathSplit(f *testing.F) {
	for _, s := range []string{"/a/./b?x", "/a/b", `\x\..\y`, "/%2e/?", "?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		got, end := NormalizePathSplit(target)
		if diff := cmp.Diff(splitWant(target), [2]any{got, end}); diff != "" {
			t.Errorf("NormalizePathSplit(%q) (-want +got):\n%s", target, diff)
		}
	})
}

func BenchmarkNormalizePathSplit(b *testing.B) {
	for _, target := range []string{"/api/v1/svc12/items?page=2", "/static/app-12.js", "/a/./b/../c", "/static/r3/img/3.png"} {
		b.Run(target, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = NormalizePathSplit(target)
			}
		})
	}
}
