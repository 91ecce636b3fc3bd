package route

import (
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// TestHostRecordsWhereverTheyLive: a host's record is the same whichever
// table holds it (the entry of its shortest exact domain, a suffix
// wildcard's entry, or inlineSlab) and whichever domain finds it: same
// virtual host, same clauses (uri, kind, plan), for small hosts and for
// one with more clauses than a record holds inline, by exact domain, by
// another exact domain of the same host, by suffix wildcard, by prefix
// wildcard and in any case.
func TestHostRecordsWhereverTheyLive(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: exact-only}
spec:
  hosts: [a.example.com]
  http:
  - match: [{uri: {prefix: /a1}}]
    route: [{destination: {host: a1.svc}}]
  - route: [{destination: {host: a2.svc}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: exact-and-wildcard}
spec:
  hosts: [b.example.com, "*.b.example.com", c.example.com]
  http:
  - match: [{uri: {exact: /b}}]
    route: [{destination: {host: b1.svc}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: wildcard-only}
spec:
  hosts: ["*.w.example.com", "*.v.example.com"]
  http:
  - route: [{destination: {host: w.svc}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: prefix-wildcard}
spec:
  hosts: ["*-p.example.com"]
  http:
  - route: [{destination: {host: p.svc}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: big}
spec:
  hosts: [big.example.com, "*.big.example.com"]
  http:
  - match: [{uri: {exact: /1}}, {uri: {exact: /2}}]
    route: [{destination: {host: big1.svc}}]
  - match: [{uri: {exact: /3}}, {uri: {exact: /4}}]
    route: [{destination: {host: big2.svc}}]
`)
	v := tbl.meshSelf
	type clause struct {
		Kind slotKind
		URI  string
		Plan *rulePlan
	}
	clauses := func(slots []slot) []clause {
		var out []clause
		for _, s := range slots {
			out = append(out, clause{s.kind, s.uri, s.plan})
		}
		return out
	}
	for _, c := range []struct {
		authority, host string
		clauses         int
	}{
		{"a.example.com", "a.example.com", 2},
		{"A.Example.COM:80", "a.example.com", 2},
		{"b.example.com", "b.example.com", 1},
		{"x.b.example.com", "*.b.example.com", 1},
		{"c.example.com", "c.example.com", 1},
		{"x.w.example.com", "*.w.example.com", 1},
		{"X.V.example.com", "*.v.example.com", 1},
		{"q-p.example.com", "*-p.example.com", 1},
		{"big.example.com", "big.example.com", 4},
		{"y.big.example.com", "*.big.example.com", 4},
	} {
		r := v.findHost(c.authority)
		if r.vh == nil {
			t.Errorf("%s: no virtual host", c.authority)
			continue
		}
		if r.vh.host != c.host {
			t.Errorf("%s: virtual host of %q, want the one of %q", c.authority, r.vh.host, c.host)
		}
		if diff := cmp.Diff(clauses(r.vh.slots), clauses(r.slots), cmp.Comparer(func(a, b *rulePlan) bool { return a == b })); diff != "" {
			t.Errorf("%s: record's clauses differ from the virtual host's (-vhost +record):\n%s", c.authority, diff)
		}
		if len(r.slots) != c.clauses {
			t.Errorf("%s: %d clauses, want %d", c.authority, len(r.slots), c.clauses)
		}
		if r.inlinable() {
			// The clauses are inside the record found, not in another copy.
			off := uintptr(unsafe.Pointer(&r.slots[0])) - uintptr(unsafe.Pointer(r))
			if off >= unsafe.Sizeof(inlineHostRef{}) {
				t.Errorf("%s: the record's clauses are %d bytes away, outside it", c.authority, off)
			}
		}
	}
}

// TestShortNameEntryHoldsTheRecord: a Kubernetes service's record is in
// the entry of its shortest domain, the bare name its own namespace's
// callers use; its other forms find the same record; and a caller in
// another namespace, which has no bare name, gets it under "name.ns".
func TestShortNameEntryHoldsTheRecord(t *testing.T) {
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews}}]
`)
	for _, c := range []struct {
		view    *view
		primary string
		others  []string
	}{
		{tbl.meshViews["default"], "reviews", []string{"reviews.default", "reviews.default.svc", "reviews.default.svc.cluster.local", "Reviews:9080"}},
		{tbl.meshOther, "reviews.default", []string{"reviews.default.svc", "reviews.default.svc.cluster.local"}},
	} {
		ir := c.view.exactSmall.find(c.primary)
		if ir == nil {
			t.Fatalf("view %q: %q holds no record", c.view.namespace, c.primary)
		}
		for _, a := range append([]string{c.primary}, c.others...) {
			if got := c.view.findHost(a); got != &ir.hostRef {
				t.Errorf("view %q: %s found %p, want the record in %q's entry (%p)", c.view.namespace, a, got, c.primary, &ir.hostRef)
			}
		}
	}
}
