package routehttp

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/meshroute/meshroute/fault"
	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
)

// testTransport builds a Transport over fake endpoints with zero backoff.
func testTransport(eps endpoints, opts ...Option) *transport {
	opts = append([]Option{WithRand(zeroRand{})}, opts...)
	return newTransport(emptyTable, eps, newConfig(opts))
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr().String()
	l.Close()
	return a
}

// resetConn closes the connection without answering.
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}

func TestTransportForwardsRoutedRequest(t *testing.T) {
	b := newBackend(t, nil)
	eps := newFakeEndpoints().add("reviews.default.svc.cluster.local", "v2", b.addr())
	d := routed("reviews.default.svc.cluster.local")
	d.Target.Subset = "v2"
	d.Path = "/v2/list?x=1"
	d.OriginalPath = "/api/list?x=1"
	d.Authority = "reviews.internal"
	tr := testTransport(eps, decideAlways(d))

	req := mustRequest(t, "GET", "http://reviews:9080/api/list?x=1", "")
	req.Header.Set("X-User", "jason")
	status, _, body := roundTrip(t, tr, req)

	if status != 200 || body != "ok" {
		t.Fatalf("got %d %q, want 200 ok", status, body)
	}
	got := b.requests()
	if len(got) != 1 {
		t.Fatalf("backend saw %d requests, want 1", len(got))
	}
	want := seen{Method: "GET", Path: "/v2/list?x=1", Host: "reviews.internal"}
	if diff := cmp.Diff(want, got[0], cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Header" || p.Last().String() == ".Body" }, cmp.Ignore())); diff != "" {
		t.Errorf("backend saw (-want +got):\n%s", diff)
	}
	for k, v := range map[string]string{"X-Envoy-Original-Path": "/api/list?x=1", "X-Envoy-Attempt-Count": "1", "X-User": "jason"} {
		if g := got[0].Header.Get(k); g != v {
			t.Errorf("header %s = %q, want %q", k, g, v)
		}
	}
	if req.Header.Get("X-Envoy-Attempt-Count") != "" {
		t.Errorf("the caller's request was modified")
	}
}

func TestTransportLocalDecisions(t *testing.T) {
	abort := &fault.Spec{Abort: &fault.Abort{HTTPStatus: 418, Chance: fault.Million}}
	grpcAbort := &fault.Spec{Abort: &fault.Abort{GRPC: true, GRPCStatus: 14, Chance: fault.Million}}
	tests := []struct {
		name       string
		d          route.Decision
		wantStatus int
		wantBody   string
		wantHeader map[string]string
	}{
		{"no route answers 404 with an empty body", route.Decision{Action: route.ActionNoRoute, Status: 404}, 404, "", nil},
		{"redirect answers its code and Location", route.Decision{Action: route.ActionRedirect, Redirect: route.Redirect{Location: "https://x.example/new?y=1", Code: 308}}, 308, "", map[string]string{"Location": "https://x.example/new?y=1"}},
		{"redirect without a code is Envoy's 301", route.Decision{Action: route.ActionRedirect, Redirect: route.Redirect{Location: "/new"}}, 301, "", map[string]string{"Location": "/new"}},
		{"direct response answers its status and body as text/plain", route.Decision{Action: route.ActionDirectResponse, DirectResponse: route.DirectResponse{Status: 503, Body: "down for maintenance"}}, 503, "down for maintenance", map[string]string{"Content-Type": "text/plain"}},
		{"unavailable destination answers the decision's status", route.Decision{Action: route.ActionUnavailable, Status: 502, Reason: "registry only"}, 502, "", nil},
		{"fault abort answers its status with body fault filter abort", func() route.Decision { d := routed("a"); d.Fault = abort.Sample(0, 0); return d }(), 418, "fault filter abort", nil},
		{"grpc fault abort is HTTP 200 with grpc-status", func() route.Decision { d := routed("a"); d.Fault = grpcAbort.Sample(0, 0); return d }(), 200, "", map[string]string{"Grpc-Status": "14", "Content-Type": "application/grpc"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackend(t, nil)
			tr := testTransport(newFakeEndpoints().add("a", "", b.addr()), decideAlways(tc.d))
			status, hdr, body := roundTrip(t, tr, mustRequest(t, "GET", "http://a/x", ""))
			if status != tc.wantStatus || body != tc.wantBody {
				t.Errorf("got %d %q, want %d %q", status, body, tc.wantStatus, tc.wantBody)
			}
			checkHeaders(t, hdr, tc.wantHeader)
			if n := b.attempts.Load(); n != 0 {
				t.Errorf("backend saw %d requests, want none", n)
			}
		})
	}
}

