package host

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"
)

// The regular expressions the label checks were written as; the loops
// must accept exactly what they match.
var (
	dnsLabelRE      = regexp.MustCompile(`^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$`)
	lowerLabelRE    = regexp.MustCompile(`^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$`)
	wildcardLabelRE = regexp.MustCompile(`^(?:\*|(?:\*|\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)$`)
)

func TestLabelLoopsMatchTheirRegexps(t *testing.T) {
	check := func(s string) {
		t.Helper()
		if got, want := isLabel(s, true), dnsLabelRE.MatchString(s); got != want {
			t.Fatalf("isLabel(%q, upper) = %v, want %v", s, got, want)
		}
		if got, want := isLabel(s, false), lowerLabelRE.MatchString(s); got != want {
			t.Fatalf("isLabel(%q, lower) = %v, want %v", s, got, want)
		}
		if got, want := isWildcardLabel(s), wildcardLabelRE.MatchString(s); got != want {
			t.Fatalf("isWildcardLabel(%q) = %v, want %v", s, got, want)
		}
		want := s != "" && len(s) <= 253
		for _, l := range strings.Split(s, ".") {
			want = want && lowerLabelRE.MatchString(l)
		}
		if got := IsDNS1123Subdomain(s); got != want {
			t.Fatalf("IsDNS1123Subdomain(%q) = %v, want %v", s, got, want)
		}
	}
	for _, s := range []string{"", "a", "A", "-", "a-", "-a", "a-b", "a--b", "*", "**", "*a", "*-a", "*-", "*--a", "*-*a",
		"a*", "é", "a\n", "\na", "a.b", "a..b", ".", "a.", "0", "9-9", "Z-z"} {
		check(s)
	}
	alphabet := "aZ09-*._\n\xc3\xa9"
	r := rand.New(rand.NewSource(1))
	for range 200000 {
		b := make([]byte, r.Intn(7))
		for i := range b {
			b[i] = alphabet[r.Intn(len(alphabet))]
		}
		check(string(b))
	}
}
