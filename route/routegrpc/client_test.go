package routegrpc

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/meshroute/meshroute/fault"
	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
)

// codeAndMessage is what a test compares of a call's error.
type codeAndMessage struct {
	Code    codes.Code
	Message string
}

func statusOf(err error) codeAndMessage {
	s := status.Convert(err)
	return codeAndMessage{s.Code(), s.Message()}
}

func TestUnaryRoutesToPickedSubset(t *testing.T) {
	v1 := serve(t, &backend{name: "v1"})
	v2 := serve(t, &backend{name: "v2"})
	p := newFakePicker(map[string][]string{"v1": {v1.addr}, "v2": {v2.addr}})
	byUser := withDecide(func(r *match.Request) route.Decision {
		if v, _ := r.HeaderValue("end-user"); v == "jason" {
			return routeTo("v2")
		}
		return routeTo("v1")
	})
	// The ClientConn's own target is dead: every call must go through the Router.
	c := dial(t, deadAddr(t), byUser, WithRouter(routerFor(t, p)))

	tests := []struct {
		name string
		md   metadata.MD
		want string
	}{
		{"header match sends jason to v2", metadata.Pairs("end-user", "jason"), "v2"},
		{"other users take the default subset v1", metadata.Pairs("end-user", "alice"), "v1"},
		{"no header takes the default subset v1", nil, "v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := metadata.NewOutgoingContext(context.Background(), tt.md)
			resp, err := c.UnaryCall(ctx, &testpb.SimpleRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, resp.GetUsername()); diff != "" {
				t.Errorf("served by (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnaryRouterSendsDecidedAuthorityAndMethod(t *testing.T) {
	b := serve(t, &backend{name: "v1"})
	d := routeTo("v1")
	d.Authority = "reviews-rewritten:9080"
	d.Path = "/grpc.testing.TestService/EmptyCall"
	c := dial(t, deadAddr(t), always(d), WithRouter(routerFor(t, newFakePicker(map[string][]string{"v1": {b.addr}}))))
	if _, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}
	var got struct{ Authority, Method string }
	got.Authority, got.Method = b.seen(0)
	want := struct{ Authority, Method string }{"reviews-rewritten:9080", "/grpc.testing.TestService/EmptyCall"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("upstream request (-want +got):\n%s", diff)
	}
}

func TestUnaryWithoutRouterUsesCallersConn(t *testing.T) {
	b := serve(t, &backend{name: "v1"})
	tests := []struct {
		name          string
		authority     string
		wantAuthority string
	}{
		{"no authority rewrite keeps the conn's authority", "", b.addr},
		{"authority rewrite is sent as :authority", "ratings:9080", "ratings:9080"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := routeTo("v1")
			d.Authority = tt.authority
			c := dial(t, b.addr, always(d))
			resp, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if resp.GetUsername() != "v1" {
				t.Errorf("served by %q, want v1", resp.GetUsername())
			}
			if got, _ := b.seen(i); got != tt.wantAuthority {
				diff := cmp.Diff(tt.wantAuthority, got)
				t.Errorf(":authority (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnaryPassthroughUsesCallersConnEvenWithRouter(t *testing.T) {
	b := serve(t, &backend{name: "direct"})
	d := route.Decision{Action: route.ActionRoute, Passthrough: true}
	p := newFakePicker(nil)
	c := dial(t, b.addr, always(d), WithRouter(routerFor(t, p)))
	resp, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{})
	if err != nil {
		t.Fatal(err)
	}
	picks, _, _ := p.snapshot()
	if resp.GetUsername() != "direct" || len(picks) != 0 {
		t.Errorf("served by %q after %d picks, want direct and no pick", resp.GetUsername(), len(picks))
	}
}

func TestUnaryLocalAnswers(t *testing.T) {
	b := serve(t, &backend{name: "v1"})
	tests := []struct {
		name string
		d    route.Decision
		want codeAndMessage
	}{
		{"no route answers Unimplemented (Envoy 404)",
			route.Decision{Action: route.ActionNoRoute, Status: 404},
			codeAndMessage{codes.Unimplemented, "no route matched (404, flag NR)"}},
		{"no route keeps the table's reason",
			route.Decision{Action: route.ActionNoRoute, Status: 404, Reason: "no rule of VirtualService default/reviews matched"},
			codeAndMessage{codes.Unimplemented, "no rule of VirtualService default/reviews matched"}},
		{"undefined subset answers Unavailable (Envoy 503 NC)",
			route.Decision{Action: route.ActionUnavailable, Status: 503, Reason: "subset v3 is not defined"},
			codeAndMessage{codes.Unavailable, "subset v3 is not defined"}},
		{"registry-only block answers Unavailable (Envoy 502)",
			route.Decision{Action: route.ActionUnavailable, Status: 502},
			codeAndMessage{codes.Unavailable, "route unavailable (502)"}},
		{"direct response 403 maps to PermissionDenied",
			route.Decision{Action: route.ActionDirectResponse, Status: 403, DirectResponse: route.DirectResponse{Status: 403}},
			codeAndMessage{codes.PermissionDenied, "route answers with a direct response (403)"}},
		{"redirect maps to Unknown",
			route.Decision{Action: route.ActionRedirect, Status: 301, Redirect: route.Redirect{Code: 301, Location: "http://x/"}},
			codeAndMessage{codes.Unknown, "route answers with a redirect (301) to http://x/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, b.addr, always(tt.d))
			_, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{})
			if diff := cmp.Diff(tt.want, statusOf(err)); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
	if n := b.calls.Load(); n != 0 {
		t.Errorf("backend served %d calls, want none", n)
	}
}

func abortDecision(a fault.Abort) route.Decision {
	d := routeTo("v1")
	d.Fault = fault.Outcome{Spec: &fault.Spec{Abort: &a}, Aborted: true}
	return d
}

func TestUnaryFaultAbort(t *testing.T) {
	b := serve(t, &backend{name: "v1"})
	tests := []struct {
		name  string
		abort fault.Abort
		want  codes.Code
	}{
		{"grpcStatus abort returns that code", fault.Abort{GRPC: true, GRPCStatus: codes.Unavailable}, codes.Unavailable},
		{"grpcStatus RESOURCE_EXHAUSTED is returned as is", fault.Abort{GRPC: true, GRPCStatus: codes.ResourceExhausted}, codes.ResourceExhausted},
		{"httpStatus 400 maps to Internal", fault.Abort{HTTPStatus: 400}, codes.Internal},
		{"httpStatus 401 maps to Unauthenticated", fault.Abort{HTTPStatus: 401}, codes.Unauthenticated},
		{"httpStatus 403 maps to PermissionDenied", fault.Abort{HTTPStatus: 403}, codes.PermissionDenied},
		{"httpStatus 404 maps to Unimplemented", fault.Abort{HTTPStatus: 404}, codes.Unimplemented},
		{"httpStatus 429 maps to Unavailable", fault.Abort{HTTPStatus: 429}, codes.Unavailable},
		{"httpStatus 503 maps to Unavailable", fault.Abort{HTTPStatus: 503}, codes.Unavailable},
		{"httpStatus 500 maps to Unknown", fault.Abort{HTTPStatus: 500}, codes.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := abortDecision(tt.abort)
			d.Retry = route.Retry{Attempts: 3, On: route.RetryUnavailable} // an abort is never retried
			c := dial(t, b.addr, always(d))
			_, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{})
			want := codeAndMessage{tt.want, "fault filter abort"}
			if diff := cmp.Diff(want, statusOf(err)); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
	if n := b.calls.Load(); n != 0 {
		t.Errorf("aborted calls reached the backend %d times", n)
	}
}

func TestUnaryFaultNotSelectedDoesNothing(t *testing.T) {
	b := serve(t, &backend{name: "v1"})
	d := routeTo("v1")
	d.Fault = fault.Outcome{Spec: &fault.Spec{
		Abort: &fault.Abort{GRPC: true, GRPCStatus: codes.Internal},
		Delay: &fault.Delay{Duration: time.Hour},
	}} // neither sampled in
	c := dial(t, b.addr, always(d))
	if _, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{}); err != nil {
		t.Fatalf("call with unselected fault failed: %v", err)
	}
}

func TestUnaryFaultDelay(t *testing.T) {
	b := serve(t, &backend{name: "v1"})
	delayed := func(d time.Duration) route.Decision {
		dec := routeTo("v1")
		dec.Fault = fault.Outcome{Spec: &fault.Spec{Delay: &fault.Delay{Duration: d}}, Delayed: true}
		return dec
	}
	t.Run("delay holds the call before sending it", func(t *testing.T) {
		c := dial(t, b.addr, always(delayed(80*time.Millisecond)))
		start := time.Now()
		if _, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{}); err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el < 80*time.Millisecond {
			t.Errorf("call took %v, want at least the 80ms delay", el)
		}
	})
	t.Run("delay ends when the caller's deadline passes", func(t *testing.T) {
		before := b.calls.Load()
		c := dial(t, b.addr, always(delayed(time.Hour)))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		_, err := c.UnaryCall(ctx, &testpb.SimpleRequest{})
		if diff := cmp.Diff(codes.DeadlineExceeded, status.Code(err)); diff != "" {
			t.Errorf("code (-want +got):\n%s", diff)
		}
		if b.calls.Load() != before {
			t.Error("a call whose delay outlived its deadline reached the backend")
		}
	})
	t.Run("delay is not counted against the route timeout", func(t *testing.T) {
		d := delayed(400 * time.Millisecond)
		d.Timeout = 300 * time.Millisecond
		// The first call, undelayed, connects: a loaded machine can take
		// longer than the timeout to connect, which the test is not about.
		var calls atomic.Int32
		c := dial(t, b.addr, withDecide(func(*match.Request) route.Decision {
			if calls.Add(1) == 1 {
				return routeTo("v1")
			}
			return d
		}))
		if _, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{}); err != nil {
			t.Fatalf("connecting call: %v", err)
		}
		start := time.Now()
		if _, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{}); err != nil {
			t.Errorf("delayed call failed against its route timeout: %v", err)
		}
		if el := time.Since(start); el < 400*time.Millisecond {
			t.Errorf("call took %v, want at least the 400ms delay", el)
		}
	})
}

// deadlineSeen returns how long the backend's context had left when the
// call arrived, or -1 without a deadline.
func deadlineSeen(b *backend) *atomicDuration {
	seen := &atomicDuration{}
	b.fail = func(ctx context.Context, _ int) error {
		if dl, ok := ctx.Deadline(); ok {
			seen.store(time.Until(dl))
		} else {
			seen.store(-1)
		}
		return nil
	}
	return seen
}

func TestUnaryRouteTimeout(t *testing.T) {
	tests := []struct {
		name    string
		route   time.Duration
		caller  time.Duration // 0: none
		wantMax time.Duration // the backend's remaining deadline is at most this
		wantMin time.Duration // and at least this (-1: no deadline)
	}{
		{"route timeout becomes the deadline", 3 * time.Second, 0, 3 * time.Second, time.Nanosecond},
		{"shorter caller deadline is kept", 10 * time.Second, 3 * time.Second, 3 * time.Second, time.Nanosecond},
		{"shorter route timeout shortens a longer caller deadline", 3 * time.Second, 10 * time.Second, 3 * time.Second, time.Nanosecond},
		{"no route timeout adds no deadline", 0, 0, -1, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &backend{name: "v1"}
			seen := deadlineSeen(b)
			serve(t, b)
			d := routeTo("v1")
			d.Timeout, d.TimeoutSource = tt.route, route.TimeoutRoute
			c := dial(t, b.addr, always(d))
			ctx := context.Background()
			if tt.caller > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.caller)
				defer cancel()
			}
			if _, err := c.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
				t.Fatal(err)
			}
			got := seen.load()
			if tt.wantMin < 0 {
				if got != -1 {
					t.Errorf("backend saw a deadline %v away, want none", got)
				}
				return
			}
			if got > tt.wantMax || got < tt.wantMin {
				t.Errorf("backend deadline %v away, want within [%v, %v]", got, tt.wantMin, tt.wantMax)
			}
		})
	}
}

func TestUnaryRouteTimeoutExpires(t *testing.T) {
	b := serve(t, &backend{name: "v1", fail: func(ctx context.Context, n int) error {
		if n == 1 {
			return nil // the warm-up call
		}
		<-ctx.Done()
		return ctx.Err()
	}})
	d := routeTo("v1")
	d.Timeout = 100 * time.Millisecond
	d.Retry = route.Retry{Attempts: 5, On: route.Retry5xx | route.RetryDeadlineExceeded}
	c := dial(t, b.addr, always(d))
	if _, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{})
	if diff := cmp.Diff(codes.DeadlineExceeded, status.Code(err)); diff != "" {
		t.Errorf("code (-want +got):\n%s", diff)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("call took %v, want about the 100ms route timeout", el)
	}
	if n := b.calls.Load(); n != 2 {
		t.Errorf("backend served %d tries of the timed-out call, want 1: the route timeout covers all retries", n-1)
	}
}

