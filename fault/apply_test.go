package fault

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

func TestWait(t *testing.T) {
	t.Run("waits the whole delay", func(t *testing.T) {
		start := time.Now()
		if err := Wait(context.Background(), 30*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 30*time.Millisecond {
			t.Errorf("returned after %v, want ≥ 30ms", d)
		}
	})
	t.Run("cancellation ends the delay early", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(10*time.Millisecond, cancel)
		start := time.Now()
		err := Wait(ctx, time.Hour)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("returned after %v; cancellation was not honoured", d)
		}
	})
	t.Run("deadline ends the delay with DeadlineExceeded", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		defer cancel()
		if err := Wait(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want DeadlineExceeded", err)
		}
	})
	t.Run("zero delay does not wait", func(t *testing.T) {
		if err := Wait(context.Background(), 0); err != nil {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("zero delay still reports a done context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := Wait(ctx, 0); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

type reply struct {
	Status      int
	ContentType string
	GRPCStatus  string
	GRPCMessage string
	Body        string
}

func recorded(a Abort) reply {
	rec := httptest.NewRecorder()
	WriteHTTP(rec, a)
	h := rec.Result().Header
	return reply{rec.Code, h.Get("Content-Type"), h.Get("Grpc-Status"), h.Get("Grpc-Message"), rec.Body.String()}
}

func TestWriteHTTP(t *testing.T) {
	tests := []struct {
		name string
		a    Abort
		want reply
	}{
		{"HTTP abort answers with its status and Envoy's body", Abort{HTTPStatus: 503},
			reply{503, "text/plain", "", "", "fault filter abort"}},
		{"HTTP abort 400", Abort{HTTPStatus: 400},
			reply{400, "text/plain", "", "", "fault filter abort"}},
		{"gRPC abort is HTTP 200 with grpc-status in the headers", Abort{GRPC: true, GRPCStatus: codes.Unavailable},
			reply{200, "application/grpc", "14", "fault filter abort", ""}},
		{"gRPC abort OK still writes grpc-status 0", Abort{GRPC: true, GRPCStatus: codes.OK},
			reply{200, "application/grpc", "0", "fault filter abort", ""}},
		{"an invalid HTTP status becomes 500 rather than a panic", Abort{HTTPStatus: 42},
			reply{500, "text/plain", "", "", "fault filter abort"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, recorded(tt.a)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteHTTPOverARealServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteHTTP(w, Abort{HTTPStatus: 418})
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	got := []any{resp.StatusCode, resp.Header.Get("Content-Type"), resp.ContentLength, string(body)}
	want := []any{418, "text/plain", int64(len("fault filter abort")), "fault filter abort"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// grpcClientOverH2 serves h over HTTP/2 with TLS and returns a real grpc-go
// client connection to it; both close when the test ends.
func grpcClientOverH2(t *testing.T, h http.HandlerFunc) *grpc.ClientConn {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	tlsConf := &tls.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs, NextProtos: []string{"h2"}}
	conn, err := grpc.NewClient(srv.Listener.Addr().String(), grpc.WithTransportCredentials(credentials.NewTLS(tlsConf)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestWriteHTTPGRPCAbortReachesAGRPCClient serves a gRPC abort over real
// HTTP/2 and calls it with a real grpc-go client: the trailers-only
// response must surface as the configured status.
func TestWriteHTTPGRPCAbortReachesAGRPCClient(t *testing.T) {
	conn := grpcClientOverH2(t, func(w http.ResponseWriter, r *http.Request) {
		WriteHTTP(w, Abort{GRPC: true, GRPCStatus: codes.ResourceExhausted})
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := conn.Invoke(ctx, "/test.Svc/Call", &emptypb.Empty{}, &emptypb.Empty{})
	st := status.Convert(err)
	if diff := cmp.Diff([]any{codes.ResourceExhausted, "fault filter abort"}, []any{st.Code(), st.Message()}); diff != "" {
		t.Errorf("gRPC client saw (-want +got):\n%s", diff)
	}
}

func TestGRPCError(t *testing.T) {
	tests := []struct {
		name string
		a    Abort
		want codes.Code
	}{
		{"grpcStatus is used as is", Abort{GRPC: true, GRPCStatus: codes.Unavailable}, codes.Unavailable},
		{"grpcStatus DEADLINE_EXCEEDED", Abort{GRPC: true, GRPCStatus: codes.DeadlineExceeded}, codes.DeadlineExceeded},
		{"http 400 maps to INTERNAL", Abort{HTTPStatus: 400}, codes.Internal},
		{"http 401 maps to UNAUTHENTICATED", Abort{HTTPStatus: 401}, codes.Unauthenticated},
		{"http 403 maps to PERMISSION_DENIED", Abort{HTTPStatus: 403}, codes.PermissionDenied},
		{"http 404 maps to UNIMPLEMENTED", Abort{HTTPStatus: 404}, codes.Unimplemented},
		{"http 429 maps to UNAVAILABLE", Abort{HTTPStatus: 429}, codes.Unavailable},
		{"http 502 maps to UNAVAILABLE", Abort{HTTPStatus: 502}, codes.Unavailable},
		{"http 503 maps to UNAVAILABLE", Abort{HTTPStatus: 503}, codes.Unavailable},
		{"http 504 maps to UNAVAILABLE", Abort{HTTPStatus: 504}, codes.Unavailable},
		{"http 500 maps to UNKNOWN", Abort{HTTPStatus: 500}, codes.Unknown},
		{"http 418 maps to UNKNOWN", Abort{HTTPStatus: 418}, codes.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, ok := status.FromError(GRPCError(tt.a))
			if !ok {
				t.Fatal("not a status error")
			}
			if diff := cmp.Diff([]any{tt.want, "fault filter abort"}, []any{st.Code(), st.Message()}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if err := GRPCError(Abort{GRPC: true, GRPCStatus: codes.OK}); err != nil {
		t.Errorf("grpcStatus OK: err = %v, want nil", err)
	}
}

// TestSampleIsIndependent: with delay 50% and abort 50%, Envoy's two
// independent draws give ≈25% in each quadrant.
func TestSampleIsIndependent(t *testing.T) {
	s := &Spec{Delay: &Delay{Duration: time.Second, Chance: FromPercent(50)}, Abort: &Abort{HTTPStatus: 503, Chance: FromPercent(50)}}
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 200_000
	var quad [2][2]int
	for range n {
		o := s.Sample(rng.Uint64(), rng.Uint64())
		quad[b2i(o.Delayed)][b2i(o.Aborted)]++
	}
	for d := range 2 {
		for a := range 2 {
			if got := float64(quad[d][a]) / n; got < 0.24 || got > 0.26 {
				t.Errorf("delayed=%v aborted=%v: %.4f of requests, want 0.25±0.01", d == 1, a == 1, got)
			}
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestSampleChance(t *testing.T) {
	tests := []struct {
		name   string
		chance PerMillion
		want   float64
	}{
		{"10% fires about a tenth of the time", FromPercent(10), 0.10},
		{"0.5% fires about one in two hundred", FromPercent(0.5), 0.005},
		{"0% never fires", 0, 0},
		{"100% always fires", Million, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Spec{Abort: &Abort{HTTPStatus: 500, Chance: tt.chance}}
			rng := rand.New(rand.NewPCG(3, 4))
			const n = 200_000
			hits := 0
			for range n {
				if s.Sample(rng.Uint64(), rng.Uint64()).Aborted {
					hits++
				}
			}
			got := float64(hits) / n
			if tol := 0.003; got < tt.want-tol || got > tt.want+tol {
				t.Errorf("fired %.4f of the time, want %.4f", got, tt.want)
			}
		})
	}
}

func TestOutcome(t *testing.T) {
	s := &Spec{Delay: &Delay{Duration: 2 * time.Second, Chance: Million}, Abort: &Abort{HTTPStatus: 503, Chance: Million}}
	o := s.Sample(0, 0)
	a, ok := o.AbortWith()
	got := []any{o.DelayDuration(), a, ok}
	want := []any{2 * time.Second, Abort{HTTPStatus: 503, Chance: Million}, true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	var none *Spec
	o = none.Sample(0, 0)
	a, ok = o.AbortWith()
	if diff := cmp.Diff([]any{time.Duration(0), Abort{}, false}, []any{o.DelayDuration(), a, ok}); diff != "" {
		t.Errorf("nil spec (-want +got):\n%s", diff)
	}
	if n := testing.AllocsPerRun(100, func() { s.Sample(1, 2) }); n != 0 {
		t.Errorf("Sample allocates %v times, want 0", n)
	}
}

// TestHTTPToGRPCCodeAgreesWithGRPCGo serves plain HTTP aborts over HTTP/2
// to a real grpc-go client: the code it reports must be HTTPToGRPCCode's.
func TestHTTPToGRPCCodeAgreesWithGRPCGo(t *testing.T) {
	var current atomic.Int64
	conn := grpcClientOverH2(t, func(w http.ResponseWriter, r *http.Request) {
		WriteHTTP(w, Abort{HTTPStatus: int(current.Load())})
	})
	for _, code := range []int{400, 401, 403, 404, 429, 500, 502, 503, 504} {
		current.Store(int64(code))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := conn.Invoke(ctx, "/test.Svc/Call", &emptypb.Empty{}, &emptypb.Empty{})
		cancel()
		if got, want := status.Code(err), HTTPToGRPCCode(code); got != want {
			t.Errorf("HTTP %d: grpc-go reports %v, HTTPToGRPCCode says %v", code, got, want)
		}
	}
}