func TestTransportFaultDelayHoldsTheRequest(t *testing.T) {
	b := newBackend(t, nil)
	d := routed("a")
	d.Fault = (&fault.Spec{Delay: &fault.Delay{Duration: 60 * time.Millisecond, Chance: fault.Million}}).Sample(0, 0)
	tr := testTransport(newFakeEndpoints().add("a", "", b.addr()), decideAlways(d))
	start := time.Now()
	status, _, _ := roundTrip(t, tr, mustRequest(t, "GET", "http://a/", ""))
	if el := time.Since(start); el < 60*time.Millisecond {
		t.Errorf("answered after %v, want at least the 60ms delay", el)
	}
	if status != 200 || b.attempts.Load() != 1 {
		t.Errorf("got %d after %d attempts, want 200 after 1", status, b.attempts.Load())
	}
}

func TestTransportFaultIsRolledOncePerLogicalRequest(t *testing.T) {
	// The decision (and with it the fault roll) is made once; retries of
	// the same request never decide again.
	b := newBackend(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	var decides atomic.Int64
	tr := testTransport(newFakeEndpoints().add("a", "", b.addr()), decideBy(func(*match.Request) route.Decision {
		decides.Add(1)
		d := routed("a")
		d.Retry = route.Retry{Attempts: 3, On: route.Retry5xx}
		return d
	}))
	roundTrip(t, tr, mustRequest(t, "GET", "http://a/", ""))
	if decides.Load() != 1 || b.attempts.Load() != 4 {
		t.Errorf("decided %d times over %d attempts, want 1 over 4", decides.Load(), b.attempts.Load())
	}
}

// retryCase drives one retry rule: the backend behaves per attempt, the
// policy decides how many attempts happen and what the caller gets.
type retryCase struct {
	name         string
	retry        route.Retry
	behave       func(n int, w http.ResponseWriter, r *http.Request)
	reqHeader    map[string]string
	wantAttempts int64
	wantStatus   int
	wantBody     string
}

func status(code int) func(int, http.ResponseWriter, *http.Request) {
	return func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
}

func failThenOK(failures int, fail func(w http.ResponseWriter)) func(int, http.ResponseWriter, *http.Request) {
	return func(n int, w http.ResponseWriter, _ *http.Request) {
		if n <= failures {
			fail(w)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}
}

func withHeader(k, v string, code int) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) { w.Header().Set(k, v); w.WriteHeader(code) }
}

