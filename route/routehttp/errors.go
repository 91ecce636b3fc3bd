package routehttp

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/meshroute/meshroute/fault"
	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
)

// Bodies of Envoy's local replies, which the Transport returns as
// responses instead of Go errors.
const (
	// BodyNoHealthyUpstream answers 503 when the destination has no
	// endpoint to pick (flag UH).
	BodyNoHealthyUpstream = "no healthy upstream"
	// BodyUpstreamTimeout answers 504 when the route or per-try timeout
	// passed (flag UT).
	BodyUpstreamTimeout = timeoutBody
	// BodyConnectFailure answers 503 when no connection could be made
	// (flag UF).
	BodyConnectFailure = "upstream connect error or disconnect/reset before headers. reset reason: connection failure"
	// BodyConnectionReset answers 503 when the connection broke before the
	// response headers (flag UC).
	BodyConnectionReset = "upstream connect error or disconnect/reset before headers. reset reason: connection termination"
	// BodyRefusedStream answers 503 when an HTTP/2 upstream refused the
	// stream.
	BodyRefusedStream = "upstream connect error or disconnect/reset before headers. reset reason: remote refused stream reset"
	// BodyOverflow answers 503, with x-envoy-overloaded: true, when a
	// connection-pool limit is reached (flag UO).
	BodyOverflow = "upstream connect error or disconnect/reset before headers. reset reason: overflow"
	// BodyRuntimeClosed is the Gateway's 503 when its policy.Runtime was
	// closed: the request was not sent. Envoy has no such reply; the
	// Transport returns an error wrapping policy.ErrClosed instead.
	BodyRuntimeClosed = "request not sent: the gateway's policy runtime is closed"
)

// errRuntimeClosed is the Transport's error for a request it did not send,
// or stopped retrying, because its policy.Runtime was closed; it wraps
// policy.ErrClosed. Like a canceled request, this is not an upstream
// failure Envoy would answer for, so it is a Go error, not a response.
var errRuntimeClosed = fmt.Errorf("routehttp: request not sent: %w (build a new Runtime and Transport to send more)", policy.ErrClosed)

// HeaderNotRetried names the response header the Transport adds when a
// retriable response was not retried because the request body could not
// be replayed.
const HeaderNotRetried = "X-Meshroute-Not-Retried"

// ErrMirrorDropped is reported to a mirror observer when a mirror was not
// sent because too many mirrors were already in flight.
var ErrMirrorDropped = errors.New("routehttp: mirror dropped: too many mirrored requests in flight")

// ErrMirrorBodyNotReplayable is reported to a mirror observer when a
// mirror was not sent because the request body could not be copied.
var ErrMirrorBodyNotReplayable = errors.New("routehttp: mirror not sent: the request body is larger than the replay buffer and has no GetBody")

// NotRetriedError is returned by the Transport when an attempt failed in a
// way the route's retry policy would retry, but the request body was larger
// than the replay buffer and had no GetBody, so it was sent once only.
type NotRetriedError struct {
	// Limit is the replay buffer size in bytes.
	Limit int64
	// Failure is the reply the failed attempt amounted to, as Envoy's
	// body text (for example BodyConnectFailure).
	Failure string
	// Err is the underlying transport error.
	Err error
}

// Error says what failed and why it was not retried.
func (e *NotRetriedError) Error() string {
	return "routehttp: " + e.Failure + ": not retried: the request body is larger than the " +
		strconv.FormatInt(e.Limit, 10) + "-byte replay buffer and has no GetBody " +
		"(set Request.GetBody or raise WithMaxBodyBuffer)"
}

// Unwrap returns the underlying transport error.
func (e *NotRetriedError) Unwrap() error { return e.Err }

// localResponse builds a response the Transport generates itself.
func localResponse(req *http.Request, status int, body string, hdr http.Header) *http.Response {
	if hdr == nil {
		hdr = make(http.Header, 2)
	}
	if body != "" {
		if _, ok := hdr["Content-Type"]; !ok {
			hdr["Content-Type"] = []string{"text/plain"}
		}
		hdr["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	var rc io.ReadCloser = http.NoBody
	if body != "" {
		rc = io.NopCloser(strings.NewReader(body))
	}
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        hdr,
		Body:          rc,
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

// abortResponse is the fault filter's abort as a response.
func abortResponse(req *http.Request, a fault.Abort) *http.Response {
	if a.GRPC {
		h := http.Header{
			"Content-Type": {"application/grpc"},
			"Grpc-Status":  {strconv.Itoa(int(a.GRPCStatus))},
			"Grpc-Message": {fault.AbortMessage},
		}
		return localResponse(req, http.StatusOK, "", h)
	}
	return localResponse(req, a.HTTPStatus, fault.AbortMessage, nil)
}

// decisionResponse is the response for a decision that is not forwarded:
// no route, redirect, direct response, unavailable.
func decisionResponse(req *http.Request, d *route.Decision) *http.Response {
	switch d.Action {
	case route.ActionNoRoute:
		return localResponse(req, http.StatusNotFound, "", nil)
	case route.ActionRedirect:
		h := http.Header{"Location": {d.Redirect.Location}}
		d.ResponseHeaders.Apply(h)
		return localResponse(req, redirectCode(d), "", h)
	case route.ActionDirectResponse:
		h := make(http.Header, 2)
		if d.DirectResponse.Body != "" {
			h["Content-Type"] = []string{"text/plain"}
		}
		d.ResponseHeaders.Apply(h)
		return localResponse(req, d.DirectResponse.Status, d.DirectResponse.Body, h)
	}
	status := d.Status
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	h := make(http.Header, 2)
	d.ResponseHeaders.Apply(h)
	return localResponse(req, status, "", h)
}

// routerResponse is a router-local failure reply: the route's response
// header operations apply to it, as Envoy's router applies them to its
// local replies.
func routerResponse(req *http.Request, d *route.Decision, status int, body string, extra ...string) *http.Response {
	h := make(http.Header, 3)
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = []string{extra[i+1]}
	}
	d.ResponseHeaders.Apply(h)
	return localResponse(req, status, body, h)
}
