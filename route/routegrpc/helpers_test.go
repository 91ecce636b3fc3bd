package routegrpc

import (
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
)

// TestMain fails the package if a test leaves goroutines behind: mirrors,
// retry timers, stream attempts and connections must all end.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// backend is a real interop TestService that says who it is, records what
// it received and fails calls as a test scripts it.
type backend struct {
	testpb.UnimplementedTestServiceServer
	name  string
	addr  string
	calls atomic.Int32

	// fail, when set, is asked before call n (1-based) is served; a non-nil
	// error is returned as the call's status.
	fail func(ctx context.Context, n int) error
	// breakAfter, when set, makes FullDuplexCall end with breakErr after
	// answering that many messages.
	breakAfter int
	breakErr   error

	mu          sync.Mutex
	metadata    []metadata.MD
	authorities []string
	methods     []string
	payloads    []string
}

func (b *backend) record(ctx context.Context) int {
	n := int(b.calls.Add(1))
	md, _ := metadata.FromIncomingContext(ctx)
	method, _ := grpc.Method(ctx)
	b.mu.Lock()
	b.metadata = append(b.metadata, md)
	b.authorities = append(b.authorities, first(md[":authority"]))
	b.methods = append(b.methods, method)
	b.mu.Unlock()
	return n
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// seen returns the :authority and method of call i (0-based).
func (b *backend) seen(i int) (authority, method string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if i >= len(b.methods) {
		return "", ""
	}
	return b.authorities[i], b.methods[i]
}

func (b *backend) lastMD() metadata.MD {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.metadata) == 0 {
		return nil
	}
	return b.metadata[len(b.metadata)-1]
}

func (b *backend) lastPayload() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.payloads) == 0 {
		return ""
	}
	return b.payloads[len(b.payloads)-1]
}

func (b *backend) UnaryCall(ctx context.Context, in *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	b.mu.Lock()
	b.payloads = append(b.payloads, string(in.GetPayload().GetBody()))
	b.mu.Unlock()
	n := b.record(ctx)
	if b.fail != nil {
		if err := b.fail(ctx, n); err != nil {
			return nil, err
		}
	}
	_ = grpc.SetHeader(ctx, metadata.Pairs("x-served-by", b.name, "x-version", "handler"))
	return &testpb.SimpleResponse{Username: b.name, Payload: in.GetPayload()}, nil
}

func (b *backend) EmptyCall(ctx context.Context, _ *testpb.Empty) (*testpb.Empty, error) {
	b.record(ctx)
	return &testpb.Empty{}, nil
}

// FullDuplexCall answers each message with "<name>:<body>".
func (b *backend) FullDuplexCall(stream testpb.TestService_FullDuplexCallServer) error {
	n := b.record(stream.Context())
	if b.fail != nil {
		if err := b.fail(stream.Context(), n); err != nil {
			return err
		}
	}
	for answered := 0; ; answered++ {
		if b.breakAfter > 0 && answered == b.breakAfter {
			return b.breakErr
		}
		in, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if answered == 0 {
			_ = stream.SetHeader(metadata.Pairs("x-served-by", b.name, "x-version", "handler"))
		}
		body := b.name + ":" + string(in.GetPayload().GetBody())
		if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: &testpb.Payload{Body: []byte(body)}}); err != nil {
			return err
		}
	}
}

// StreamingOutputCall sends one message per response parameter.
func (b *backend) StreamingOutputCall(in *testpb.StreamingOutputCallRequest, stream testpb.TestService_StreamingOutputCallServer) error {
	n := b.record(stream.Context())
	if b.fail != nil {
		if err := b.fail(stream.Context(), n); err != nil {
			return err
		}
	}
	for range in.GetResponseParameters() {
		if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: &testpb.Payload{Body: []byte(b.name)}}); err != nil {
			return err
		}
	}
	return nil
}

// StreamingInputCall counts the bytes it received.
func (b *backend) StreamingInputCall(stream testpb.TestService_StreamingInputCallServer) error {
	n := b.record(stream.Context())
	if b.fail != nil {
		if err := b.fail(stream.Context(), n); err != nil {
			return err
		}
	}
	total := 0
	for {
		in, err := stream.Recv()
		if err == io.EOF {
			return stream.SendAndClose(&testpb.StreamingInputCallResponse{AggregatedPayloadSize: int32(total)})
		}
		if err != nil {
			return err
		}
		total += len(in.GetPayload().GetBody())
	}
}

