package routegrpc

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/meshroute/meshroute/fault"
	"github.com/meshroute/meshroute/route"
)

func msg(body string) *testpb.StreamingOutputCallRequest {
	return &testpb.StreamingOutputCallRequest{Payload: &testpb.Payload{Body: []byte(body)}}
}

// duplex sends bodies, half-closes and returns the bodies received and the
// final status.
func duplex(ctx context.Context, c testpb.TestServiceClient, bodies ...string) ([]string, error) {
	s, err := c.FullDuplexCall(ctx)
	if err != nil {
		return nil, err
	}
	for _, b := range bodies {
		if err := s.Send(msg(b)); err != nil {
			break // the status comes from Recv
		}
	}
	if err := s.CloseSend(); err != nil {
		return nil, err
	}
	var got []string
	for {
		r, err := s.Recv()
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return got, err
		}
		got = append(got, string(r.GetPayload().GetBody()))
	}
}

func TestStreamRetriedBeforeFirstResponseReplaysSentMessages(t *testing.T) {
	b := serve(t, &backend{name: "v1", fail: failFirst(2, codes.Unavailable)})
	d := routeTo("v1")
	d.Retry = route.Retry{Attempts: 2, On: route.RetryUnavailable}
	var waits []time.Duration
	c := dial(t, b.addr, always(d), noBackoff(&waits))
	got, err := duplex(context.Background(), c, "a", "b", "c")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"v1:a", "v1:b", "v1:c"}, got); diff != "" {
		t.Errorf("responses (-want +got):\n%s", diff)
	}
	if n := b.calls.Load(); n != 3 {
		t.Errorf("backend saw %d tries, want 3", n)
	}
}

func TestStreamNotRetriedAfterFirstResponse(t *testing.T) {
	b := serve(t, &backend{name: "v1", breakAfter: 1, breakErr: status.Error(codes.Unavailable, "broke after one answer")})
	d := routeTo("v1")
	d.Retry = route.Retry{Attempts: 3, On: route.RetryUnavailable}
	var waits []time.Duration
	c := dial(t, b.addr, always(d), noBackoff(&waits))
	s, err := c.FullDuplexCall(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(msg("x")); err != nil {
		t.Fatal(err)
	}
	r, err := s.Recv()
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Send(msg("y"))
	_, err = s.Recv()
	got := []any{string(r.GetPayload().GetBody()), status.Code(err), b.calls.Load()}
	if diff := cmp.Diff([]any{"v1:x", codes.Unavailable, int32(1)}, got); diff != "" {
		t.Errorf("first response, final code, tries (-want +got):\n%s", diff)
	}
}

func TestStreamServerStreamingRetried(t *testing.T) {
	b := serve(t, &backend{name: "v1", fail: failFirst(1, codes.Unavailable)})
	d := routeTo("v1")
	d.Retry = route.Retry{Attempts: 1, On: route.RetryUnavailable}
	var waits []time.Duration
	c := dial(t, b.addr, always(d), noBackoff(&waits))
	s, err := c.StreamingOutputCall(context.Background(), &testpb.StreamingOutputCallRequest{
		ResponseParameters: []*testpb.ResponseParameters{{}, {}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		r, err := s.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(r.GetPayload().GetBody()))
	}
	if diff := cmp.Diff([]string{"v1", "v1"}, got); diff != "" {
		t.Errorf("responses (-want +got):\n%s", diff)
	}
}

func TestStreamClientStreamingRetriedWithReplay(t *testing.T) {
	b := serve(t, &backend{name: "v1", fail: failFirst(1, codes.Unavailable)})
	d := routeTo("v1")
	d.Retry = route.Retry{Attempts: 1, On: route.RetryUnavailable}
	var waits []time.Duration
	c := dial(t, b.addr, always(d), noBackoff(&waits))
	s, err := c.StreamingInputCall(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"abc", "de"} {
		if err := s.Send(&testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: []byte(body)}}); err != nil && err != io.EOF {
			t.Fatal(err)
		}
	}
	resp, err := s.CloseAndRecv()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(int32(5), resp.GetAggregatedPayloadSize()); diff != "" {
		t.Errorf("bytes the retried try received (-want +got):\n%s", diff)
	}
}

func TestStreamBeyondRetryBufferIsNotRetried(t *testing.T) {
	b := serve(t, &backend{name: "v1", fail: failFirst(1, codes.Unavailable)})
	d := routeTo("v1")
	d.Retry = route.Retry{Attempts: 1, On: route.RetryUnavailable}
	var waits []time.Duration
	c := dial(t, b.addr, always(d), noBackoff(&waits), WithStreamRetryBuffer(4))
	_, err := duplex(context.Background(), c, "more than four bytes")
	if diff := cmp.Diff([]any{codes.Unavailable, int32(1)}, []any{status.Code(err), b.calls.Load()}); diff != "" {
		t.Errorf("code, tries (-want +got):\n%s", diff)
	}
}

