package routegrpc

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
)

// serverYAML is the inbound routing of a reviews server.
const serverYAML = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - name: fault
    match:
    - headers:
        x-fault: {exact: "yes"}
    fault:
      abort: {grpcStatus: PERMISSION_DENIED, percentage: {value: 100}}
    route:
    - destination: {host: reviews}
  - name: jason
    match:
    - headers:
        end-user: {exact: jason}
    headers:
      request:
        set: {x-route: jason}
        remove: [x-secret]
      response:
        add: {x-resp: one}
        set: {x-version: route}
        remove: [x-served-by]
    route:
    - destination: {host: reviews}
  - name: productpage
    match:
    - sourceLabels: {app: productpage}
    route:
    - destination: {host: reviews}
  - name: only-named
    match:
    - headers:
        end-user: {exact: reserved}
    route:
    - destination: {host: reviews}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  ports: [{number: 9080, name: grpc, protocol: GRPC}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1}]
`

// seenDecisions records the decision each handler call found in its
// context.
type seenDecisions struct {
	mu    sync.Mutex
	rules []string
	md    []metadata.MD
}

func (s *seenDecisions) hook(ctx context.Context, _ int) error {
	d, ok := DecisionFrom(ctx)
	md, _ := metadata.FromIncomingContext(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok {
		s.rules = append(s.rules, d.Rule.Name)
	} else {
		s.rules = append(s.rules, "<no decision>")
	}
	s.md = append(s.md, md)
	return nil
}

func (s *seenDecisions) last() (string, metadata.MD) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.rules) == 0 {
		return "", nil
	}
	return s.rules[len(s.rules)-1], s.md[len(s.md)-1]
}

// routedServer serves a backend behind the server interceptors deciding
// on serverYAML, and returns a plain client calling it as reviews:9080.
func routedServer(t *testing.T, opts ...Option) (*backend, *seenDecisions, testpb.TestServiceClient) {
	t.Helper()
	tbl := compile(t, serverYAML)
	seen := &seenDecisions{}
	b := serve(t, &backend{name: "reviews", fail: seen.hook}, ServerOptions(tbl, opts...)...)
	cc, err := grpc.NewClient(b.addr, grpc.WithTransportCredentials(insecureCreds()), grpc.WithAuthority("reviews:9080"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return b, seen, testpb.NewTestServiceClient(cc)
}

func withMD(kv ...string) context.Context {
	return metadata.NewOutgoingContext(context.Background(), metadata.Pairs(kv...))
}

func TestServerUnary(t *testing.T) {
	tests := []struct {
		name     string
		ctx      context.Context
		opts     []Option
		wantCode codes.Code
		wantRule string // "" when the handler must not run
	}{
		{"decision is in the handler's context", withMD("end-user", "jason"), nil, codes.OK, "jason"},
		{"fault abort answers before the handler", withMD("x-fault", "yes", "end-user", "jason"), nil, codes.PermissionDenied, ""},
		{"no matching rule answers Unimplemented", withMD("end-user", "nobody"), nil, codes.Unimplemented, ""},
		{"identity hook feeds sourceLabels matches", withMD("x-app", "productpage"),
			[]Option{WithIdentity(func(ctx context.Context, r *match.Request) {
				if v, _ := r.HeaderValue("x-app"); v != "" {
					r.SourceLabels = map[string]string{"app": v}
				}
			})}, codes.OK, "productpage"},
		{"fixed workload identity feeds sourceLabels matches", context.Background(),
			[]Option{WithWorkload("default", map[string]string{"app": "productpage"})}, codes.OK, "productpage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, seen, c := routedServer(t, tt.opts...)
			_, err := c.UnaryCall(tt.ctx, &testpb.SimpleRequest{})
			rule, _ := seen.last()
			got := []any{statusOf(err).Code, rule, b.calls.Load() > 0}
			want := []any{tt.wantCode, tt.wantRule, tt.wantRule != ""}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("code, rule, handler ran (-want +got):\n%s (err %v)", diff, err)
			}
		})
	}
}

func TestServerHeaderOperations(t *testing.T) {
	_, seen, c := routedServer(t)
	var hdr metadata.MD
	_, err := c.UnaryCall(withMD("end-user", "jason", "x-secret", "s"), &testpb.SimpleRequest{}, grpc.Header(&hdr))
	if err != nil {
		t.Fatal(err)
	}
	_, in := seen.last()
	got := map[string][]string{
		"in x-route": in["x-route"], "in x-secret": in["x-secret"],
		"out x-resp": hdr["x-resp"], "out x-version": hdr["x-version"], "out x-served-by": hdr["x-served-by"],
	}
	want := map[string][]string{
		"in x-route": {"jason"}, "in x-secret": nil,
		"out x-resp": {"one"}, "out x-version": {"route"}, "out x-served-by": nil,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metadata the handler saw (in) and the client got (out) (-want +got):\n%s", diff)
	}
}

func TestServerStream(t *testing.T) {
	_, seen, c := routedServer(t)
	s, err := c.FullDuplexCall(withMD("end-user", "jason", "x-secret", "s"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(msg("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	hdr, err := s.Header()
	if err != nil {
		t.Fatal(err)
	}
	_ = s.CloseSend()
	rule, in := seen.last()
	got := map[string][]string{
		"rule": {rule}, "in x-route": in["x-route"], "in x-secret": in["x-secret"],
		"out x-resp": hdr["x-resp"], "out x-version": hdr["x-version"], "out x-served-by": hdr["x-served-by"],
	}
	want := map[string][]string{
		"rule": {"jason"}, "in x-route": {"jason"}, "in x-secret": nil,
		"out x-resp": {"one"}, "out x-version": {"route"}, "out x-served-by": nil,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestServerStreamFaultAbort(t *testing.T) {
	b, _, c := routedServer(t)
	s, err := c.FullDuplexCall(withMD("x-fault", "yes"))
	if err == nil {
		_, err = s.Recv()
	}
	if diff := cmp.Diff(codeAndMessage{codes.PermissionDenied, "fault filter abort"}, statusOf(err)); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	if b.calls.Load() != 0 {
		t.Error("aborted stream reached the handler")
	}
}

func TestServerRequestView(t *testing.T) {
	var mu sync.Mutex
	var got match.Request
	capture := withDecide(func(r *match.Request) route.Decision {
		mu.Lock()
		got = *r
		mu.Unlock()
		return route.Decision{Action: route.ActionRoute}
	})
	b := serve(t, &backend{name: "x"}, grpc.UnaryInterceptor(UnaryServerInterceptor(nil, capture)))
	cc, err := grpc.NewClient(b.addr, grpc.WithTransportCredentials(insecureCreds()), grpc.WithAuthority("reviews:9080"))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	if _, err := testpb.NewTestServiceClient(cc).UnaryCall(withMD("end-user", "jason"), &testpb.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	view := struct {
		Method, Scheme, Authority, Path, EndUser string
		Port                                     uint32
		SourceIP                                 netip.Addr
	}{got.Method, got.Scheme, got.Authority, got.Path, first(got.Metadata["end-user"]), got.Port, got.SourceIP}
	want := view
	want.Method, want.Scheme, want.Authority, want.Path, want.EndUser = "POST", "http", "reviews:9080", "/grpc.testing.TestService/UnaryCall", "jason"
	want.Port, want.SourceIP = 9080, netip.MustParseAddr("127.0.0.1")
	if diff := cmp.Diff(want, view, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("request view (-want +got):\n%s", diff)
	}
}

func TestPeerIP(t *testing.T) {
	tests := []struct {
		name string
		addr net.Addr
		want netip.Addr
	}{
		{"tcp v4", &net.TCPAddr{IP: net.IPv4(10, 0, 0, 7).To4(), Port: 1}, netip.MustParseAddr("10.0.0.7")},
		{"tcp v4 in 16 bytes", &net.TCPAddr{IP: net.IPv4(10, 0, 0, 7), Port: 1}, netip.MustParseAddr("10.0.0.7")},
		{"tcp v6 with zone", &net.TCPAddr{IP: net.ParseIP("fe80::1"), Port: 1, Zone: "eth0"}, netip.MustParseAddr("fe80::1%eth0")},
		{"tcp without ip", &net.TCPAddr{Port: 1}, netip.Addr{}},
		{"other address parsed from its string", &net.UDPAddr{IP: net.ParseIP("::ffff:192.0.2.1"), Port: 1}, netip.MustParseAddr("192.0.2.1")},
		{"unix socket", &net.UnixAddr{Name: "/run/x.sock", Net: "unix"}, netip.Addr{}},
	}
	for _, tc := range tests {
		if got := peerIP(tc.addr); got != tc.want {
			t.Errorf("%s: peerIP(%v) = %v, want %v", tc.name, tc.addr, got, tc.want)
		}
	}
}

// TestServerDecisionSharesItsContext: the handler's context carries the
// decision without a context.WithValue node, and still answers the
// values of the contexts it derives from.
func TestServerDecisionSharesItsContext(t *testing.T) {
	type key struct{}
	tbl := compile(t, serverYAML)
	ctx := context.WithValue(context.Background(), key{}, "outer")
	ctx = metadata.NewIncomingContext(ctx, metadata.Pairs(":authority", "reviews:9080", "end-user", "reserved"))
	info := &grpc.UnaryServerInfo{FullMethod: "/grpc.testing.TestService/UnaryCall"}
	_, err := UnaryServerInterceptor(tbl)(ctx, nil, info, func(ctx context.Context, _ any) (any, error) {
		d, ok := DecisionFrom(ctx)
		if !ok || d.Rule.Name != "only-named" {
			t.Fatalf("DecisionFrom = %v, %v; want rule only-named", d, ok)
		}
		if again, _ := DecisionFrom(context.WithoutCancel(ctx)); again != d {
			t.Errorf("a derived context found another decision")
		}
		if v, _ := ctx.Value(key{}).(string); v != "outer" {
			t.Errorf("the caller's context value is %q, want %q", v, "outer")
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