// serve starts b on a real grpc.Server on 127.0.0.1 with the given server
// options, stopped when the test ends.
func serve(t testing.TB, b *backend, opts ...grpc.ServerOption) *backend {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(opts...)
	testpb.RegisterTestServiceServer(s, b)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	b.addr = lis.Addr().String()
	return b
}

// deadAddr returns a 127.0.0.1 address nothing listens on.
func deadAddr(t testing.TB) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()
	return addr
}

func insecureCreds() credentials.TransportCredentials { return insecure.NewCredentials() }

// dial connects to target with the routing interceptors built from opts.
func dial(t testing.TB, target string, opts ...Option) testpb.TestServiceClient {
	t.Helper()
	cc, err := grpc.NewClient(target, append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials())}, DialOptions(nil, opts...)...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return testpb.NewTestServiceClient(cc)
}

// always decides d for every call.
func always(d route.Decision) Option {
	return withDecide(func(*match.Request) route.Decision { return d })
}

// routeTo is a forwarding decision for a subset of reviews.
func routeTo(subset string) route.Decision {
	return route.Decision{
		Action:      route.ActionRoute,
		Destination: route.Destination{Host: "reviews.default.svc.cluster.local", Subset: subset, Port: 9080},
		Target:      policy.Target{Host: "reviews.default.svc.cluster.local", Subset: subset, Port: 9080},
		Authority:   "reviews:9080",
	}
}

// fakePicker picks round robin among the addresses of each subset and
// records what it was asked and told.
type fakePicker struct {
	mu      sync.Mutex
	subsets map[string][]string
	next    map[string]int
	err     error
	gate    map[string]chan struct{} // picks for a subset wait for its channel to close
	noRetry bool                     // refuse retry slots (circuit breaker overflow)
	retries int                      // retry slots held
	asked   int                      // pick calls, failed ones included
	picks   []string
	avoided [][]string
	results []policy.Result
}

func newFakePicker(subsets map[string][]string) *fakePicker {
	return &fakePicker{subsets: subsets, next: map[string]int{}}
}

func (p *fakePicker) pick(t *policy.Target, _ *match.Request, avoid []string) (string, func(policy.Result), error) {
	p.mu.Lock()
	gate := p.gate[t.Subset]
	p.mu.Unlock()
	if gate != nil {
		<-gate
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked++
	if p.err != nil {
		return "", nil, p.err
	}
	addrs := p.subsets[t.Subset]
	if len(addrs) == 0 {
		return "", nil, policy.ErrNoHealthyUpstream
	}
	var addr string
	for range addrs {
		addr = addrs[p.next[t.Subset]%len(addrs)]
		p.next[t.Subset]++
		if !contains(avoid, addr) {
			break
		}
	}
	p.picks = append(p.picks, addr)
	p.avoided = append(p.avoided, append([]string(nil), avoid...))
	return addr, func(r policy.Result) {
		p.mu.Lock()
		r.Err = nil // compare statuses only
		p.results = append(p.results, r)
		p.mu.Unlock()
	}, nil
}

func (p *fakePicker) admitRetry(*policy.Target) (func(), bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.noRetry {
		return nil, false
	}
	p.retries++
	return func() {
		p.mu.Lock()
		p.retries--
		p.mu.Unlock()
	}, true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (p *fakePicker) snapshot() (picks []string, avoided [][]string, results []policy.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.picks...), append([][]string(nil), p.avoided...), append([]policy.Result(nil), p.results...)
}

// routerFor returns a Router over a fake picker, closed when the test ends.
func routerFor(t testing.TB, p *fakePicker) *Router {
	t.Helper()
	r := newRouter(p, nil)
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// atomicDuration is a duration shared with a server goroutine.
type atomicDuration struct{ v atomic.Int64 }

func (a *atomicDuration) store(d time.Duration) { a.v.Store(int64(d)) }
func (a *atomicDuration) load() time.Duration   { return time.Duration(a.v.Load()) }

// cmpEmptyIsNil treats nil and empty slices as equal.
var cmpEmptyIsNil = cmpopts.EquateEmpty()
