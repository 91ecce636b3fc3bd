package routehttp

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/meshroute/meshroute/route"
)

func TestRetriableFailure(t *testing.T) {
	tests := []struct {
		name string
		on   route.RetryOn
		f    failure
		want bool
	}{
		{"5xx retries a connect failure", route.Retry5xx, failConnect, true},
		{"5xx retries a reset", route.Retry5xx, failReset, true},
		{"5xx retries a refused stream", route.Retry5xx, failRefusedStream, true},
		{"5xx retries a per-try timeout", route.Retry5xx, failPerTryTimeout, true},
		{"gateway-error retries a reset", route.RetryGatewayError, failReset, true},
		{"gateway-error retries a per-try timeout", route.RetryGatewayError, failPerTryTimeout, true},
		{"reset retries a connect failure", route.RetryReset, failConnect, true},
		{"reset retries a refused stream", route.RetryReset, failRefusedStream, true},
		{"reset does not retry a per-try timeout", route.RetryReset, failPerTryTimeout, false},
		{"connect-failure retries a connect failure", route.RetryConnectFailure, failConnect, true},
		{"connect-failure does not retry a reset", route.RetryConnectFailure, failReset, false},
		{"reset-before-request retries a connect failure (nothing was sent)", route.RetryResetBeforeRequest, failConnect, true},
		{"reset-before-request does not retry a reset after sending", route.RetryResetBeforeRequest, failReset, false},
		{"refused-stream retries a refused stream", route.RetryRefusedStream, failRefusedStream, true},
		{"refused-stream does not retry a reset", route.RetryRefusedStream, failReset, false},
		{"retriable-4xx does not retry a reset", route.RetryRetriable4xx, failReset, false},
		{"retriable-status-codes does not retry a reset", route.RetryRetriableStatusCodes, failReset, false},
		{"unavailable (gRPC) does not retry a reset", route.RetryUnavailable, failReset, false},
		{"nothing retries the route timeout", ^route.RetryOn(0), failRouteTimeout, false},
		{"nothing retries the caller's cancellation", ^route.RetryOn(0), failCanceled, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := retriableFailure(tc.on, tc.f); got != tc.want {
				t.Errorf("retriableFailure = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	live := context.Background()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name                  string
		err                   error
		caller, route, perTry context.Context
		want                  failure
	}{
		{"no error is a response", nil, live, live, live, failNone},
		{"dial error is a connect failure", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, live, live, live, failConnect},
		{"read error is a reset", &net.OpError{Op: "read", Err: errors.New("connection reset by peer")}, live, live, live, failReset},
		{"http2 REFUSED_STREAM is a refused stream", errors.New("http2: stream error: stream ID 3; REFUSED_STREAM"), live, live, live, failRefusedStream},
		{"expired try context is a per-try timeout", context.DeadlineExceeded, live, live, done, failPerTryTimeout},
		{"expired route context is the route timeout", context.DeadlineExceeded, live, done, done, failRouteTimeout},
		{"ended caller context is the caller's cancellation", context.Canceled, done, done, done, failCanceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := classify(tc.err, tc.caller, tc.route, tc.perTry); got != tc.want {
				t.Errorf("classify = %d, want %d", got, tc.want)
			}
		})
	}
}