func TestTransportRetryOn(t *testing.T) {
	two := func(on route.RetryOn, codes ...int) route.Retry {
		return route.Retry{Attempts: 2, On: on, StatusCodes: codes}
	}
	code := func(c int) func(w http.ResponseWriter) { return func(w http.ResponseWriter) { w.WriteHeader(c) } }
	tests := []retryCase{
		{name: "5xx retries a 503 response until it succeeds", retry: two(route.Retry5xx), behave: failThenOK(2, code(503)), wantAttempts: 3, wantStatus: 200, wantBody: "ok"},
		{name: "5xx gives the last 500 when attempts run out", retry: two(route.Retry5xx), behave: status(500), wantAttempts: 3, wantStatus: 500},
		{name: "5xx retries a reset", retry: two(route.Retry5xx), behave: failThenOK(1, resetConn), wantAttempts: 2, wantStatus: 200, wantBody: "ok"},
		{name: "5xx does not retry a 4xx", retry: two(route.Retry5xx), behave: status(409), wantAttempts: 1, wantStatus: 409},
		{name: "gateway-error retries 502", retry: two(route.RetryGatewayError), behave: failThenOK(1, code(502)), wantAttempts: 2, wantStatus: 200, wantBody: "ok"},
		{name: "gateway-error retries 504", retry: two(route.RetryGatewayError), behave: failThenOK(1, code(504)), wantAttempts: 2, wantStatus: 200, wantBody: "ok"},
		{name: "gateway-error does not retry 500", retry: two(route.RetryGatewayError), behave: status(500), wantAttempts: 1, wantStatus: 500},
		{name: "gateway-error retries a reset", retry: two(route.RetryGatewayError), behave: failThenOK(1, resetConn), wantAttempts: 2, wantStatus: 200, wantBody: "ok"},
		{name: "reset retries a connection closed before headers", retry: two(route.RetryReset), behave: failThenOK(2, resetConn), wantAttempts: 3, wantStatus: 200, wantBody: "ok"},
		{name: "reset does not retry a 503 response", retry: two(route.RetryReset), behave: status(503), wantAttempts: 1, wantStatus: 503},
		{name: "reset that never recovers is 503 connection termination", retry: two(route.RetryReset), behave: func(_ int, w http.ResponseWriter, _ *http.Request) { resetConn(w) }, wantAttempts: 3, wantStatus: 503, wantBody: BodyConnectionReset},
		{name: "connect-failure does not retry a reset after connecting", retry: two(route.RetryConnectFailure), behave: func(_ int, w http.ResponseWriter, _ *http.Request) { resetConn(w) }, wantAttempts: 1, wantStatus: 503, wantBody: BodyConnectionReset},
		{name: "connect-failure does not retry a 503 response", retry: two(route.RetryConnectFailure), behave: status(503), wantAttempts: 1, wantStatus: 503},
		{name: "retriable-4xx retries 409", retry: two(route.RetryRetriable4xx), behave: failThenOK(1, code(409)), wantAttempts: 2, wantStatus: 200, wantBody: "ok"},
		{name: "retriable-4xx does not retry 404", retry: two(route.RetryRetriable4xx), behave: status(404), wantAttempts: 1, wantStatus: 404},
		{name: "retriable-status-codes retries a listed code", retry: two(route.RetryRetriableStatusCodes, 418), behave: failThenOK(1, code(418)), wantAttempts: 2, wantStatus: 200, wantBody: "ok"},
		{name: "retriable-status-codes does not retry an unlisted code", retry: two(route.RetryRetriableStatusCodes, 418), behave: status(503), wantAttempts: 1, wantStatus: 503},
		{name: "numeric 503 matches an upstream 503 response", retry: two(route.RetryRetriableStatusCodes, 503), behave: failThenOK(1, code(503)), wantAttempts: 2, wantStatus: 200, wantBody: "ok"},
		{name: "numeric 503 does not match a reset turned into a local 503", retry: two(route.RetryRetriableStatusCodes, 503), behave: func(_ int, w http.ResponseWriter, _ *http.Request) { resetConn(w) }, wantAttempts: 1, wantStatus: 503, wantBody: BodyConnectionReset},
		{name: "request x-envoy-retriable-status-codes adds codes", retry: two(route.RetryRetriableStatusCodes), reqHeader: map[string]string{"x-envoy-retriable-status-codes": "429, 418"}, behave: failThenOK(1, code(418)), wantAttempts: 2, wantStatus: 200, wantBody: "ok"},
		{name: "retriable-headers retries a response carrying a named header", retry: two(route.RetryRetriableHeaders), reqHeader: map[string]string{"x-envoy-retriable-header-names": "x-upstream-busy"}, behave: failThenOK(1, withHeader("X-Upstream-Busy", "1", 200)), wantAttempts: 2, wantStatus: 200, wantBody: "ok"},
		{name: "retriable-headers without request header names is inert", retry: two(route.RetryRetriableHeaders), behave: func(_ int, w http.ResponseWriter, _ *http.Request) { w.Header().Set("X-Upstream-Busy", "1") }, wantAttempts: 1, wantStatus: 200},
		{name: "envoy-ratelimited retries a response with x-envoy-ratelimited", retry: two(route.RetryEnvoyRateLimited), behave: failThenOK(1, withHeader("X-Envoy-Ratelimited", "true", 429)), wantAttempts: 2, wantStatus: 200, wantBody: "ok"},
		{name: "unavailable retries grpc-status 14", retry: two(route.RetryUnavailable), behave: failThenOK(1, grpcStatusReply("14")), wantAttempts: 2, wantStatus: 200, wantBody: "ok"},
		{name: "cancelled retries grpc-status 1", retry: two(route.RetryCancelled), behave: failThenOK(1, grpcStatusReply("1")), wantAttempts: 2, wantStatus: 200, wantBody: "ok"},
		{name: "deadline-exceeded retries grpc-status 4", retry: two(route.RetryDeadlineExceeded), behave: failThenOK(1, grpcStatusReply("4")), wantAttempts: 2, wantStatus: 200, wantBody: "ok"},
		{name: "resource-exhausted retries grpc-status 8", retry: two(route.RetryResourceExhausted), behave: failThenOK(1, grpcStatusReply("8")), wantAttempts: 2, wantStatus: 200, wantBody: "ok"},
		{name: "internal retries grpc-status 13", retry: two(route.RetryInternal), behave: failThenOK(1, grpcStatusReply("13")), wantAttempts: 2, wantStatus: 200, wantBody: "ok"},
		{name: "unavailable does not retry grpc-status 13", retry: two(route.RetryUnavailable), behave: grpcStatusAlways("13"), wantAttempts: 1, wantStatus: 200},
		{name: "no retry policy sends once", retry: route.Retry{}, behave: status(503), wantAttempts: 1, wantStatus: 503},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackend(t, tc.behave)
			d := routed("a")
			d.Retry = tc.retry
			tr := testTransport(newFakeEndpoints().add("a", "", b.addr()), decideAlways(d))
			req := mustRequest(t, "GET", "http://a/", "")
			for k, v := range tc.reqHeader {
				req.Header.Set(k, v)
			}
			st, _, body := roundTrip(t, tr, req)
			if got := b.attempts.Load(); got != tc.wantAttempts {
				t.Errorf("attempts = %d, want %d", got, tc.wantAttempts)
			}
			if st != tc.wantStatus || body != tc.wantBody {
				t.Errorf("got %d %q, want %d %q", st, body, tc.wantStatus, tc.wantBody)
			}
		})
	}
}