// pickerRetryClient dials, through a Router whose picker sends v1 to one
// backend, a route that retries Unavailable up to 3 times without backoff
// waits. The backend fails its first failures calls with Unavailable; with
// noRetry the picker refuses every retry slot (retry overflow).
func pickerRetryClient(t *testing.T, failures int, noRetry bool) (*backend, *fakePicker, testpb.TestServiceClient) {
	t.Helper()
	b := serve(t, &backend{name: "v1", fail: failFirst(failures, codes.Unavailable)})
	p := newFakePicker(map[string][]string{"v1": {b.addr}})
	p.noRetry = noRetry
	d := routeTo("v1")
	d.Retry = route.Retry{Attempts: 3, On: route.RetryUnavailable}
	var waits []time.Duration
	return b, p, dial(t, deadAddr(t), always(d), WithRouter(routerFor(t, p)), noBackoff(&waits))
}

func TestUnaryRetryOverflowKeepsOriginalFailure(t *testing.T) {
	b, _, c := pickerRetryClient(t, 1, true)
	_, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{})
	if diff := cmp.Diff([]any{codeAndMessage{codes.Unavailable, "scripted failure"}, int32(1)}, []any{statusOf(err), b.calls.Load()}); diff != "" {
		t.Errorf("status, tries (-want +got):\n%s", diff)
	}
}

