package route

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	ihost "github.com/meshroute/meshroute/internal/host"
)

// registryOwnerScan is the plain definition registryOwner implements: of
// the claimed wildcards that match h and are not default routes, the
// longest, then the first in string order.
func registryOwnerScan(claimed map[string]*vhost, h string) *vhost {
	if ihost.IsWildcard(h) {
		return nil
	}
	var best *vhost
	for w, owner := range claimed {
		if !ihost.IsWildcard(w) || owner.defaultRoute != nil || !ihost.MatchesRequest(w, h) {
			continue
		}
		if best == nil || len(w) > len(best.host) || (len(w) == len(best.host) && w < best.host) {
			best = owner
		}
	}
	return best
}

func TestRegistryOwnerPicksTheMostSpecificWildcard(t *testing.T) {
	claim := func(hosts ...string) map[string]*vhost {
		m := map[string]*vhost{}
		for _, h := range hosts {
			m[h] = &vhost{host: h}
		}
		return m
	}
	tests := []struct {
		name    string
		claimed map[string]*vhost
		host    string
		want    string // the owner's host, "" for none
	}{
		{"the longest label-boundary suffix wins", claim("*", "*.c", "*.b.c"), "a.b.c", "*.b.c"},
		{"a partial wildcard longer than the suffix wins", claim("*.b.c", "*x.b.c"), "ax.b.c", "*x.b.c"},
		{"a partial wildcard that does not match is ignored", claim("*.b.c", "*y.b.c"), "ax.b.c", "*.b.c"},
		{"* covers what nothing else does", claim("*", "*.c"), "q.z", "*"},
		{"no wildcard, no owner", claim("a.b.c"), "a.b.c", ""},
		{"a wildcard registry host has no owner", claim("*"), "*.b.c", ""},
		{"the suffix must be shorter than the host", claim("*.b.c"), ".b.c", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &compiler{}
			got := ""
			if vh := c.registryOwner(tt.claimed, partialWildcards(tt.claimed), tt.host); vh != nil {
				got = vh.host
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("registryOwner(%q) (-want +got):\n%s", tt.host, diff)
			}
		})
	}
}

// TestRegistryOwnerAgreesWithScan compares registryOwner with the plain
// scan on random claims, default routes among them.
func TestRegistryOwnerAgreesWithScan(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	labels := []string{"a", "b", "xa", "c", "ab"}
	name := func(n int) string {
		s := labels[r.IntN(len(labels))]
		for range n {
			s += "." + labels[r.IntN(len(labels))]
		}
		return s
	}
	c := &compiler{}
	for range 2000 {
		claimed := map[string]*vhost{}
		for range 1 + r.IntN(8) {
			w := "*." + name(r.IntN(3))
			switch r.IntN(4) {
			case 0:
				w = "*" + name(r.IntN(3)) // partial
			case 1:
				w = "*"
			}
			vh := &vhost{host: w}
			if r.IntN(5) == 0 {
				vh.defaultRoute = &routeDest{}
			}
			claimed[w] = vh
		}
		h := name(r.IntN(4))
		if diff := cmp.Diff(registryOwnerScan(claimed, h), c.registryOwner(claimed, partialWildcards(claimed), h), cmp.Comparer(func(a, b *vhost) bool { return a == b })); diff != "" {
			t.Fatalf("registryOwner(%q) over %v (-scan +got):\n%s", h, claimed, diff)
		}
	}
}
