package kubesource

import (
	"fmt"
	"strconv"
	"testing"

	"istio.io/client-go/pkg/clientset/versioned/fake"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/meshroute/meshroute/route"
)

// benchSource returns a Source whose informer caches hold n
// VirtualServices (over n/10 hosts) and one DestinationRule, with the first
// table applied. Its informers are never started: the benchmarks drive
// rebuild directly.
func benchSource(b *testing.B, n int) *Source {
	b.Helper()
	store, err := route.NewStore(&route.Config{})
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(fake.NewSimpleClientset(), store, WithLogger(discardLogger()))
	if err != nil {
		b.Fatal(err)
	}
	vsStore := s.informers[0].informer.GetStore()
	for i := range n {
		host := fmt.Sprintf("svc-%d.shop.svc.cluster.local", i/10)
		if err := vsStore.Add(reviewsVS("shop", "vs-"+strconv.Itoa(i), "1", host, "", nil)); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.informers[1].informer.GetStore().Add(reviewsDR("1")); err != nil {
		b.Fatal(err)
	}
	s.rebuild()
	s.status.Synced = true
	if got := s.Status().Objects; got != n+1 {
		b.Fatalf("first table has %d objects, want %d", got, n+1)
	}
	return s
}

// BenchmarkRebuildUnchanged is what a resync (or an event that changed
// nothing) costs: reading the caches and finding every version known.
func BenchmarkRebuildUnchanged(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(strconv.Itoa(n)+"objects", func(b *testing.B) {
			s := benchSource(b, n)
			applied := s.Status().Applied
			b.ReportAllocs()
			for b.Loop() {
				s.rebuild()
			}
			if s.Status().Applied != applied {
				b.Fatal("an unchanged rebuild applied a table")
			}
		})
	}
}

// BenchmarkRebuildOneChanged is the cost of one edited object: converting
// and validating it, then compiling and swapping the whole table.
func BenchmarkRebuildOneChanged(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(strconv.Itoa(n)+"objects", func(b *testing.B) {
			s := benchSource(b, n)
			vsStore := s.informers[0].informer.GetStore()
			rv := 1
			b.ReportAllocs()
			for b.Loop() {
				rv++
				if err := vsStore.Update(reviewsVS("shop", "vs-0", strconv.Itoa(rv), "svc-0.shop.svc.cluster.local", "", nil)); err != nil {
					b.Fatal(err)
				}
				s.rebuild()
			}
		})
	}
}

func BenchmarkEndpointsFromSlices(b *testing.B) {
	var eps []discoveryv1.Endpoint
	for i := range 100 {
		eps = append(eps, endpoint(fmt.Sprintf("10.0.%d.%d", i/250, i%250), fmt.Sprintf("pod-%d", i)))
	}
	slices := []*discoveryv1.EndpointSlice{slice("shop", "s1", "reviews", "1", httpPort, eps...)}
	labels := map[string]string{"app": "reviews", "version": "v1"}
	podLabels := func(string, string) map[string]string { return labels }
	b.ReportAllocs()
	for b.Loop() {
		if got := EndpointsFromSlices(slices, podLabels); len(got) != 100 {
			b.Fatalf("got %d endpoints", len(got))
		}
	}
}