func TestStreamRoutedThroughRouter(t *testing.T) {
	v1 := serve(t, &backend{name: "v1"})
	v2 := serve(t, &backend{name: "v2"})
	p := newFakePicker(map[string][]string{"v1": {v1.addr}, "v2": {v2.addr}})
	c := dial(t, deadAddr(t), always(routeTo("v2")), WithRouter(routerFor(t, p)))
	got, err := duplex(context.Background(), c, "a")
	if err != nil {
		t.Fatal(err)
	}
	authority, _ := v2.seen(0)
	if diff := cmp.Diff([]string{"v2:a", "reviews:9080"}, append(got, authority)); diff != "" {
		t.Errorf("responses and :authority (-want +got):\n%s", diff)
	}
	_, _, results := p.snapshot()
	if diff := cmp.Diff(1, len(results)); diff != "" {
		t.Errorf("results reported to the runtime (-want +got):\n%s", diff)
	}
}

func TestStreamDeadlineOnlyWhenRouteSetsTimeout(t *testing.T) {
	tests := []struct {
		name   string
		source route.TimeoutSource
		want   bool
	}{
		{"route timeout gives the stream a deadline", route.TimeoutRoute, true},
		{"per-request timeout header gives the stream a deadline", route.TimeoutHeader, true},
		{"table default timeout does not apply to streams", route.TimeoutDefault, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &backend{name: "v1"}
			seen := deadlineSeen(b)
			serve(t, b)
			d := routeTo("v1")
			d.Timeout, d.TimeoutSource = 5*time.Second, tt.source
			c := dial(t, b.addr, always(d))
			if _, err := duplex(context.Background(), c, "a"); err != nil {
				t.Fatal(err)
			}
			if got := seen.load() > 0; got != tt.want {
				t.Errorf("backend saw a deadline: %v (%v), want %v", got, seen.load(), tt.want)
			}
		})
	}
}

func TestStreamPerTryTimeoutBeforeFirstResponse(t *testing.T) {
	tests := []struct {
		name      string
		on        route.RetryOn
		wantCalls int32
		wantCode  codes.Code
	}{
		{"5xx retries a stream whose try timed out", route.Retry5xx, 2, codes.OK},
		{"unavailable does not retry a per-try timeout", route.RetryUnavailable, 1, codes.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls, code := perTryTimeoutCall(t, tt.on, func(c testpb.TestServiceClient) error {
				_, err := duplex(context.Background(), c, "a")
				return err
			})
			if diff := cmp.Diff([]any{tt.wantCalls, tt.wantCode}, []any{calls, code}); diff != "" {
				t.Errorf("tries, code (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStreamPerTryTimeoutStopsAtFirstResponse(t *testing.T) {
	b := serve(t, &backend{name: "v1"})
	d := routeTo("v1")
	d.Retry = route.Retry{Attempts: 1, On: route.Retry5xx, PerTryTimeout: 300 * time.Millisecond}
	c := dial(t, b.addr, always(d))
	s, err := c.FullDuplexCall(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(msg("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond) // past the per-try timeout
	if err := s.Send(msg("b")); err != nil {
		t.Fatal(err)
	}
	r, err := s.Recv()
	if err != nil {
		t.Fatalf("committed stream was cut by the per-try timeout: %v", err)
	}
	if diff := cmp.Diff("v1:b", string(r.GetPayload().GetBody())); diff != "" {
		t.Errorf("second response (-want +got):\n%s", diff)
	}
	_ = s.CloseSend()
}

func TestStreamFaultAbort(t *testing.T) {
	b := serve(t, &backend{name: "v1"})
	d := abortDecision(fault.Abort{HTTPStatus: 503})
	c := dial(t, b.addr, always(d))
	_, err := c.FullDuplexCall(context.Background())
	if diff := cmp.Diff(codeAndMessage{codes.Unavailable, "fault filter abort"}, statusOf(err)); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	if b.calls.Load() != 0 {
		t.Error("aborted stream reached the backend")
	}
}

func TestStreamRetryOverflowKeepsOriginalFailure(t *testing.T) {
	b, _, c := pickerRetryClient(t, 1, true)
	_, err := duplex(context.Background(), c, "a")
	if diff := cmp.Diff([]any{codeAndMessage{codes.Unavailable, "scripted failure"}, int32(1)}, []any{statusOf(err), b.calls.Load()}); diff != "" {
		t.Errorf("status, tries (-want +got):\n%s", diff)
	}
}

func TestStreamRetrySlotsAreReleased(t *testing.T) {
	_, p, c := pickerRetryClient(t, 2, false)
	if _, err := duplex(context.Background(), c, "a"); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.retries != 0 {
		t.Errorf("%d retry slots still held after the stream", p.retries)
	}
}
