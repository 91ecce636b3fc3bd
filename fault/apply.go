package fault

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// AbortMessage is the body (HTTP) or grpc-message (gRPC) of an injected
// abort, as Envoy's fault filter sends it.
const AbortMessage = "fault filter abort"

// Wait holds the request for d, as an injected delay does, and returns
// early with ctx.Err() when ctx is done first. Its timer is always stopped.
// A d of zero or less does not wait (but still reports a done ctx).
func Wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WriteHTTP writes Envoy's local reply for an injected abort.
//
// An HTTP abort answers with status a.HTTPStatus, content-type text/plain
// and the body "fault filter abort". A gRPC abort answers as a gRPC
// trailers-only response: HTTP status 200, content-type application/grpc,
// grpc-status (the numeric code) and grpc-message in the headers, and no
// body.
func WriteHTTP(w http.ResponseWriter, a Abort) {
	h := w.Header()
	if a.GRPC {
		h.Set("Content-Type", "application/grpc")
		h.Set("Grpc-Status", strconv.Itoa(int(a.GRPCStatus)))
		h.Set("Grpc-Message", AbortMessage)
		w.WriteHeader(http.StatusOK)
		return
	}
	code := a.HTTPStatus
	if code < 100 || code > 999 {
		code = http.StatusInternalServerError // never reached for compiled specs
	}
	h.Set("Content-Type", "text/plain")
	h.Set("Content-Length", strconv.Itoa(len(AbortMessage)))
	w.WriteHeader(code)
	_, _ = w.Write([]byte(AbortMessage))
}

// GRPCError returns the error a gRPC call gets for an injected abort: a
// status with a.GRPCStatus, or, for an httpStatus abort, the code gRPC maps
// that HTTP status to (see HTTPToGRPCCode). The message is "fault filter
// abort". An abort with grpcStatus OK returns nil, as status.Error does.
func GRPCError(a Abort) error {
	c := a.GRPCStatus
	if !a.GRPC {
		c = HTTPToGRPCCode(a.HTTPStatus)
	}
	return status.Error(c, AbortMessage)
}

// HTTPToGRPCCode maps an HTTP status to a gRPC code as gRPC (and Envoy)
// do for a response without grpc-status: 400 INTERNAL, 401
// UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 UNIMPLEMENTED, 429, 502, 503
// and 504 UNAVAILABLE, anything else UNKNOWN.
func HTTPToGRPCCode(httpStatus int) codes.Code {
	switch httpStatus {
	case http.StatusBadRequest:
		return codes.Internal
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusNotFound:
		return codes.Unimplemented
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return codes.Unavailable
	}
	return codes.Unknown
}
