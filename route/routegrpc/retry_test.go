package routegrpc

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
)

// failFirst makes a backend answer its first n calls with code.
func failFirst(n int, code codes.Code) func(context.Context, int) error {
	return func(_ context.Context, call int) error {
		if call <= n {
			return status.Error(code, "scripted failure")
		}
		return nil
	}
}

// hangFirst is a backend script whose first call waits for its context
// to end (a per-try timeout) and whose later calls succeed.
func hangFirst(ctx context.Context, call int) error {
	if call == 1 {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

// perTryTimeoutCall makes one call with call through a route that retries
// once on on, with a 300ms per-try timeout, to a backend whose first call
// hangs (hangFirst). It returns how many calls the backend saw and the
// call's code.
func perTryTimeoutCall(t *testing.T, on route.RetryOn, call func(testpb.TestServiceClient) error) (int32, codes.Code) {
	t.Helper()
	b := serve(t, &backend{name: "v1", fail: hangFirst})
	d := routeTo("v1")
	d.Retry = route.Retry{Attempts: 1, On: on, PerTryTimeout: 300 * time.Millisecond}
	var waits []time.Duration
	err := call(dial(t, b.addr, always(d), noBackoff(&waits)))
	return b.calls.Load(), status.Code(err)
}

// noBackoff records backoff waits instead of sleeping.
func noBackoff(waits *[]time.Duration) Option {
	return withSleep(func(ctx context.Context, d time.Duration) error {
		*waits = append(*waits, d)
		return ctx.Err()
	})
}

func TestUnaryRetryOnGRPCStatusTokens(t *testing.T) {
	tests := []struct {
		name      string
		on        route.RetryOn
		answer    codes.Code
		wantCalls int32
		wantCode  codes.Code
	}{
		{"cancelled retries an answered CANCELLED", route.RetryCancelled, codes.Canceled, 2, codes.OK},
		{"deadline-exceeded retries an answered DEADLINE_EXCEEDED", route.RetryDeadlineExceeded, codes.DeadlineExceeded, 2, codes.OK},
		{"internal retries an answered INTERNAL", route.RetryInternal, codes.Internal, 2, codes.OK},
		{"resource-exhausted retries an answered RESOURCE_EXHAUSTED", route.RetryResourceExhausted, codes.ResourceExhausted, 2, codes.OK},
		{"unavailable retries an answered UNAVAILABLE", route.RetryUnavailable, codes.Unavailable, 2, codes.OK},
		{"unavailable does not retry INTERNAL", route.RetryUnavailable, codes.Internal, 1, codes.Internal},
		{"internal does not retry UNAVAILABLE", route.RetryInternal, codes.Unavailable, 1, codes.Unavailable},
		{"no gRPC token retries UNKNOWN", route.RetryCancelled | route.RetryDeadlineExceeded | route.RetryInternal |
			route.RetryResourceExhausted | route.RetryUnavailable, codes.Unknown, 1, codes.Unknown},
		{"5xx does not retry an answered UNAVAILABLE (HTTP 200 with grpc-status)", route.Retry5xx, codes.Unavailable, 1, codes.Unavailable},
		{"connect-failure does not retry an answered UNAVAILABLE", route.RetryConnectFailure, codes.Unavailable, 1, codes.Unavailable},
		{"retriable-status-codes never match a gRPC answer", route.RetryRetriableStatusCodes, codes.Unavailable, 1, codes.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := serve(t, &backend{name: "v1", fail: failFirst(1, tt.answer)})
			d := routeTo("v1")
			d.Retry = route.Retry{Attempts: 2, On: tt.on, StatusCodes: []int{503, 200}}
			var waits []time.Duration
			c := dial(t, b.addr, always(d), noBackoff(&waits))
			_, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{})
			got := struct {
				Calls int32
				Code  codes.Code
			}{b.calls.Load(), status.Code(err)}
			want := struct {
				Calls int32
				Code  codes.Code
			}{tt.wantCalls, tt.wantCode}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnaryRetryAttemptsBoundTries(t *testing.T) {
	tests := []struct {
		name      string
		attempts  int
		failures  int
		wantCalls int32
		wantCode  codes.Code
	}{
		{"attempts 2 allows three tries", 2, 2, 3, codes.OK},
		{"attempts 2 gives up after three tries", 2, 5, 3, codes.Unavailable},
		{"attempts 0 disables retries", 0, 1, 1, codes.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := serve(t, &backend{name: "v1", fail: failFirst(tt.failures, codes.Unavailable)})
			d := routeTo("v1")
			d.Retry = route.Retry{Attempts: tt.attempts, On: route.RetryUnavailable}
			var waits []time.Duration
			c := dial(t, b.addr, always(d), noBackoff(&waits))
			_, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{})
			if diff := cmp.Diff([]any{tt.wantCalls, tt.wantCode}, []any{b.calls.Load(), status.Code(err)}); diff != "" {
				t.Errorf("calls, code (-want +got):\n%s", diff)
			}
			if len(waits) != int(tt.wantCalls)-1 {
				t.Errorf("waited %d backoffs, want one before each retry (%d)", len(waits), tt.wantCalls-1)
			}
		})
	}
}

func TestUnaryRetryConnectionLevelFailures(t *testing.T) {
	tests := []struct {
		name     string
		on       route.RetryOn
		wantCode codes.Code
	}{
		{"connect-failure retries a refused connection", route.RetryConnectFailure, codes.OK},
		{"reset retries a refused connection", route.RetryReset, codes.OK},
		{"refused-stream retries a refused connection", route.RetryRefusedStream, codes.OK},
		{"5xx includes connect failures", route.Retry5xx, codes.OK},
		{"gateway-error includes connect failures", route.RetryGatewayError, codes.OK},
		{"unavailable alone does not retry a connection that got no answer", route.RetryUnavailable, codes.Unavailable},
		{"internal alone does not retry a refused connection", route.RetryInternal, codes.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := serve(t, &backend{name: "v1"})
			dead := deadAddr(t)
			p := newFakePicker(map[string][]string{"v1": {dead, live.addr}})
			d := routeTo("v1")
			d.Retry = route.Retry{Attempts: 1, On: tt.on, IgnorePreviousHosts: true}
			var waits []time.Duration
			c := dial(t, deadAddr(t), always(d), WithRouter(routerFor(t, p)), noBackoff(&waits))
			_, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{})
			if diff := cmp.Diff(tt.wantCode, status.Code(err)); diff != "" {
				t.Errorf("code (-want +got):\n%s (err %v)", diff, err)
			}
		})
	}
}

