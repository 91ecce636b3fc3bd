package host

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestValidateWildcardDomain(t *testing.T) {
	const badLabel = "has an invalid label %q (letters, digits and '-', at most 63, not starting or ending with '-')"
	const misplaced = `has a wildcard that is not at the start of the first label (write "*.example.com")`
	tests := []struct {
		name, host, want string
	}{
		{"a plain name is valid", "reviews", ""},
		{"a dotted name is valid", "reviews.default.svc.cluster.local", ""},
		{"a trailing dot is allowed", "istio.io.", ""},
		{"a trailing dot right after the first label is allowed, as in Istio", "0.", ""},
		{"upper case is allowed", "Reviews.Example.COM", ""},
		{"* alone is valid", "*", ""},
		{"a leading wildcard label is valid", "*.foo.com", ""},
		{"a wildcard prefix of the first label is valid", "*foo.com", ""},
		{"a wildcard-dash prefix is valid", "*-bar.foo.com", ""},
		{"the empty name is rejected", "", "must not be empty"},
		{"names longer than 255 are rejected", strings.Repeat("a.", 128), "is longer than 255 characters"},
		{"a wildcard in a later label is rejected", "foo.*.com", misplaced},
		{"a wildcard at the end of the first label is rejected", "foo*.com", misplaced},
		{"two wildcards are rejected", "**.com", misplaced},
		{"an all-numeric top-level label is rejected", "foo.123", `has an all-numeric top-level label "123"`},
		{"an empty label is rejected", "a..b", fmt.Sprintf(badLabel, "")},
		{"a label ending in - is rejected", "a-.b", fmt.Sprintf(badLabel, "a-")},
		{"an underscore is rejected", "a_b.com", fmt.Sprintf(badLabel, "a_b")},
		{"a label longer than 63 is rejected", strings.Repeat("a", 64) + ".com", fmt.Sprintf(badLabel, strings.Repeat("a", 64))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, errText(ValidateWildcardDomain(tc.host))); diff != "" {
				t.Errorf("ValidateWildcardDomain(%q) (-want +got):\n%s", tc.host, diff)
			}
		})
	}
}

func TestValidateFQDN(t *testing.T) {
	tests := []struct {
		name, host, want string
	}{
		{"a DNS name is valid", "api.example.com", ""},
		{"a wildcard is not a plain DNS name", "*.example.com", `has an invalid label "*" (letters, digits and '-', at most 63, not starting or ending with '-')`},
		{"an IP address has an all-numeric top-level label", "10.0.0.1", `has an all-numeric top-level label "1"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, errText(ValidateFQDN(tc.host))); diff != "" {
				t.Errorf("ValidateFQDN(%q) (-want +got):\n%s", tc.host, diff)
			}
		})
	}
}

func TestNamePredicates(t *testing.T) {
	type result struct{ Label, LowerLabel, Subdomain, IP, IPOrCIDR, Partial bool }
	tests := []struct {
		in   string
		want result
	}{
		{"v1", result{Label: true, LowerLabel: true, Subdomain: true}},
		{"V1", result{Label: true}},
		{"a.b", result{Subdomain: true}},
		{"10.0.0.1", result{Subdomain: true, IP: true, IPOrCIDR: true}},
		{"10.0.0.0/8", result{IPOrCIDR: true}},
		{"2001:db8::1", result{IP: true, IPOrCIDR: true}},
		{"fe80::1%eth0", result{}},
		{"*foo.com", result{Partial: true}},
		{"*.foo.com", result{}},
		{"", result{}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got := result{IsDNS1123Label(tc.in), IsLowerDNS1123Label(tc.in), IsDNS1123Subdomain(tc.in), IsIP(tc.in), IsIPOrCIDR(tc.in), IsPartialWildcard(tc.in)}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("predicates of %q (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func FuzzValidateWildcardDomain(f *testing.F) {
	for _, s := range []string{"*.foo.com", "foo.*.com", "a..b", "istio.io.", "*", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateWildcardDomain(s)
		if err == nil && (s == "" || len(s) > MaxNameLength || strings.Contains(strings.TrimPrefix(s, "*"), "*")) {
			t.Errorf("ValidateWildcardDomain(%q) accepted an invalid name", s)
		}
		if ValidateFQDN(s) == nil && err != nil {
			t.Errorf("%q is a valid FQDN but not a valid wildcard domain: %v", s, err)
		}
	})
}