func grpcStatusReply(code string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/grpc")
		w.Header().Set("Grpc-Status", code)
	}
}

func grpcStatusAlways(code string) func(int, http.ResponseWriter, *http.Request) {
	return func(_ int, w http.ResponseWriter, _ *http.Request) { grpcStatusReply(code)(w) }
}

func TestTransportConnectFailure(t *testing.T) {
	good := newBackend(t, nil)
	tests := []struct {
		name         string
		on           route.RetryOn
		wantStatus   int
		wantBody     string
		wantGoodHits int64
	}{
		{"connect-failure retries a refused connection on another endpoint", route.RetryConnectFailure, 200, "ok", 1},
		{"reset-before-request retries a refused connection", route.RetryResetBeforeRequest, 200, "ok", 1},
		{"5xx retries a refused connection", route.Retry5xx, 200, "ok", 1},
		{"refused-stream alone does not retry a refused connection", route.RetryRefusedStream, 503, BodyConnectFailure, 0},
		{"retriable-4xx alone does not retry a refused connection", route.RetryRetriable4xx, 503, BodyConnectFailure, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := good.attempts.Load()
			eps := newFakeEndpoints().add("a", "", closedAddr(t), good.addr())
			d := routed("a")
			d.Retry = route.Retry{Attempts: 1, On: tc.on, IgnorePreviousHosts: true}
			st, _, body := roundTrip(t, testTransport(eps, decideAlways(d)), mustRequest(t, "GET", "http://a/", ""))
			if st != tc.wantStatus || body != tc.wantBody {
				t.Errorf("got %d %q, want %d %q", st, body, tc.wantStatus, tc.wantBody)
			}
			if hits := good.attempts.Load() - before; hits != tc.wantGoodHits {
				t.Errorf("healthy endpoint got %d requests, want %d", hits, tc.wantGoodHits)
			}
		})
	}
}

