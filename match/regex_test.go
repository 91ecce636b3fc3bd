package match

import (
	"fmt"
	"math/rand"
	"regexp"
	"regexp/syntax"
	"strings"
	"testing"
)

// compileRE2TwoParses is compileRE2 as it was before paren-free patterns
// got their one-parse path: the pattern is parsed alone, then compiled
// anchored.
func compileRE2TwoParses(pattern string) (Regexp, error) {
	if _, err := syntax.Parse(pattern, syntax.Perl); err != nil {
		return nil, fmt.Errorf("invalid RE2 regex %q: %w", pattern, err)
	}
	re, err := regexp.Compile("^(?:" + pattern + ")$")
	if err != nil {
		return nil, fmt.Errorf("invalid RE2 regex %q: %w", pattern, err)
	}
	return re2Regexp{re, pattern}, nil
}

// sameRE2 reports how compileRE2 and compileRE2TwoParses differ on
// pattern: acceptance, the error text, or a match on one of inputs.
func sameRE2(pattern string, inputs []string) string {
	got, gotErr := compileRE2(pattern)
	want, wantErr := compileRE2TwoParses(pattern)
	switch {
	case (gotErr == nil) != (wantErr == nil):
		return fmt.Sprintf("error %v, want %v", gotErr, wantErr)
	case gotErr != nil:
		if gotErr.Error() != wantErr.Error() {
			return fmt.Sprintf("error %q, want %q", gotErr, wantErr)
		}
		return ""
	case got.String() != want.String():
		return fmt.Sprintf("String %q, want %q", got, want)
	}
	for _, in := range inputs {
		if got.MatchString(in) != want.MatchString(in) {
			return fmt.Sprintf("MatchString(%q) = %v, want %v", in, got.MatchString(in), want.MatchString(in))
		}
	}
	return ""
}

func TestCompileRE2OneParseIsTwoParses(t *testing.T) {
	inputs := []string{"", "a", "ab", "xabx", "/re/r1/42", "/re/r1/", "a\\", "[a", "Q", "é"}
	for _, p := range []string{
		"/re/r1/[0-9]+", "a", "a|b", "^a$", `a\`, `\`, "[a", "[]", "[]a]", "[^]", "*", "a**", "a{2,1}",
		`\Qa`, `\Qa)`, `\q`, `\pZ`, `\p{Greek}`, "a{1001}", "[[:alpha:]]", "[[:nope:]]", "\xff", "|", "a|*",
		"a)|(b", "(", ")", "a(b)c", ")(", "(?i)a", "(?P<x>a)", `\(a\)`,
	} {
		if diff := sameRE2(p, inputs); diff != "" {
			t.Errorf("pattern %q: %s", p, diff)
		}
	}
	// Random paren-free patterns over regex syntax: the one-parse path
	// accepts exactly the patterns the two-parse path does.
	alphabet := []string{"a", "b", `\`, "[", "]", "^", "$", "*", "+", "?", "{", "}", "1", ",", "|", ".",
		"-", ":", `\Q`, `\E`, `\d`, `\p`, "{2}", "{2,", "[:alpha:]", "[^", "é", "\xff", `\x{`, `\z`, "}{"}
	r := rand.New(rand.NewSource(8))
	for range 20000 {
		var b strings.Builder
		for range 1 + r.Intn(8) {
			b.WriteString(alphabet[r.Intn(len(alphabet))])
		}
		if diff := sameRE2(b.String(), inputs); diff != "" {
			t.Fatalf("pattern %q: %s", b.String(), diff)
		}
	}
}
