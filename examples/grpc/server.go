package main

import (
	"context"
	"net"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// reviews is one version of the reviews service: the interop TestService
// that ships with grpc-go, answering with its version. Calls marked
// "x-scenario: flaky" fail with UNAVAILABLE until flakyFailures of them
// have failed, so that the route's retry policy has something to retry.
type reviews struct {
	testpb.UnimplementedTestServiceServer
	version       string
	flakyFailures int32

	calls      atomic.Int32 // calls that reached this version
	flakyCalls atomic.Int32
}

// UnaryCall answers with the version's name.
func (r *reviews) UnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	r.calls.Add(1)
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("x-scenario"); len(v) > 0 && v[0] == "flaky" {
		if r.flakyCalls.Add(1) <= r.flakyFailures {
			return nil, status.Error(codes.Unavailable, "reviews "+r.version+" is warming up")
		}
	}
	return &testpb.SimpleResponse{Username: r.version}, nil
}

// serve starts r on 127.0.0.1 and returns its port and a stop function.
func serve(r *reviews) (port uint32, stop func(), err error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, nil, err
	}
	s := grpc.NewServer()
	testpb.RegisterTestServiceServer(s, r)
	go func() { _ = s.Serve(lis) }()
	return uint32(lis.Addr().(*net.TCPAddr).Port), s.Stop, nil
}
