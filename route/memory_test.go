package route

import (
	"runtime"
	"testing"

	"github.com/meshroute/meshroute/match"
)

// TestDecideCommonPathAllocatesNothing pins that requests on the common
// path (routed without a rewrite, a direct response, a passthrough)
// cost no allocation.
func TestDecideCommonPathAllocatesNothing(t *testing.T) {
	tbl := compileYAML(t, workedExample)
	tests := []struct {
		name       string
		authority  string
		path       string
		header     []string
		wantAction Action
	}{
		{"weighted split without rewrite", "reviews.bookinfo", "/products", nil, ActionRoute},
		{"header that does not match falls to the split", "reviews.bookinfo:9080", "/api/x", []string{"end-user: mallory"}, ActionRoute},
		{"fully qualified host", "reviews.bookinfo.svc.cluster.local", "/", nil, ActionRoute},
		{"direct response on a query parameter", "reviews.bookinfo", "/x?debug", nil, ActionDirectResponse},
		{"host in no VirtualService passes through", "unknown.example", "/", nil, ActionRoute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := req("GET", tc.authority, tc.path, tc.header...)
			q.SourceNamespace = "bookinfo"
			if d := tbl.Decide(q); d.Action != tc.wantAction {
				t.Fatalf("action %v, want %v", d.Action, tc.wantAction)
			}
			if allocs := testing.AllocsPerRun(1000, func() { _ = tbl.Decide(q) }); allocs != 0 {
				t.Errorf("Decide allocates %v times per request, want 0", allocs)
			}
		})
	}
}

// TestDecideMemoryStaysFlat makes 1,000,000 decisions and checks the heap
// did not grow and almost nothing was allocated.
func TestDecideMemoryStaysFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000,000 decisions; run without -short")
	}
	const n = 1_000_000
	tbl := compileYAML(t, workedExample)
	qs := [...]struct{ authority, path string }{
		{"reviews.bookinfo", "/products"},
		{"reviews.bookinfo:9080", "/api/x"},
		{"reviews.bookinfo.svc.cluster.local", "/"},
		{"reviews.bookinfo", "/x?debug"},
	}
	var before, after runtime.MemStats
	matchReqs := make([]*match.Request, 0, len(qs))
	for _, r := range qs {
		matchReqs = append(matchReqs, req("GET", r.authority, r.path, "end-user: mallory"))
	}
	runtime.GC()
	runtime.ReadMemStats(&before)
	var routed int
	for i := 0; i < n; i++ {
		if d := tbl.Decide(matchReqs[i%len(matchReqs)]); d.Action == ActionRoute {
			routed++
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	mallocs := after.Mallocs - before.Mallocs
	growth := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d decisions (%d routed): %d allocations, heap %+d bytes", n, routed, mallocs, growth)
	if routed != n*3/4 {
		t.Errorf("%d of %d decisions routed, want 3 in 4", routed, n)
	}
	// A few allocations come from the runtime and the test itself; one
	// per decision would be a million.
	if mallocs > 1000 {
		t.Errorf("%d allocations over %d decisions, want none", mallocs, n)
	}
	if growth > 1<<20 {
		t.Errorf("heap grew %d bytes over %d decisions", growth, n)
	}
}

// BenchmarkDecideCommonPath is the weighted split of the worked example,
// routed without a rewrite.
func BenchmarkDecideCommonPath(b *testing.B) {
	tbl := compileYAML(b, workedExample)
	q := req("GET", "reviews.bookinfo", "/products")
	b.ReportAllocs()
	for b.Loop() {
		_ = tbl.Decide(q)
	}
}