func TestUnaryRetryAvoidsPreviousHostsAndReportsResults(t *testing.T) {
	failing := serve(t, &backend{name: "a", fail: failFirst(100, codes.Unavailable)})
	dead := deadAddr(t)
	good := serve(t, &backend{name: "c"})
	p := newFakePicker(map[string][]string{"v1": {failing.addr, dead, good.addr}})
	d := routeTo("v1")
	d.Retry = route.Retry{Attempts: 2, On: route.RetryUnavailable | route.RetryConnectFailure, IgnorePreviousHosts: true}
	var waits []time.Duration
	c := dial(t, deadAddr(t), always(d), WithRouter(routerFor(t, p)), noBackoff(&waits))
	resp, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{})
	if err != nil {
		t.Fatal(err)
	}
	picks, avoided, results := p.snapshot()
	want := struct {
		Served  string
		Picks   []string
		Avoided [][]string
		Results []policy.Result
	}{
		Served:  "c",
		Picks:   []string{failing.addr, dead, good.addr},
		Avoided: [][]string{{}, {failing.addr}, {failing.addr, dead}},
		Results: []policy.Result{
			{Status: 503},       // answered UNAVAILABLE, reported as Envoy's grpc→HTTP 503
			{LocalOrigin: true}, // connection refused
			{Status: 200},       // success
		},
	}
	got := struct {
		Served  string
		Picks   []string
		Avoided [][]string
		Results []policy.Result
	}{resp.GetUsername(), picks, avoided, results}
	if diff := cmp.Diff(want, got, cmpEmptyIsNil); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestUnaryPerTryTimeout(t *testing.T) {
	tests := []struct {
		name      string
		on        route.RetryOn
		wantCalls int32
		wantCode  codes.Code
	}{
		{"5xx retries a per-try timeout", route.Retry5xx, 2, codes.OK},
		{"gateway-error retries a per-try timeout", route.RetryGatewayError, 2, codes.OK},
		{"reset does not retry a per-try timeout", route.RetryReset, 1, codes.DeadlineExceeded},
		{"deadline-exceeded does not retry a per-try timeout (it is no upstream answer)", route.RetryDeadlineExceeded, 1, codes.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls, code := perTryTimeoutCall(t, tt.on, func(c testpb.TestServiceClient) error {
				_, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{})
				return err
			})
			if diff := cmp.Diff([]any{tt.wantCalls, tt.wantCode}, []any{calls, code}); diff != "" {
				t.Errorf("calls, code (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnaryRetriesStopAtRouteDeadline(t *testing.T) {
	b := serve(t, &backend{name: "v1", fail: failFirst(1<<30, codes.Unavailable)})
	d := routeTo("v1")
	d.Timeout = 150 * time.Millisecond
	d.Retry = route.Retry{Attempts: 1000, On: route.RetryUnavailable, Backoff: 20 * time.Millisecond}
	c := dial(t, b.addr, always(d))
	start := time.Now()
	_, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{})
	el := time.Since(start)
	if status.Code(err) != codes.Unavailable && status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("code %v, want the last try's UNAVAILABLE or the deadline", status.Code(err))
	}
	if el > time.Second || b.calls.Load() >= 1000 {
		t.Errorf("retried %d times over %v, want retries to stop at the 150ms route timeout", b.calls.Load(), el)
	}
}

func TestBackoffIsEnvoysJitteredExponential(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name  string
		retry route.Retry
		n     int
		bound time.Duration // every wait is below this
	}{
		{"first retry waits under 25ms (base)", route.Retry{}, 1, 25 * ms},
		{"second retry waits under 75ms (3 × base)", route.Retry{}, 2, 75 * ms},
		{"third retry waits under 175ms (7 × base)", route.Retry{}, 3, 175 * ms},
		{"fourth retry is capped at 250ms (10 × base)", route.Retry{}, 4, 250 * ms},
		{"tenth retry stays capped at 250ms", route.Retry{}, 10, 250 * ms},
		{"backoff sets the base", route.Retry{Backoff: 100 * ms}, 2, 300 * ms},
		{"cap is 10 × a configured base", route.Retry{Backoff: 100 * ms}, 5, time.Second},
		{"max backoff caps explicitly", route.Retry{Backoff: 100 * ms, MaxBackoff: 150 * ms}, 3, 150 * ms},
		{"huge retry numbers do not overflow", route.Retry{}, 200, 250 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := rand.NewPCG(1, 2)
			var maxSeen time.Duration
			for range 5000 {
				w := backoff(&tt.retry, tt.n, src)
				if w < 0 || w >= tt.bound {
					t.Fatalf("wait %v outside [0, %v)", w, tt.bound)
				}
				maxSeen = max(maxSeen, w)
			}
			if maxSeen < tt.bound*9/10 {
				t.Errorf("largest of 5000 waits %v, want jitter over the whole range up to %v", maxSeen, tt.bound)
			}
		})
	}
}