func TestUnaryRetrySlotsAreReleased(t *testing.T) {
	_, p, c := pickerRetryClient(t, 2, false)
	if _, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.retries != 0 {
		t.Errorf("%d retry slots still held after the call", p.retries)
	}
}

func TestUnaryPickErrorsAreNotRetried(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want codeAndMessage
	}{
		{"overflow answers Unavailable (503 UO)", policy.ErrOverflow,
			codeAndMessage{codes.Unavailable, "upstream overflow: connection pool limit of outbound|9080|v1|reviews.default.svc.cluster.local reached"}},
		{"no healthy upstream answers Unavailable (503 UH)", policy.ErrNoHealthyUpstream,
			codeAndMessage{codes.Unavailable, "no healthy upstream for outbound|9080|v1|reviews.default.svc.cluster.local"}},
		{"other pick errors answer Unavailable with the cause", errors.New("boom"),
			codeAndMessage{codes.Unavailable, "cannot pick an endpoint of outbound|9080|v1|reviews.default.svc.cluster.local: boom"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newFakePicker(nil)
			p.err = tt.err
			d := routeTo("v1")
			d.Retry = route.Retry{Attempts: 3, On: route.RetryUnavailable | route.RetryConnectFailure}
			c := dial(t, deadAddr(t), always(d), WithRouter(routerFor(t, p)))
			_, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{})
			if diff := cmp.Diff(tt.want, statusOf(err)); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			if p.asked != 1 {
				t.Errorf("picked %d times, want 1: pick failures are not retried", p.asked)
			}
		})
	}
}

