// Command grpc shows meshroute routing gRPC calls without a sidecar: two
// versions of a reviews service run on 127.0.0.1, and a client whose calls
// go through routegrpc's interceptor is routed by the VirtualService in
// mesh.yaml — a header match to v2, an 80/20 split, a retry on
// UNAVAILABLE and an injected abort. It prints what happened to each kind
// of call and exits 0 only if every behaviour matched the configuration.
package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
	"github.com/meshroute/meshroute/route/routegrpc"
	"github.com/meshroute/meshroute/subset"
)

//go:embed mesh.yaml
var meshYAML []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "grpc example:", err)
		os.Exit(1)
	}
}

// run starts the two versions, routes calls through the interceptor by
// mesh.yaml and reports to out; it returns an error naming every behaviour
// that did not match.
func run(ctx context.Context, out io.Writer) error { return runMesh(ctx, out, meshYAML) }

// Calls made per scenario.
const (
	jasonCalls = 10
	splitCalls = 200
)

func runMesh(ctx context.Context, out io.Writer, yaml []byte) error {
	v1 := &reviews{version: "v1", flakyFailures: 2}
	v2 := &reviews{version: "v2"}
	p1, stop1, err := serve(v1)
	if err != nil {
		return err
	}
	defer stop1()
	p2, stop2, err := serve(v2)
	if err != nil {
		return err
	}
	defer stop2()

	cfg, err := route.LoadBytes(yaml, "mesh.yaml")
	if err != nil {
		return err
	}
	// A fixed random source makes the split reproducible; calls are made
	// one at a time, so it needs no lock.
	table, err := route.Compile(cfg, route.WithRand(rand.NewPCG(2026, 11)))
	if err != nil {
		return err
	}
	reg := subset.NewRegistry()
	reg.SetService(subset.Service{
		Host:  "reviews.default.svc.cluster.local",
		Ports: []subset.ServicePort{{Number: 9080, Name: "grpc", Protocol: "GRPC"}},
		Endpoints: []subset.Endpoint{
			{Address: "127.0.0.1", Port: p1, Labels: map[string]string{"version": "v1"}},
			{Address: "127.0.0.1", Port: p2, Labels: map[string]string{"version": "v2"}},
		},
	})
	router := routegrpc.NewRouter(policy.NewRuntime(reg))
	defer router.Close()

	// The two lines a client needs: a Router, and the interceptor on an
	// ordinary ClientConn for the service name.
	cc, err := grpc.NewClient("dns:///reviews:9080",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUnaryInterceptor(routegrpc.UnaryClientInterceptor(table, routegrpc.WithRouter(router))))
	if err != nil {
		return err
	}
	defer cc.Close()
	client := testpb.NewTestServiceClient(cc)

	fmt.Fprintf(out, "reviews v1 and v2 serving on 127.0.0.1; calls routed by mesh.yaml\n\n")
	e := &example{ctx: ctx, out: out, client: client, v1: v1, v2: v2}
	e.headerMatch()
	e.split()
	e.retry()
	e.abort()
	if len(e.failed) > 0 {
		return errors.New("behaviour did not match the VirtualService: " + strings.Join(e.failed, "; "))
	}
	fmt.Fprintf(out, "\nall 4 behaviours matched the VirtualService\n")
	return nil
}

// example runs the scenarios and records those that did not match.
type example struct {
	ctx    context.Context
	out    io.Writer
	client testpb.TestServiceClient
	v1, v2 *reviews
	failed []string
}

// call makes one call with the given metadata pairs and returns the
// version that answered.
func (e *example) call(kv ...string) (string, error) {
	ctx := metadata.AppendToOutgoingContext(e.ctx, kv...)
	resp, err := e.client.UnaryCall(ctx, &testpb.SimpleRequest{})
	return resp.GetUsername(), err
}

// report prints a scenario's line and records a mismatch.
func (e *example) report(name, request, result string, ok bool, why string) {
	verdict := "ok"
	if !ok {
		verdict = "MISMATCH: " + why
		e.failed = append(e.failed, name+": "+why)
	}
	fmt.Fprintf(e.out, "%-15s %-22s %s  %s\n", name, request, result, verdict)
}

func (e *example) headerMatch() {
	served := map[string]int{}
	var errs int
	for range jasonCalls {
		v, err := e.call("end-user", "jason")
		if err != nil {
			errs++
		}
		served[v]++
	}
	e.report("header match", "end-user: jason", fmt.Sprintf("%d calls → v2: %d", jasonCalls, served["v2"]),
		served["v2"] == jasonCalls && errs == 0, "jason's calls must all go to v2")
}

func (e *example) split() {
	served := map[string]int{}
	var errs int
	for range splitCalls {
		v, err := e.call("end-user", "alice")
		if err != nil {
			errs++
		}
		served[v]++
	}
	share := 100 * float64(served["v1"]) / splitCalls
	e.report("weighted split", "end-user: alice",
		fmt.Sprintf("%d calls → v1: %d, v2: %d (%.1f%% v1)", splitCalls, served["v1"], served["v2"], share),
		errs == 0 && served["v1"]+served["v2"] == splitCalls && share >= 70 && share <= 90,
		"about 80% of the calls must go to v1 and the rest to v2")
}

func (e *example) retry() {
	before := e.v1.calls.Load()
	v, err := e.call("x-scenario", "flaky")
	tries := e.v1.calls.Load() - before
	result := fmt.Sprintf("1 call → %s after %d tries (%d × UNAVAILABLE retried)", v, tries, tries-1)
	if err != nil {
		result = fmt.Sprintf("1 call → %v after %d tries", status.Convert(err).Code(), tries)
	}
	e.report("retry", "x-scenario: flaky", result, err == nil && v == "v1" && tries == 3,
		"v1 fails twice with UNAVAILABLE and the third try must succeed")
}

func (e *example) abort() {
	before := e.v1.calls.Load() + e.v2.calls.Load()
	_, err := e.call("x-scenario", "broken")
	reached := e.v1.calls.Load() + e.v2.calls.Load() - before
	s := status.Convert(err)
	e.report("fault abort", "x-scenario: broken",
		fmt.Sprintf("1 call → %s %q, backend calls: %d", s.Code(), s.Message(), reached),
		err != nil && s.Code() == codes.ResourceExhausted && s.Message() == "fault filter abort" && reached == 0,
		"the call must fail with RESOURCE_EXHAUSTED before reaching a backend")
}
