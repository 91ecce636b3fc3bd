package routegrpc

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/subset"
)

func TestRouterKeepsOneConnPerEndpoint(t *testing.T) {
	v1 := serve(t, &backend{name: "v1"})
	r := routerFor(t, newFakePicker(nil))
	a, err := r.Conn(v1.addr)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Conn(v1.addr)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("two connections to the same endpoint")
	}
	if diff := cmp.Diff([]string{v1.addr}, r.Endpoints()); diff != "" {
		t.Errorf("endpoints (-want +got):\n%s", diff)
	}
	if err := r.Forget(v1.addr); err != nil {
		t.Fatal(err)
	}
	if n := len(r.Endpoints()); n != 0 {
		t.Errorf("%d endpoints after Forget, want 0", n)
	}
}

func TestRouterClosedFailsCalls(t *testing.T) {
	v1 := serve(t, &backend{name: "v1"})
	r := newRouter(newFakePicker(map[string][]string{"v1": {v1.addr}}), nil)
	c := dial(t, deadAddr(t), always(routeTo("v1")), WithRouter(r))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{})
	if diff := cmp.Diff(codeAndMessage{codes.Unavailable, ErrRouterClosed.Error()}, statusOf(err)); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
}

// With the real policy runtime, a subset whose first endpoint refuses
// connections still serves every call: the table's default retry policy
// (connect-failure, ...) retries on another host.
func TestRouterWithRuntimeRetriesConnectFailureOnAnotherHost(t *testing.T) {
	live := serve(t, &backend{name: "v1"})
	v2 := serve(t, &backend{name: "v2"})
	dead := deadAddr(t)
	reg := subset.NewRegistry()
	reg.SetService(subset.Service{
		Host:  "reviews.default.svc.cluster.local",
		Ports: []subset.ServicePort{{Number: 9080, Name: "grpc"}},
		Endpoints: []subset.Endpoint{
			{Address: "127.0.0.1", Port: portOf(dead), Labels: map[string]string{"version": "v1"}},
			{Address: "127.0.0.1", Port: portOf(live.addr), Labels: map[string]string{"version": "v1"}},
			{Address: "127.0.0.1", Port: portOf(v2.addr), Labels: map[string]string{"version": "v2"}},
		},
	})
	router := NewRouter(policy.NewRuntime(reg))
	t.Cleanup(func() { _ = router.Close() })
	var waits []time.Duration
	c := dialTable(t, compile(t, reviewsYAML), "dns:///reviews:9080", WithRouter(router), noBackoff(&waits))
	served := map[string]int{}
	for range 20 {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "end-user", "alice")
		resp, err := c.UnaryCall(ctx, &testpb.SimpleRequest{})
		if err != nil {
			t.Fatalf("call failed: %v", err)
		}
		served[resp.GetUsername()]++
	}
	if served["v1"] == 0 || served["v1"]+served["v2"] != 20 {
		t.Errorf("served %v, want all 20 calls answered", served)
	}
	eps := router.Endpoints()
	slices.Sort(eps)
	want := []string{dead, live.addr, v2.addr}
	slices.Sort(want)
	if diff := cmp.Diff(want, eps); diff != "" {
		t.Errorf("connections (-want +got):\n%s", diff)
	}
}

func TestRouterWithoutRuntimeFailsCalls(t *testing.T) {
	r := NewRouter(nil)
	t.Cleanup(func() { _ = r.Close() })
	c := dial(t, deadAddr(t), always(routeTo("v1")), WithRouter(r))
	_, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{})
	want := codeAndMessage{codes.Unavailable, "cannot pick an endpoint of outbound|9080|v1|reviews.default.svc.cluster.local: the Router has no policy runtime"}
	if diff := cmp.Diff(want, statusOf(err)); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
}