func TestUnaryResponseHeaderOptionStillFilled(t *testing.T) {
	b := serve(t, &backend{name: "v1"})
	c := dial(t, b.addr, always(routeTo("v1")))
	var hdr metadata.MD
	if _, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{}, grpc.Header(&hdr)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"v1"}, hdr.Get("x-served-by")); diff != "" {
		t.Errorf("x-served-by (-want +got):\n%s", diff)
	}
}

func TestNoTableAnswersUnavailable(t *testing.T) {
	b := serve(t, &backend{name: "v1"})
	var empty route.Store // a Store that never got a table
	tests := []struct {
		name string
		src  route.TableSource
	}{
		{"nil table source", nil},
		{"store without a table", &empty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialTable(t, tt.src, b.addr)
			_, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{})
			want := codeAndMessage{codes.Unavailable, "routegrpc: no routing table to decide on"}
			if diff := cmp.Diff(want, statusOf(err)); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUnaryClientInterceptorAllocs pins the unary interceptor's
// allocations on a split route with the default timeout and retry policy
// (BenchmarkUnaryInterceptorOverhead's "split route"): the route
// timeout's context.WithTimeout and nothing else.
func TestUnaryClientInterceptorAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops pooled state at random")
	}
	withTimeout := testing.AllocsPerRun(100, func() {
		_, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		cancel()
	})
	icpt := UnaryClientInterceptor(compile(t, reviewsYAML), WithAuthority("reviews:9080"))
	noop := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return nil }
	got := testing.AllocsPerRun(200, func() {
		if err := icpt(context.Background(), "/grpc.testing.TestService/UnaryCall", nil, nil, nil, noop); err != nil {
			t.Fatal(err)
		}
	})
	if got != withTimeout {
		t.Errorf("allocs per call = %v, want %v (one context.WithTimeout)", got, withTimeout)
	}
}
