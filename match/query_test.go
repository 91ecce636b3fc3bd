package match

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestQueryParam(t *testing.T) {
	type result struct {
		Value   string
		Present bool
	}
	tests := []struct {
		name, query, key string
		want             result
	}{
		{"key=value", "a=1", "a", result{"1", true}},
		{"key among others", "x=0&a=1&b=2", "a", result{"1", true}},
		{"key without = is present and empty", "debug", "debug", result{"", true}},
		{"key= is present and empty", "debug=", "debug", result{"", true}},
		{"absent key", "a=1", "b", result{"", false}},
		{"empty query", "", "a", result{"", false}},
		{"first occurrence wins", "a=1&a=2", "a", result{"1", true}},
		{"first occurrence wins even when empty", "a&a=2", "a", result{"", true}},
		{"keys are case-sensitive", "A=1", "a", result{"", false}},
		{"keys are not percent-decoded", "a%20b=1", "a b", result{"", false}},
		{"raw percent-encoded key matches literally", "a%20b=1", "a%20b", result{"1", true}},
		{"values are not percent-decoded", "a=%2F", "a", result{"%2F", true}},
		{"plus stays a plus", "a=x+y", "a", result{"x+y", true}},
		{"value keeps later =", "a=b=c", "a", result{"b=c", true}},
		{"empty parameters are skipped", "&&a=1&", "a", result{"1", true}},
		{"a key prefix is not the key", "ab=1", "a", result{"", false}},
		{"semicolon is not a separator", "a=1;b=2", "b", result{"", false}},
		{"empty key matches =v", "=v", "", result{"v", true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := QueryParam(tt.query, tt.key)
			if diff := cmp.Diff(tt.want, result{v, ok}); diff != "" {
				t.Errorf("QueryParam(%q, %q) (-want +got):\n%s", tt.query, tt.key, diff)
			}
		})
	}
}

func TestQueryParamAllocatesNothing(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { QueryParam("x=0&a=1&b=2", "b") }); n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}

// referenceQueryParam splits the whole query first, the plain way.
func referenceQueryParam(q, key string) (string, bool) {
	for _, p := range strings.Split(q, "&") {
		if p == "" {
			continue
		}
		k, v := p, ""
		if i := strings.Index(p, "="); i >= 0 {
			k, v = p[:i], p[i+1:]
		}
		if k == key {
			return v, true
		}
	}
	return "", false
}

func FuzzQueryParam(f *testing.F) {
	f.Add("a=1&b=2", "b")
	f.Add("debug", "debug")
	f.Add("a&a=2", "a")
	f.Add("&&=x&", "")
	f.Add("k=v=w", "k")
	f.Fuzz(func(t *testing.T, q, key string) {
		v, ok := QueryParam(q, key)
		rv, rok := referenceQueryParam(q, key)
		if v != rv || ok != rok {
			t.Fatalf("QueryParam(%q, %q) = %q, %v; reference %q, %v", q, key, v, ok, rv, rok)
		}
		if ok && !strings.Contains(q, v) {
			t.Fatalf("value %q is not a substring of %q", v, q)
		}
	})
}