func TestTransportRetryAvoidsPreviousHosts(t *testing.T) {
	b := newBackend(t, status(503))
	eps := newFakeEndpoints().add("a", "", b.addr())
	d := routed("a")
	d.Retry = route.Retry{Attempts: 2, On: route.Retry5xx, IgnorePreviousHosts: true}
	roundTrip(t, testTransport(eps, decideAlways(d)), mustRequest(t, "GET", "http://a/", ""))
	want := [][]string{{}, {b.addr()}, {b.addr(), b.addr()}}
	if diff := cmp.Diff(want, eps.avoided, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("avoid lists (-want +got):\n%s", diff)
	}
}

func TestTransportAttemptCountHeader(t *testing.T) {
	b := newBackend(t, failThenOK(2, func(w http.ResponseWriter) { w.WriteHeader(503) }))
	d := routed("a")
	d.Retry = route.Retry{Attempts: 2, On: route.Retry5xx}
	roundTrip(t, testTransport(newFakeEndpoints().add("a", "", b.addr()), decideAlways(d)), mustRequest(t, "GET", "http://a/", ""))
	var got []string
	for _, s := range b.requests() {
		got = append(got, s.Header.Get("X-Envoy-Attempt-Count"))
	}
	if diff := cmp.Diff([]string{"1", "2", "3"}, got); diff != "" {
		t.Errorf("x-envoy-attempt-count per attempt (-want +got):\n%s", diff)
	}
}

func TestTransportPerTryTimeout(t *testing.T) {
	slowFirst := func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
			return
		}
		_, _ = io.WriteString(w, "ok")
	}
	tests := []struct {
		name         string
		on           route.RetryOn
		wantAttempts int64
		wantStatus   int
		wantBody     string
	}{
		{"per-try timeout is retried under 5xx", route.Retry5xx, 2, 200, "ok"},
		{"per-try timeout is retried under gateway-error", route.RetryGatewayError, 2, 200, "ok"},
		{"per-try timeout is not retried under reset alone", route.RetryReset, 1, 504, BodyUpstreamTimeout},
		{"per-try timeout is not retried under connect-failure", route.RetryConnectFailure, 1, 504, BodyUpstreamTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackend(t, slowFirst)
			d := routed("a")
			d.Retry = route.Retry{Attempts: 2, On: tc.on, PerTryTimeout: 50 * time.Millisecond}
			st, _, body := roundTrip(t, testTransport(newFakeEndpoints().add("a", "", b.addr()), decideAlways(d)), mustRequest(t, "GET", "http://a/", ""))
			if st != tc.wantStatus || body != tc.wantBody || b.attempts.Load() != tc.wantAttempts {
				t.Errorf("got %d %q after %d attempts, want %d %q after %d", st, body, b.attempts.Load(), tc.wantStatus, tc.wantBody, tc.wantAttempts)
			}
		})
	}
}

