package routegrpc

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// BenchmarkUnaryInterceptorOverhead measures the interceptor alone: the
// invoker does nothing, so the numbers are the cost of building the
// request view, deciding on a compiled table and carrying the decision out
// (the 80/20 split rule of reviewsYAML, with its default 15s timeout and
// default retry policy).
func BenchmarkUnaryInterceptorOverhead(b *testing.B) {
	tbl := compile(b, reviewsYAML)
	noop := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return nil }
	cases := []struct {
		name string
		ctx  context.Context
		icpt grpc.UnaryClientInterceptor
	}{
		{"no interceptor", context.Background(), nil},
		{"split route", context.Background(), UnaryClientInterceptor(tbl, WithAuthority("reviews:9080"))},
		{"split route with metadata", metadata.AppendToOutgoingContext(context.Background(), "end-user", "alice"),
			UnaryClientInterceptor(tbl, WithAuthority("reviews:9080"))},
		{"header match with header ops", metadata.AppendToOutgoingContext(context.Background(), "end-user", "jason"),
			UnaryClientInterceptor(tbl, WithAuthority("reviews:9080"), WithMirrorLimit(0))},
	}
	req, reply := &testpb.SimpleRequest{}, &testpb.SimpleResponse{}
	const method = "/grpc.testing.TestService/UnaryCall"
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if c.icpt == nil {
					err = noop(c.ctx, method, req, reply, nil)
				} else {
					err = c.icpt(c.ctx, method, req, reply, nil, noop)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUnaryCall compares a real unary call over loopback with and
// without the interceptor, through the caller's conn and through a Router.
func BenchmarkUnaryCall(b *testing.B) {
	tbl := compile(b, reviewsYAML)
	v1 := serve(b, &backend{name: "v1"})
	v2 := serve(b, &backend{name: "v2"})
	plain, err := grpc.NewClient(v1.addr, grpc.WithTransportCredentials(insecureCreds()))
	if err != nil {
		b.Fatal(err)
	}
	defer plain.Close()
	router := routerFor(b, newFakePicker(map[string][]string{"v1": {v1.addr}, "v2": {v2.addr}}))
	cases := []struct {
		name   string
		client testpb.TestServiceClient
	}{
		{"no interceptor", testpb.NewTestServiceClient(plain)},
		{"interceptor, caller's conn", dialTable(b, tbl, v1.addr, WithAuthority("reviews:9080"))},
		{"interceptor, router", dialTable(b, tbl, "dns:///reviews:9080", WithRouter(router))},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.client.UnaryCall(context.Background(), &testpb.SimpleRequest{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUnaryServerInterceptorOverhead measures the server interceptor
// alone: the handler does nothing, so the numbers are the cost of reading
// the incoming metadata and peer, deciding, and handing the decision to
// the handler.
func BenchmarkUnaryServerInterceptorOverhead(b *testing.B) {
	tbl := compile(b, reviewsYAML)
	icpt := UnaryServerInterceptor(tbl)
	ctx := peer.NewContext(context.Background(), &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 7), Port: 41000}})
	ctx = metadata.NewIncomingContext(ctx, metadata.Pairs(":authority", "reviews:9080"))
	info := &grpc.UnaryServerInfo{FullMethod: "/grpc.testing.TestService/UnaryCall"}
	handler := func(ctx context.Context, req any) (any, error) { return req, nil }
	req := &testpb.SimpleRequest{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := icpt(ctx, req, info, handler); err != nil {
			b.Fatal(err)
		}
	}
}