func TestRetriableRules(t *testing.T) {
	unavailable := status.Error(codes.Unavailable, "x")
	tests := []struct {
		name string
		on   route.RetryOn
		o    outcome
		want bool
	}{
		{"success is never retried", route.Retry5xx, outcome{}, false},
		{"a final failure (overflow, caller gone) is never retried", route.RetryConnectFailure | route.RetryUnavailable,
			outcome{err: unavailable, final: true}, false},
		{"answered UNAVAILABLE under unavailable", route.RetryUnavailable, outcome{err: unavailable, answered: true}, true},
		{"unanswered UNAVAILABLE under connect-failure", route.RetryConnectFailure, outcome{err: unavailable}, true},
		{"unanswered UNAVAILABLE under reset-before-request", route.RetryResetBeforeRequest, outcome{err: unavailable}, true},
		{"unanswered INTERNAL (stream reset) under reset", route.RetryReset, outcome{err: status.Error(codes.Internal, "x")}, true},
		{"unanswered CANCELLED (RST_STREAM CANCEL) under reset", route.RetryReset, outcome{err: status.Error(codes.Canceled, "x")}, true},
		{"unanswered UNKNOWN is not a connection failure", route.RetryReset | route.Retry5xx, outcome{err: status.Error(codes.Unknown, "x")}, false},
		{"unanswered UNAVAILABLE is not an answered unavailable", route.RetryUnavailable, outcome{err: unavailable}, false},
		{"per-try timeout under 5xx", route.Retry5xx, outcome{err: unavailable, perTryTimeout: true}, true},
		{"per-try timeout under gateway-error", route.RetryGatewayError, outcome{err: unavailable, perTryTimeout: true}, true},
		{"per-try timeout not under connect-failure", route.RetryConnectFailure, outcome{err: unavailable, perTryTimeout: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := route.Retry{Attempts: 1, On: tt.on}
			if got := retriable(&r, tt.o); got != tt.want {
				t.Errorf("retriable = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestResultReportedToRuntime(t *testing.T) {
	tests := []struct {
		name string
		o    outcome
		want policy.Result
	}{
		{"success is 200", outcome{}, policy.Result{Status: 200}},
		{"answered UNAVAILABLE is Envoy's 503", outcome{err: status.Error(codes.Unavailable, ""), answered: true}, policy.Result{Status: 503}},
		{"answered DEADLINE_EXCEEDED is 504", outcome{err: status.Error(codes.DeadlineExceeded, ""), answered: true}, policy.Result{Status: 504}},
		{"answered RESOURCE_EXHAUSTED is 429", outcome{err: status.Error(codes.ResourceExhausted, ""), answered: true}, policy.Result{Status: 429}},
		{"answered INTERNAL is 500", outcome{err: status.Error(codes.Internal, ""), answered: true}, policy.Result{Status: 500}},
		{"answered NOT_FOUND is 404", outcome{err: status.Error(codes.NotFound, ""), answered: true}, policy.Result{Status: 404}},
		{"unanswered failure is local origin", outcome{err: status.Error(codes.Unavailable, "")}, policy.Result{LocalOrigin: true}},
		{"per-try timeout is local origin", outcome{err: status.Error(codes.DeadlineExceeded, ""), answered: true, perTryTimeout: true}, policy.Result{LocalOrigin: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := result(tt.o)
			got.Err = nil
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