func TestTransportRouteTimeoutSpansAllAttempts(t *testing.T) {
	b := newBackend(t, func(n int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(40 * time.Millisecond):
		}
		w.WriteHeader(503)
	})
	d := routed("a")
	d.Timeout = 300 * time.Millisecond
	d.Retry = route.Retry{Attempts: 50, On: route.Retry5xx}
	start := time.Now()
	st, _, body := roundTrip(t, testTransport(newFakeEndpoints().add("a", "", b.addr()), decideAlways(d)), mustRequest(t, "GET", "http://a/", ""))
	el := time.Since(start)
	if st != 504 || body != BodyUpstreamTimeout {
		t.Errorf("got %d %q, want 504 %q", st, body, BodyUpstreamTimeout)
	}
	if el < 300*time.Millisecond || el > 3*time.Second {
		t.Errorf("answered after %v, want about the 300ms route timeout", el)
	}
	if n := b.attempts.Load(); n < 2 || n > 8 {
		t.Errorf("attempts = %d, want the several (at most 8) that fit in the timeout", n)
	}
}

func TestTransportRouteTimeoutCoversTheBody(t *testing.T) {
	// The route timeout stays armed until the caller has read the body.
	b := newBackend(t, func(_ int, w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "slowly") })
	d := routed("a")
	d.Timeout = time.Second
	resp, err := testTransport(newFakeEndpoints().add("a", "", b.addr()), decideAlways(d)).RoundTrip(mustRequest(t, "GET", "http://a/", ""))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(got) != "slowly" {
		t.Errorf("body = %q, %v; want %q read after RoundTrip returned", got, err, "slowly")
	}
}

func TestTransportRetryBudget(t *testing.T) {
	b := newBackend(t, status(503))
	eps := newFakeEndpoints().add("a", "", b.addr())
	eps.retries = 1
	d := routed("a")
	d.Retry = route.Retry{Attempts: 5, On: route.Retry5xx}
	st, _, _ := roundTrip(t, testTransport(eps, decideAlways(d)), mustRequest(t, "GET", "http://a/", ""))
	if st != 503 || b.attempts.Load() != 2 {
		t.Errorf("got %d after %d attempts, want the original 503 after 2 (one retry admitted)", st, b.attempts.Load())
	}
}

func TestTransportPickFailures(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantBody   string
		wantHeader string
	}{
		{"no endpoint answers 503 no healthy upstream", policy.ErrNoHealthyUpstream, BodyNoHealthyUpstream, ""},
		{"connection pool overflow answers 503 with x-envoy-overloaded", policy.ErrOverflow, BodyOverflow, "true"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eps := newFakeEndpoints()
			eps.err = tc.err
			d := routed("a")
			d.Retry = route.Retry{Attempts: 2, On: route.Retry5xx | route.RetryReset}
			st, hdr, body := roundTrip(t, testTransport(eps, decideAlways(d)), mustRequest(t, "GET", "http://a/", ""))
			if st != 503 || body != tc.wantBody || hdr.Get("X-Envoy-Overloaded") != tc.wantHeader {
				t.Errorf("got %d %q overloaded=%q, want 503 %q overloaded=%q", st, body, hdr.Get("X-Envoy-Overloaded"), tc.wantBody, tc.wantHeader)
			}
			if len(eps.avoided) != 1 {
				t.Errorf("picked %d times, want 1 (never retried)", len(eps.avoided))
			}
		})
	}
}

func TestTransportReplaysBodies(t *testing.T) {
	big := strings.Repeat("x", 100)
	tests := []struct {
		name         string
		body         string
		getBody      bool
		maxBuffer    int64
		wantAttempts int64
		wantBodies   []string
		wantNotRetry bool
	}{
		{"buffered body is replayed on each attempt", "hello", false, 64, 3, []string{"hello", "hello", "hello"}, false},
		{"GetBody body is replayed on each attempt", "hello", true, 1, 3, []string{"hello", "hello", "hello"}, false},
		{"body larger than the buffer is sent once and not retried", big, false, 10, 1, []string{big}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackend(t, status(503))
			d := routed("a")
			d.Retry = route.Retry{Attempts: 2, On: route.Retry5xx}
			tr := testTransport(newFakeEndpoints().add("a", "", b.addr()), decideAlways(d), WithMaxBodyBuffer(tc.maxBuffer))
			req := mustRequest(t, "POST", "http://a/", tc.body)
			if !tc.getBody {
				req.GetBody = nil
				req.Body = io.NopCloser(strings.NewReader(tc.body)) // a stream of unknown length
				req.ContentLength = -1
			}
			_, hdr, _ := roundTrip(t, tr, req)
			var bodies []string
			for _, s := range b.requests() {
				bodies = append(bodies, s.Body)
			}
			if diff := cmp.Diff(tc.wantBodies, bodies); diff != "" {
				t.Errorf("bodies received (-want +got):\n%s", diff)
			}
			if got := hdr.Get(HeaderNotRetried) != ""; got != tc.wantNotRetry {
				t.Errorf("%s present = %v, want %v", HeaderNotRetried, got, tc.wantNotRetry)
			}
		})
	}
}

