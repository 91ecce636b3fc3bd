package routegrpc

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/meshroute/meshroute/route"
	"github.com/meshroute/meshroute/route/routetest"
)

// reviewsYAML routes jason to v2 with header operations and a mirror to
// v1, everyone else 80/20 to v1/v2.
const reviewsYAML = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - name: jason
    match:
    - headers:
        end-user: {exact: jason}
    route:
    - destination: {host: reviews, subset: v2}
    headers:
      request:
        set: {x-route: jason}
        remove: [x-secret]
      response:
        add: {x-resp: one}
        remove: [x-served-by]
    mirror: {host: reviews, subset: mirror}
  - name: split
    route:
    - destination: {host: reviews, subset: v1}
      weight: 80
    - destination: {host: reviews, subset: v2}
      weight: 20
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
  - {name: mirror, labels: {version: mirror}}
`

// compile loads and compiles a YAML configuration with a fixed random
// source.
func compile(t testing.TB, yaml string, opts ...route.Option) *route.Table {
	t.Helper()
	return routetest.LoadYAML(t, yaml, append([]route.Option{route.WithRand(rand.NewPCG(1, 2))}, opts...)...)
}

// dialTable connects to target with interceptors deciding on tbl.
func dialTable(t testing.TB, tbl route.TableSource, target string, opts ...Option) testpb.TestServiceClient {
	t.Helper()
	cc, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecureCreds()),
		grpc.WithUnaryInterceptor(UnaryClientInterceptor(tbl, opts...)),
		grpc.WithStreamInterceptor(StreamClientInterceptor(tbl, opts...)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return testpb.NewTestServiceClient(cc)
}

type reviewsMesh struct {
	v1, v2, mirror *backend
	picker         *fakePicker
	router         *Router
	client         testpb.TestServiceClient
}

func newReviewsMesh(t *testing.T, opts ...Option) *reviewsMesh {
	m := &reviewsMesh{
		v1:     serve(t, &backend{name: "v1"}),
		v2:     serve(t, &backend{name: "v2"}),
		mirror: serve(t, &backend{name: "mirror"}),
	}
	m.picker = newFakePicker(map[string][]string{"v1": {m.v1.addr}, "v2": {m.v2.addr}, "mirror": {m.mirror.addr}})
	m.router = routerFor(t, m.picker)
	m.client = dialTable(t, compile(t, reviewsYAML), "dns:///reviews:9080", append([]Option{WithRouter(m.router)}, opts...)...)
	return m
}

func jason() context.Context {
	return metadata.NewOutgoingContext(context.Background(), metadata.Pairs("end-user", "jason", "x-secret", "s3cr3t", "x-keep", "k"))
}

func TestTableRequestHeaderOperationsOnOutgoingMetadata(t *testing.T) {
	m := newReviewsMesh(t)
	ctx := jason()
	if _, err := m.client.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}
	md := m.v2.lastMD()
	got := map[string][]string{"x-route": md["x-route"], "x-secret": md["x-secret"], "x-keep": md["x-keep"], "end-user": md["end-user"]}
	want := map[string][]string{"x-route": {"jason"}, "x-secret": nil, "x-keep": {"k"}, "end-user": {"jason"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metadata the backend received (-want +got):\n%s", diff)
	}
	callers, _ := metadata.FromOutgoingContext(ctx)
	if diff := cmp.Diff([]string{"s3cr3t"}, callers["x-secret"]); diff != "" {
		t.Errorf("the caller's own metadata changed (-want +got):\n%s", diff)
	}
}

func TestTableResponseHeaderOperationsOnClientHeader(t *testing.T) {
	m := newReviewsMesh(t)
	var hdr metadata.MD
	if _, err := m.client.UnaryCall(jason(), &testpb.SimpleRequest{}, grpc.Header(&hdr)); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{"x-resp": hdr["x-resp"], "x-served-by": hdr["x-served-by"]}
	want := map[string][]string{"x-resp": {"one"}, "x-served-by": nil}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("header the caller got (-want +got):\n%s", diff)
	}
}

func TestTableWeightedSplit(t *testing.T) {
	m := newReviewsMesh(t)
	const calls = 400
	served := map[string]int{}
	for range calls {
		resp, err := m.client.UnaryCall(context.Background(), &testpb.SimpleRequest{})
		if err != nil {
			t.Fatal(err)
		}
		served[resp.GetUsername()]++
	}
	if v1 := served["v1"]; v1 < calls*70/100 || v1 > calls*90/100 || served["v1"]+served["v2"] != calls {
		t.Errorf("served %v, want about 80%% v1 and 20%% v2", served)
	}
}

// waitFor polls cond until it holds or five seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestTableMirrorIsSentAsynchronously(t *testing.T) {
	m := newReviewsMesh(t)
	release := make(chan struct{})
	m.mirror.fail = func(context.Context, int) error { <-release; return nil }
	start := time.Now()
	resp, err := m.client.UnaryCall(jason(), &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("hello")}})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 5*time.Second || resp.GetUsername() != "v2" {
		t.Errorf("primary answered by %q after %v, want v2 at once while the mirror hangs", resp.GetUsername(), el)
	}
	waitFor(t, "the mirror to arrive", func() bool { return m.mirror.calls.Load() == 1 })
	close(release)
	authority, method := m.mirror.seen(0)
	md := m.mirror.lastMD()
	got := []string{authority, method, first(md["x-route"]), first(md["x-secret"])}
	want := []string{"reviews:9080", "/grpc.testing.TestService/UnaryCall", "jason", ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mirrored call: authority, method, x-route, x-secret (-want +got):\n%s", diff)
	}
}

func TestTableMirrorsAreBounded(t *testing.T) {
	m := newReviewsMesh(t, WithMirrorLimit(1))
	release := make(chan struct{})
	m.mirror.fail = func(context.Context, int) error { <-release; return nil }
	for range 3 {
		if _, err := m.client.UnaryCall(jason(), &testpb.SimpleRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := m.router.MirrorsDropped(); got != 2 {
		t.Errorf("dropped %d mirrors, want 2 (one in flight allowed, it hangs)", got)
	}
	close(release)
	waitFor(t, "the one mirror", func() bool { return m.mirror.calls.Load() == 1 })
}

func TestTableMirrorCopiesTheRequestBeforeReturning(t *testing.T) {
	m := newReviewsMesh(t)
	gate := make(chan struct{})
	m.picker.gate = map[string]chan struct{}{"mirror": gate}
	req := &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("original")}}
	if _, err := m.client.UnaryCall(jason(), req); err != nil {
		t.Fatal(err)
	}
	req.Payload.Body = []byte("changed by the caller after the call")
	close(gate)
	waitFor(t, "the mirror", func() bool { return m.mirror.calls.Load() == 1 })
	if diff := cmp.Diff("original", m.mirror.lastPayload()); diff != "" {
		t.Errorf("mirrored payload (-want +got):\n%s", diff)
	}
}

func TestTableStreamRoutedWithHeaderOperations(t *testing.T) {
	m := newReviewsMesh(t)
	s, err := m.client.FullDuplexCall(jason())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(msg("a")); err != nil {
		t.Fatal(err)
	}
	r, err := s.Recv()
	if err != nil {
		t.Fatal(err)
	}
	hdr, err := s.Header()
	if err != nil {
		t.Fatal(err)
	}
	_ = s.CloseSend()
	in := m.v2.lastMD()
	got := map[string][]string{
		"response":   {string(r.GetPayload().GetBody())},
		"in x-route": in["x-route"], "in x-secret": in["x-secret"],
		"out x-resp": hdr["x-resp"], "out x-served-by": hdr["x-served-by"],
	}
	want := map[string][]string{
		"response":   {"v2:a"},
		"in x-route": {"jason"}, "in x-secret": nil,
		"out x-resp": {"one"}, "out x-served-by": nil,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if n := m.mirror.calls.Load(); n != 0 {
		t.Errorf("stream was mirrored %d times, want none (mirrors are for unary calls)", n)
	}
}

func TestTableResponseHeaderOperationsOnAnsweredError(t *testing.T) {
	m := newReviewsMesh(t)
	m.v2.fail = failFirst(1, codes.PermissionDenied)
	var hdr metadata.MD
	_, err := m.client.UnaryCall(jason(), &testpb.SimpleRequest{}, grpc.Header(&hdr))
	if diff := cmp.Diff([]any{codes.PermissionDenied, []string{"one"}}, []any{status.Code(err), hdr["x-resp"]}); diff != "" {
		t.Errorf("code, x-resp (-want +got):\n%s", diff)
	}
}

func TestTableMirrorWithShadowSuffix(t *testing.T) {
	v2 := serve(t, &backend{name: "v2"})
	mirror := serve(t, &backend{name: "mirror"})
	p := newFakePicker(map[string][]string{"v2": {v2.addr}, "mirror": {mirror.addr}})
	tbl := compile(t, reviewsYAML, route.WithShadowSuffix(true))
	c := dialTable(t, tbl, "dns:///reviews:9080", WithRouter(routerFor(t, p)))
	if _, err := c.UnaryCall(jason(), &testpb.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the mirror", func() bool { return mirror.calls.Load() == 1 })
	authority, _ := mirror.seen(0)
	primary, _ := v2.seen(0)
	if diff := cmp.Diff([]string{"reviews:9080", "reviews-shadow:9080"}, []string{primary, authority}); diff != "" {
		t.Errorf(":authority of the call and of its mirror (-want +got):\n%s", diff)
	}
}
