package routegrpc_test

import (
	"context"
	"fmt"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
	"github.com/meshroute/meshroute/route/routegrpc"
	"github.com/meshroute/meshroute/subset"
)

// version is a TestService that answers with its version, and with the
// rule that routed the call when the server interceptor decided on it.
type version struct {
	testpb.UnimplementedTestServiceServer
	name string
}

func (v version) UnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	answer := v.name
	if d, ok := routegrpc.DecisionFrom(ctx); ok {
		answer += " (inbound rule " + d.Rule.Name + ")"
	}
	return &testpb.SimpleResponse{Username: answer}, nil
}

// start serves a version on 127.0.0.1 and returns its port.
func start(name string, opts ...grpc.ServerOption) (port uint32, stop func()) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	s := grpc.NewServer(opts...)
	testpb.RegisterTestServiceServer(s, version{name: name})
	go func() { _ = s.Serve(lis) }()
	return uint32(lis.Addr().(*net.TCPAddr).Port), s.Stop
}

const reviews = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - name: jason-to-v2
    match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - name: broken-for-tests
    match: [{headers: {end-user: {exact: tester}}}]
    fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 100}}}
    route: [{destination: {host: reviews, subset: v1}}]
  - name: everyone-else
    route: [{destination: {host: reviews, subset: v1}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`

func table() *route.Table {
	cfg, err := route.LoadBytes([]byte(reviews), "reviews.yaml")
	if err != nil {
		panic(err)
	}
	tbl, err := route.Compile(cfg)
	if err != nil {
		panic(err)
	}
	return tbl
}

// The client interceptor routes each call of one ClientConn by the
// VirtualService: the Router picks an endpoint of the chosen subset through
// the policy runtime and keeps one connection per endpoint.
func ExampleUnaryClientInterceptor() {
	p1, stop1 := start("v1")
	defer stop1()
	p2, stop2 := start("v2")
	defer stop2()

	reg := subset.NewRegistry()
	reg.SetService(subset.Service{
		Host:  "reviews.default.svc.cluster.local",
		Ports: []subset.ServicePort{{Number: 9080, Name: "grpc"}},
		Endpoints: []subset.Endpoint{
			{Address: "127.0.0.1", Port: p1, Labels: map[string]string{"version": "v1"}},
			{Address: "127.0.0.1", Port: p2, Labels: map[string]string{"version": "v2"}},
		},
	})
	router := routegrpc.NewRouter(policy.NewRuntime(reg))
	defer router.Close()

	cc, err := grpc.NewClient("dns:///reviews:9080",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUnaryInterceptor(routegrpc.UnaryClientInterceptor(table(), routegrpc.WithRouter(router))))
	if err != nil {
		panic(err)
	}
	defer cc.Close()
	client := testpb.NewTestServiceClient(cc)

	for _, user := range []string{"alice", "jason", "tester"} {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "end-user", user)
		resp, err := client.UnaryCall(ctx, &testpb.SimpleRequest{})
		if err != nil {
			s := status.Convert(err)
			fmt.Printf("%s: %s %q\n", user, s.Code(), s.Message())
			continue
		}
		fmt.Printf("%s: served by %s\n", user, resp.GetUsername())
	}
	// Output:
	// alice: served by v1
	// jason: served by v2
	// tester: Unavailable "fault filter abort"
}

// The server interceptor decides on inbound calls and hands the decision
// to the handler.
func ExampleUnaryServerInterceptor() {
	tbl := table()
	port, stop := start("reviews", grpc.UnaryInterceptor(routegrpc.UnaryServerInterceptor(tbl)))
	defer stop()

	cc, err := grpc.NewClient(fmt.Sprintf("127.0.0.1:%d", port),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithAuthority("reviews:9080"))
	if err != nil {
		panic(err)
	}
	defer cc.Close()
	client := testpb.NewTestServiceClient(cc)

	for _, user := range []string{"jason", "tester"} {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "end-user", user)
		resp, err := client.UnaryCall(ctx, &testpb.SimpleRequest{})
		fmt.Println(user+":", resp.GetUsername(), status.Code(err))
	}
	// Output:
	// jason: reviews (inbound rule jason-to-v2) OK
	// tester:  Unavailable
}
