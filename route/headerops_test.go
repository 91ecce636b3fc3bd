package route

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHeaderOpsApply: the HTTP form of the operations, level by level,
// removals before sets before adds (Envoy's order).
func TestHeaderOpsApply(t *testing.T) {
	tests := []struct {
		name      string
		ops       HeaderOps
		hdr, want http.Header
	}{
		{"set replaces every value",
			HeaderOps{levels: []*headerOps{{set: []HeaderValue{{Name: "X-Route", Value: "a"}}}}},
			http.Header{"X-Route": {"old", "older"}},
			http.Header{"X-Route": {"a"}}},
		{"add appends to existing values",
			HeaderOps{levels: []*headerOps{{add: []HeaderValue{{Name: "X-Trace", Value: "b"}}}}},
			http.Header{"X-Trace": {"a"}},
			http.Header{"X-Trace": {"a", "b"}}},
		{"remove deletes every value",
			HeaderOps{levels: []*headerOps{{remove: []string{"X-Secret"}}}},
			http.Header{"X-Secret": {"s"}, "X-Keep": {"k"}},
			http.Header{"X-Keep": {"k"}}},
		{"within a level removals come before sets, sets before adds",
			HeaderOps{levels: []*headerOps{{remove: []string{"X-A"}, set: []HeaderValue{{Name: "X-A", Value: "1"}},
				add: []HeaderValue{{Name: "X-A", Value: "2"}}}}},
			http.Header{"X-A": {"0"}},
			http.Header{"X-A": {"1", "2"}}},
		{"several sets of one level each get their own value",
			HeaderOps{levels: []*headerOps{{set: []HeaderValue{{Name: "X-A", Value: "1"}, {Name: "X-B", Value: "2"}, {Name: "X-C", Value: "3"}}}}},
			http.Header{},
			http.Header{"X-A": {"1"}, "X-B": {"2"}, "X-C": {"3"}}},
		{"a later level's removal deletes an earlier level's set",
			HeaderOps{levels: []*headerOps{{set: []HeaderValue{{Name: "X-A", Value: "dest"}}}, {remove: []string{"X-A"}}}},
			http.Header{},
			http.Header{}},
		{"no operations change nothing", HeaderOps{}, http.Header{"X": {"1"}}, http.Header{"X": {"1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.ops.Apply(tt.hdr)
			if diff := cmp.Diff(tt.want, tt.hdr); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestHeaderOpsApplyValuesAreTheCallers: the values Apply sets share one
// array per level, but each header may be changed or appended to without
// touching the others, the compiled operations or the next request's
// headers; and a level's sets cost one allocation.
func TestHeaderOpsApplyValuesAreTheCallers(t *testing.T) {
	ops := HeaderOps{levels: []*headerOps{{set: []HeaderValue{{Name: "X-A", Value: "1"}, {Name: "X-B", Value: "2"}}}}}
	first := http.Header{}
	ops.Apply(first)
	first["X-A"] = append(first["X-A"], "appended")
	first["X-B"][0] = "changed"
	second := http.Header{}
	ops.Apply(second)
	want := http.Header{"X-A": {"1", "appended"}, "X-B": {"changed"}}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("first request's headers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(http.Header{"X-A": {"1"}, "X-B": {"2"}}, second); diff != "" {
		t.Errorf("next request's headers (-want +got):\n%s", diff)
	}
	hdr := http.Header{"X-A": nil, "X-B": nil} // the map has room: only the values allocate
	if n := testing.AllocsPerRun(100, func() { ops.Apply(hdr) }); n != 1 {
		t.Errorf("Apply with two sets: %v allocations, want 1", n)
	}
}