func TestTransportOversizedBodyFailureSaysWhy(t *testing.T) {
	b := newBackend(t, func(_ int, w http.ResponseWriter, r *http.Request) { resetConn(w) })
	d := routed("a")
	d.Retry = route.Retry{Attempts: 2, On: route.RetryReset}
	tr := testTransport(newFakeEndpoints().add("a", "", b.addr()), decideAlways(d), WithMaxBodyBuffer(4))
	req := mustRequest(t, "POST", "http://a/", "")
	req.Body = io.NopCloser(strings.NewReader("more than four bytes"))
	_, err := tr.RoundTrip(req)
	var nr *NotRetriedError
	if !errors.As(err, &nr) {
		t.Fatalf("err = %v, want a *NotRetriedError", err)
	}
	if !strings.Contains(err.Error(), "4-byte replay buffer") || nr.Failure != BodyConnectionReset {
		t.Errorf("err = %q (failure %q), want it to name the 4-byte buffer and the reset", err, nr.Failure)
	}
	if b.attempts.Load() != 1 {
		t.Errorf("attempts = %d, want 1", b.attempts.Load())
	}
}

func TestTransportCallerCancellation(t *testing.T) {
	arrived := make(chan struct{}, 4)
	b := newBackend(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	})
	d := routed("a")
	d.Retry = route.Retry{Attempts: 2, On: route.Retry5xx}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-arrived; cancel() }() // the caller gives up mid-attempt
	_, err := testTransport(newFakeEndpoints().add("a", "", b.addr()), decideAlways(d)).RoundTrip(mustRequest(t, "GET", "http://a/", "").WithContext(ctx))
	if !errors.Is(err, context.Canceled) || b.attempts.Load() != 1 {
		t.Errorf("err = %v after %d attempts; want the caller's context.Canceled after 1, never retried", err, b.attempts.Load())
	}
}

func TestTransportExpectedTimeoutHeader(t *testing.T) {
	tests := []struct {
		name         string
		timeout      time.Duration
		perTry       time.Duration
		wantPresent  bool
		wantAtMost   int64
		wantMoreThan int64
	}{
		{"route timeout is announced to the upstream", 2 * time.Second, 0, true, 2000, 1000},
		{"a shorter per-try timeout is announced instead", 2 * time.Second, 300 * time.Millisecond, true, 300, 100},
		{"no timeout announces nothing", 0, 0, false, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackend(t, nil)
			d := routed("a")
			d.Timeout = tc.timeout
			d.Retry.PerTryTimeout = tc.perTry
			roundTrip(t, testTransport(newFakeEndpoints().add("a", "", b.addr()), decideAlways(d)), mustRequest(t, "GET", "http://a/", ""))
			v := b.requests()[0].Header.Get("X-Envoy-Expected-Rq-Timeout-Ms")
			if !tc.wantPresent {
				if v != "" {
					t.Errorf("x-envoy-expected-rq-timeout-ms = %q, want none", v)
				}
				return
			}
			ms, err := strconv.ParseInt(v, 10, 64)
			if err != nil || ms > tc.wantAtMost || ms <= tc.wantMoreThan {
				t.Errorf("x-envoy-expected-rq-timeout-ms = %q, want in (%d, %d]", v, tc.wantMoreThan, tc.wantAtMost)
			}
		})
	}
}
