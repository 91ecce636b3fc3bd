package match

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	networking "istio.io/api/networking/v1alpha3"
)

func TestLiteralPrefix(t *testing.T) {
	re := func(p string) StringMatcher {
		m, err := Regex(p)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	folded := Prefix("/Api")
	folded.IgnoreCase = true
	r2, err := Regexp2Compiler(0)("/re/[0-9]+")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		m    StringMatcher
		want string
	}{
		{"an exact match is its own prefix", Exact("/a/b"), "/a/b"},
		{"a prefix match is its prefix", Prefix("/static/"), "/static/"},
		{"a case-insensitive match has none", folded, ""},
		{"presence has none", StringMatcher{}, ""},
		{"a regex has its literal start", re("/re/r7/[0-9]+"), "/re/r7/"},
		{"a regex starting with a class has none", re("[a-z]+/x"), ""},
		{"a case-folding regex stops at the first letter", re("(?i)/api"), "/"},
		{"a regex prefix stops before non-ASCII", re("/ü/x"), "/"},
		{"regexp2 reports none", StringMatcher{Kind: KindRegex, Value: "/re/[0-9]+", re: r2}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.m.LiteralPrefix()); diff != "" {
				t.Errorf("LiteralPrefix (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSNIHostsAreCompiledLowerCase(t *testing.T) {
	m, err := CompileTLSMatch(&networking.TLSMatchAttributes{SniHosts: []string{"A.Example.com", "*.X.org", "*"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a.example.com", "*.x.org", "*"}, m.SNIHosts()); diff != "" {
		t.Errorf("SNIHosts (-want +got):\n%s", diff)
	}
}
