package match

import (
	"strings"
	"testing"

	networking "istio.io/api/networking/v1alpha3"
)

func TestMatchValuesJoined(t *testing.T) {
	re, _ := Regex(`a,b+`)
	tests := []struct {
		name string
		m    StringMatcher
		vs   []string
		want bool
	}{
		{"exact equals the joined values", Exact("a,b"), []string{"a", "b"}, true},
		{"exact does not equal one value", Exact("a"), []string{"a", "b"}, false},
		{"exact with empty values keeps the commas", Exact(",,"), []string{"", "", ""}, true},
		{"exact of no values is empty", Exact(""), []string{}, true},
		{"prefix inside the first value", Prefix("ab"), []string{"abc", "d"}, true},
		{"prefix across the comma", Prefix("abc,d"), []string{"abc", "de"}, true},
		{"prefix ending at the comma", Prefix("abc,"), []string{"abc", "de"}, true},
		{"prefix longer than the joined value", Prefix("abc,de,"), []string{"abc", "de"}, false},
		{"prefix mismatch in the second value", Prefix("abc,x"), []string{"abc", "de"}, false},
		{"exact with ignore case spans values", StringMatcher{Kind: KindExact, Value: "A,B", IgnoreCase: true}, []string{"a", "b"}, true},
		{"regex sees the joined value", re, []string{"a", "bb"}, true},
		{"presence holds for several values", StringMatcher{}, []string{"a", "b"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := matchValues(&tt.m, "", tt.vs); got != tt.want {
				t.Errorf("matchValues(%s, %q) = %v, want %v", tt.m, tt.vs, got, tt.want)
			}
		})
	}
}

// FuzzHeaderJoin checks that matching several header values piece by piece
// agrees with matching strings.Join(values, ",").
func FuzzHeaderJoin(f *testing.F) {
	f.Add("a,b", "a\x00b", false)
	f.Add("a,", "a\x00\x00", true)
	f.Add("", "\x00", false)
	f.Add("AB,c", "ab\x00C", true)
	f.Fuzz(func(t *testing.T, want, packed string, fold bool) {
		vs := strings.Split(packed, "\x00") // NUL separates the values
		joined := strings.Join(vs, ",")
		for _, kind := range []Kind{KindExact, KindPrefix} {
			m := StringMatcher{Kind: kind, Value: want, IgnoreCase: fold}
			if got, ref := matchValues(&m, "", vs), m.Match(joined); got != ref {
				t.Fatalf("%s on %q: piecewise %v, joined %v", m, vs, got, ref)
			}
		}
	})
}

func TestHeaderMatchAllocatesNothingForOneValue(t *testing.T) {
	m, err := CompileHTTPMatch(&hm{Headers: map[string]*networking.StringMatch{"x-user": exact("jason")}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	req := get("/", "X-User", "jason")
	if n := testing.AllocsPerRun(100, func() { m.Match(&req) }); n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
	multi := get("/", "X-User", "jason", "X-User", "bob")
	m2, _ := CompileHTTPMatch(&hm{Headers: map[string]*networking.StringMatch{"x-user": prefix("jason,b")}}, nil, nil)
	if n := testing.AllocsPerRun(100, func() { m2.Match(&multi) }); n != 0 {
		t.Errorf("prefix over several values: %v allocations, want 0", n)
	}
}
