package match

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	networking "istio.io/api/networking/v1alpha3"
)

func TestCompileStringMatch(t *testing.T) {
	tests := []struct {
		name     string
		in       *networking.StringMatch
		wantKind Kind
		wantVal  string
	}{
		{"nil is presence", nil, KindAny, ""},
		{"{} is presence", present(), KindAny, ""},
		{`regex "*" is presence`, regex("*"), KindAny, ""},
		{"exact keeps its value", exact("a"), KindExact, "a"},
		{`exact "" is accepted`, exact(""), KindExact, ""},
		{"prefix keeps its value", prefix("/p"), KindPrefix, "/p"},
		{"regex keeps the pattern as written", regex(`v\d`), KindRegex, `v\d`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := CompileStringMatch(tt.in, nil)
			if err != nil {
				t.Fatal(err)
			}
			if m.Kind != tt.wantKind || m.Value != tt.wantVal {
				t.Errorf("got %v %q, want %v %q", m.Kind, m.Value, tt.wantKind, tt.wantVal)
			}
		})
	}
}

func TestStringMatcherMatch(t *testing.T) {
	re := func(p string) StringMatcher {
		m, err := Regex(p)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	fold := func(m StringMatcher) StringMatcher { m.IgnoreCase = true; return m }
	tests := []struct {
		name string
		m    StringMatcher
		in   string
		want bool
	}{
		{"presence matches anything", StringMatcher{}, "x", true},
		{"presence matches empty", StringMatcher{}, "", true},
		{"exact is byte-for-byte", Exact("abc"), "abc", true},
		{"exact is case-sensitive", Exact("abc"), "ABC", false},
		{"exact empty matches only empty", Exact(""), "", true},
		{"exact empty rejects non-empty", Exact(""), "a", false},
		{"prefix matches a longer string", Prefix("ab"), "abc", true},
		{"prefix is case-sensitive", Prefix("ab"), "Abc", false},
		{"prefix longer than input fails", Prefix("abc"), "ab", false},
		{"regex must match the whole value", re("abc"), "xabcx", false},
		{"regex matches the whole value", re("abc"), "abc", true},
		{`regex \d+$ matches 123`, re(`\d+$`), "123", true},
		{`regex \d+$ does not match a123`, re(`\d+$`), "a123", false},
		{"regex alternation is anchored as a whole", re("a|b"), "ab", false},
		{"regex (?i) folds case", re("(?i)abc"), "ABC", true},
		{"regex $ does not match before a trailing newline", re("a"), "a\n", false},
		{"regex (?m) inside the pattern does not unanchor it", re("(?m)a"), "a\nb", false},
		{"ignore case exact folds ASCII", fold(Exact("/Api")), "/aPI", true},
		{"ignore case exact does not fold the Kelvin sign", fold(Exact("k")), "\u212a", false},
		{"ignore case exact does not fold non-ASCII letters", fold(Exact("é")), "É", false},
		{"ignore case prefix folds ASCII", fold(Prefix("/API")), "/api/v1", true},
		{"ignore case prefix longer than input fails", fold(Prefix("/API")), "/a", false},
		{"hand-built regex without a pattern matches nothing", StringMatcher{Kind: KindRegex, Value: "x"}, "x", false},
		{"unknown kind matches nothing", StringMatcher{Kind: 99}, "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.m.Match(tt.in); got != tt.want {
				t.Errorf("%s.Match(%q) = %v, want %v", tt.m, tt.in, got, tt.want)
			}
		})
	}
}

func TestCompileStringMatchErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      *networking.StringMatch
		compile RegexCompiler
		want    string
	}{
		{"empty regex is rejected", regex(""), nil, "regex must not be empty"},
		{"RE2 rejects lookarounds", regex(`(?=a)a`), nil, "invalid RE2 regex"},
		{"RE2 rejects backreferences", regex(`(a)\1`), nil, "invalid RE2 regex"},
		{"a pattern cannot escape its anchoring group", regex(`a)|(b`), nil, "invalid RE2 regex"},
		{"regexp2 rejects an unbalanced pattern", regex(`a)|(b`), Regexp2Compiler(0), "invalid regexp2 regex"},
		{"regexp2 rejects a bad pattern", regex(`(`), Regexp2Compiler(0), "invalid regexp2 regex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CompileStringMatch(tt.in, tt.compile)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestRegexp2Compiler(t *testing.T) {
	compile := Regexp2Compiler(50 * time.Millisecond)
	tests := []struct {
		name    string
		pattern string
		in      string
		want    bool
	}{
		{"lookahead works", `(?=.*\d)\w+`, "abc1", true},
		{"lookahead can fail", `(?=.*\d)\w+`, "abc", false},
		{"backreference works", `(a+)b\1`, "aabaa", true},
		{"match is anchored at the start", `b`, "ab", false},
		{"match is anchored at the end", `a`, "ab", false},
		{"end anchor is \\z, not before a newline", `a`, "a\n", false},
		{"alternation is anchored as a whole", `a|b`, "ab", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			re, err := compile(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if got := re.MatchString(tt.in); got != tt.want {
				t.Errorf("MatchString(%q) = %v, want %v", tt.in, got, tt.want)
			}
			if re.String() != tt.pattern {
				t.Errorf("String() = %q, want the pattern as written %q", re.String(), tt.pattern)
			}
		})
	}
}

func TestRegexp2TimeoutCountsAsNoMatch(t *testing.T) {
	re, err := Regexp2Compiler(time.Millisecond)(`(a+)+b`)
	if err != nil {
		t.Fatal(err)
	}
	evil := strings.Repeat("a", 40) // catastrophic backtracking without a "b"
	start := time.Now()
	if re.MatchString(evil) {
		t.Fatal("a timed-out match reported a match")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("match ran %v; the timeout did not stop it", d)
	}
}

func TestRE2StringIsThePatternAsWritten(t *testing.T) {
	re, err := RE2Compiler()(`v\d`)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`v\d`, re.String()); diff != "" {
		t.Error(diff)
	}
}

func TestStringMatcherString(t *testing.T) {
	r, _ := Regex(`a.b`)
	tests := []struct {
		name string
		m    StringMatcher
		want string
	}{
		{"presence", StringMatcher{}, "present"},
		{"exact", Exact("GET"), `= "GET"`},
		{"prefix", Prefix("/api"), `prefix "/api"`},
		{"regex", r, `regex "a.b"`},
		{"ignore case", StringMatcher{Kind: KindPrefix, Value: "/a", IgnoreCase: true}, `prefix "/a" (ignore case)`},
		{"quotes special characters", Exact("a\"b"), `= "a\"b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.m.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	got := []string{KindAny.String(), KindExact.String(), KindPrefix.String(), KindRegex.String(), Kind(9).String()}
	want := []string{"present", "exact", "prefix", "regex", "Kind(9)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
}

func TestStringMatcherMatchAllocatesNothing(t *testing.T) {
	r, _ := Regex(`/api/v[0-9]+/.*`)
	ms := []StringMatcher{Exact("/api"), Prefix("/api"), {Kind: KindExact, Value: "/API", IgnoreCase: true}, r}
	for _, m := range ms {
		m := m
		if n := testing.AllocsPerRun(100, func() { m.Match("/api/v1/items") }); n != 0 {
			t.Errorf("%s: %v allocations per Match, want 0", m, n)
		}
	}
}

func TestRegexMatchersAreSafeForConcurrentUse(t *testing.T) {
	for name, compile := range map[string]RegexCompiler{"RE2": RE2Compiler(), "regexp2": Regexp2Compiler(time.Second)} {
		t.Run(name, func(t *testing.T) {
			m, err := CompileStringMatch(regex(`/api/v\d+/.*`), compile)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan bool)
			for g := range 8 {
				go func() {
					ok := true
					for i := range 200 {
						in := "/api/v" + string(rune('0'+(g+i)%10)) + "/x"
						ok = ok && m.Match(in) && !m.Match(in[1:])
					}
					done <- ok
				}()
			}
			for range 8 {
				if !<-done {
					t.Error("a concurrent match gave a wrong answer")
				}
			}
		})
	}
}
