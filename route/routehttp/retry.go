package routehttp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"

	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
)

// failure is how one attempt ended, in the terms Envoy's retry state uses.
type failure uint8

const (
	// failNone: the upstream answered with a response.
	failNone failure = iota
	// failConnect: no connection could be established (Envoy's connect
	// failure, including TLS handshake failures). Nothing was sent.
	failConnect
	// failReset: the connection broke before a complete response header.
	failReset
	// failRefusedStream: an HTTP/2 upstream refused the stream.
	failRefusedStream
	// failPerTryTimeout: the per-try timeout passed.
	failPerTryTimeout
	// failRouteTimeout: the route timeout (all attempts) passed.
	failRouteTimeout
	// failCanceled: the caller's own context ended.
	failCanceled
	// failClosed: the policy runtime was closed; nothing was sent
	// (policy.ErrClosed). Never retried.
	failClosed
)

// classify tells how an attempt that returned err ended. callerCtx is the
// request's own context, routeCtx the one bounded by the route timeout and
// tryCtx the one bounded by the per-try timeout.
func classify(err error, callerCtx, routeCtx, tryCtx context.Context) failure {
	switch {
	case err == nil:
		return failNone
	case callerCtx.Err() != nil:
		return failCanceled
	case errors.Is(err, policy.ErrClosed):
		return failClosed
	case routeCtx.Err() != nil:
		return failRouteTimeout
	case tryCtx.Err() != nil:
		return failPerTryTimeout
	case isConnectFailure(err):
		return failConnect
	case strings.Contains(err.Error(), "REFUSED_STREAM"):
		return failRefusedStream
	}
	return failReset
}

// isConnectFailure reports whether err happened while connecting (dial or
// TLS handshake), before any byte of the request was sent.
func isConnectFailure(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && (op.Op == "dial" || op.Op == "proxyconnect") {
		return true
	}
	var rh tls.RecordHeaderError
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	if errors.As(err, &rh) || errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// tlsFailureReason returns why a TLS handshake failed, "" when err is no
// TLS failure: Envoy appends it to the connection failure's reply
// ("transport failure reason: TLS error: ..."), which otherwise hides a
// certificate the caller's trust refused.
func tlsFailureReason(err error) string {
	if err == nil {
		return ""
	}
	var rh tls.RecordHeaderError
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var al tls.AlertError
	switch {
	case errors.As(err, &cv):
		return cv.Err.Error()
	case errors.As(err, &ua):
		return ua.Error()
	case errors.As(err, &hn):
		return hn.Error()
	case errors.As(err, &al):
		return al.Error()
	case errors.As(err, &rh):
		return rh.Error()
	}
	return ""
}

// retriableFailure reports whether a failed attempt without a response is
// retried under the conditions in on, following Envoy's
// RetryStateImpl::wouldRetryFromReset and its per-try timeout rule.
func retriableFailure(on route.RetryOn, f failure) bool {
	anyReset := on&(route.Retry5xx|route.RetryGatewayError|route.RetryReset) != 0
	switch f {
	case failConnect:
		return anyReset || on&(route.RetryConnectFailure|route.RetryResetBeforeRequest) != 0
	case failReset:
		return anyReset
	case failRefusedStream:
		return anyReset || on.Has(route.RetryRefusedStream)
	case failPerTryTimeout:
		// Envoy retries a per-try timeout only under 5xx or gateway-error.
		return on&(route.Retry5xx|route.RetryGatewayError) != 0
	}
	return false
}

// gRPC status codes that retryOn's gRPC tokens name.
var grpcRetryOn = [...]struct {
	on   route.RetryOn
	code string
}{
	{route.RetryCancelled, "1"},
	{route.RetryDeadlineExceeded, "4"},
	{route.RetryResourceExhausted, "8"},
	{route.RetryInternal, "13"},
	{route.RetryUnavailable, "14"},
}

// Envoy request headers that add retriable conditions to one request.
const (
	hdrRetriableStatusCodes = "X-Envoy-Retriable-Status-Codes"
	hdrRetriableHeaderNames = "X-Envoy-Retriable-Header-Names"
	hdrRateLimited          = "X-Envoy-Ratelimited"
	hdrAttemptCount         = "X-Envoy-Attempt-Count"
	hdrOverloaded           = "X-Envoy-Overloaded"
	hdrExpectedTimeout      = "X-Envoy-Expected-Rq-Timeout-Ms"
)

// retriableResponse reports whether an upstream response is retried under
// policy r for request header reqHdr: retriable statuses (5xx,
// gateway-error, retriable-4xx, retriable-status-codes with the route's
// codes or the request's x-envoy-retriable-status-codes), gRPC statuses
// (cancelled, deadline-exceeded, resource-exhausted, internal,
// unavailable), envoy-ratelimited, and retriable-headers with the
// request's x-envoy-retriable-header-names.
func retriableResponse(r *route.Retry, resp *http.Response, reqHdr http.Header) bool {
	if r.RetriableStatus(resp.StatusCode) {
		return true
	}
	on := r.On
	if on.Has(route.RetryRetriableStatusCodes) {
		if codes := firstHeader(reqHdr, hdrRetriableStatusCodes); codes != "" && listHasStatus(codes, resp.StatusCode) {
			return true
		}
	}
	if on&(route.RetryCancelled|route.RetryDeadlineExceeded|route.RetryResourceExhausted|route.RetryInternal|route.RetryUnavailable) != 0 {
		if gs := grpcStatus(resp); gs != "" {
			for _, g := range grpcRetryOn {
				if on.Has(g.on) && gs == g.code {
					return true
				}
			}
		}
	}
	if on.Has(route.RetryEnvoyRateLimited) {
		if _, ok := resp.Header[hdrRateLimited]; ok {
			return true
		}
	}
	if on.Has(route.RetryRetriableHeaders) {
		if names := firstHeader(reqHdr, hdrRetriableHeaderNames); names != "" {
			for names != "" {
				var n string
				n, names, _ = strings.Cut(names, ",")
				if n = strings.TrimSpace(n); n != "" && resp.Header.Get(n) != "" {
					return true
				}
			}
		}
	}
	return false
}

// grpcStatus returns the grpc-status of a trailers-only gRPC response.
func grpcStatus(resp *http.Response) string {
	if ct := firstHeader(resp.Header, "Content-Type"); !strings.HasPrefix(ct, "application/grpc") {
		return ""
	}
	return firstHeader(resp.Header, "Grpc-Status")
}

// listHasStatus reports whether a comma-separated list of status codes
// contains status.
func listHasStatus(list string, status int) bool {
	for list != "" {
		var c string
		c, list, _ = strings.Cut(list, ",")
		if n, err := strconv.Atoi(strings.TrimSpace(c)); err == nil && n == status {
			return true
		}
	}
	return false
}

// failureReply is the local reply Envoy sends when the last attempt
// failed without a response.
func failureReply(f failure) (int, string) {
	switch f {
	case failConnect:
		return http.StatusServiceUnavailable, BodyConnectFailure
	case failRefusedStream:
		return http.StatusServiceUnavailable, BodyRefusedStream
	case failPerTryTimeout, failRouteTimeout:
		return http.StatusGatewayTimeout, BodyUpstreamTimeout
	}
	return http.StatusServiceUnavailable, BodyConnectionReset
}
