package route

import (
	"fmt"
	"strings"
	"testing"

	"github.com/meshroute/meshroute/match"
)

// regexRoutesVS is a VirtualService whose rules match the uri regexes given.
func regexRoutesVS(patterns ...string) string {
	var b strings.Builder
	b.WriteString("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: re}\nspec:\n  hosts: [re.example.com]\n  http:\n")
	for _, p := range patterns {
		fmt.Fprintf(&b, "  - match: [{uri: {regex: %q}}]\n    route: [{destination: {host: backend}}]\n", p)
	}
	return b.String()
}

// TestStoreUpdateReusesRegexes: a Store's reload takes the regexes the
// table in force has compiled instead of compiling them again, compiles
// the new ones, forgets the ones no longer used, and reuses nothing from
// a table compiled with another regex engine.
func TestStoreUpdateReusesRegexes(t *testing.T) {
	load := func(yaml string) *Config {
		t.Helper()
		cfg, err := LoadBytes([]byte(yaml), "re.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	s, err := NewStore(load(regexRoutesVS("/a/[0-9]+", "/b/[a-z]+")))
	if err != nil {
		t.Fatal(err)
	}
	first := s.Table().regexes
	if err := s.Update(load(regexRoutesVS("/a/[0-9]+", "/c/.*"))); err != nil {
		t.Fatal(err)
	}
	second := s.Table().regexes
	if len(second) != 2 {
		t.Errorf("the reloaded table keeps %d regexes, want its own 2: %v", len(second), keys(second))
	}
	if second["/a/[0-9]+"] != first["/a/[0-9]+"] {
		t.Error("/a/[0-9]+: compiled again, want the previous table's Regexp")
	}
	if re := second["/c/.*"]; re == nil || !re.MatchString("/c/x") {
		t.Errorf("/c/.*: %v, want a compiled regex matching /c/x", re)
	}
	if _, ok := second["/b/[a-z]+"]; ok {
		t.Error("/b/[a-z]+: kept although no rule uses it any more")
	}
	if d := s.Decide(req("GET", "re.example.com", "/a/12")); d.Rule.Index != 0 {
		t.Errorf("/a/12 decided by rule %d, want 0 (the reused regex)", d.Rule.Index)
	}

	// A table of another engine shares nothing.
	other, err := Compile(load(regexRoutesVS("/a/[0-9]+")), WithRegexEngine(Regexp2))
	if err != nil {
		t.Fatal(err)
	}
	s.Swap(other)
	if err := s.Update(load(regexRoutesVS("/a/[0-9]+"))); err != nil {
		t.Fatal(err)
	}
	if got := s.Table().regexes["/a/[0-9]+"]; got == other.regexes["/a/[0-9]+"] {
		t.Error("RE2 table reused the regexp2 table's Regexp")
	}
}

func keys(m map[string]match.Regexp) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
