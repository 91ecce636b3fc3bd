package route

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHeaderOpsApplyMetadata(t *testing.T) {
	tests := []struct {
		name string
		ops  HeaderOps
		md   map[string][]string
		want map[string][]string
	}{
		{"set replaces every value under the lower-case name",
			HeaderOps{levels: []*headerOps{{set: []HeaderValue{{Name: "X-Route", Value: "a"}}}}},
			map[string][]string{"x-route": {"old", "older"}},
			map[string][]string{"x-route": {"a"}}},
		{"add appends to existing values",
			HeaderOps{levels: []*headerOps{{add: []HeaderValue{{Name: "X-Trace", Value: "b"}}}}},
			map[string][]string{"x-trace": {"a"}},
			map[string][]string{"x-trace": {"a", "b"}}},
		{"remove deletes every value",
			HeaderOps{levels: []*headerOps{{remove: []string{"X-Secret"}}}},
			map[string][]string{"x-secret": {"s"}, "x-keep": {"k"}},
			map[string][]string{"x-keep": {"k"}}},
		{"within a level removals come before sets",
			HeaderOps{levels: []*headerOps{{remove: []string{"X-A"}, set: []HeaderValue{{Name: "X-A", Value: "1"}}}}},
			map[string][]string{"x-a": {"0"}},
			map[string][]string{"x-a": {"1"}}},
		{"a later level's removal deletes an earlier level's set (weighted destination, then route)",
			HeaderOps{levels: []*headerOps{{set: []HeaderValue{{Name: "X-A", Value: "dest"}}}, {remove: []string{"X-A"}}}},
			map[string][]string{},
			map[string][]string{}},
		{"a later level's set wins over an earlier one",
			HeaderOps{levels: []*headerOps{{set: []HeaderValue{{Name: "X-A", Value: "route"}}}, {set: []HeaderValue{{Name: "X-A", Value: "dest"}}}}},
			map[string][]string{},
			map[string][]string{"x-a": {"dest"}}},
		{"no operations change nothing", HeaderOps{}, map[string][]string{"x": {"1"}}, map[string][]string{"x": {"1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.ops.ApplyMetadata(tt.md)
			if diff := cmp.Diff(tt.want, tt.md); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestApplyMetadataAllocatesNoNames: compiled operations carry their
// lower-case names, so applying them to metadata allocates only the value
// slices of set operations.
func TestApplyMetadataAllocatesNoNames(t *testing.T) {
	tbl := oneRule(t, `  - headers:
      request:
        set: {X-Route: a}
        add: {X-Trace: b}
        remove: [X-Secret]
    route: [{destination: {host: svc}}]
`)
	ops := tbl.Decide(req("GET", "svc", "/")).RequestHeaders
	md := map[string][]string{"x-route": {"old"}, "x-trace": make([]string, 0, 4), "x-secret": {"s"}}
	allocs := testing.AllocsPerRun(100, func() {
		md["x-secret"] = nil
		md["x-trace"] = md["x-trace"][:0]
		ops.ApplyMetadata(md)
	})
	if allocs != 1 { // the set's []string{"a"}
		t.Errorf("ApplyMetadata: %v allocations per run, want 1 (the set's value slice)", allocs)
	}
	want := map[string][]string{"x-route": {"a"}, "x-trace": {"b"}}
	if diff := cmp.Diff(want, md); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
