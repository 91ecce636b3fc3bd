package routegrpc

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/meshroute/meshroute/fault"
	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
)

// httpStatusForCode is Envoy's Grpc::Utility::grpcToHttpStatus, used to
// report a gRPC outcome to outlier detection the way Envoy's router does.
func httpStatusForCode(c codes.Code) int {
	switch c {
	case codes.OK:
		return http.StatusOK
	case codes.Canceled:
		return 499
	case codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange:
		return http.StatusBadRequest
	case codes.DeadlineExceeded:
		return http.StatusGatewayTimeout
	case codes.NotFound, codes.Unimplemented:
		return http.StatusNotFound
	case codes.AlreadyExists, codes.Aborted:
		return http.StatusConflict
	case codes.PermissionDenied:
		return http.StatusForbidden
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests
	case codes.Unavailable:
		return http.StatusServiceUnavailable
	case codes.Unauthenticated:
		return http.StatusUnauthorized
	}
	return http.StatusInternalServerError // Unknown, Internal, DataLoss
}

// faultError injects d's fault: it waits out a selected delay (returning
// the context's status if the context ends first) and returns the abort's
// status if the abort was selected, nil otherwise.
func faultError(ctx context.Context, c *config, d *route.Decision) error {
	if w := d.Fault.DelayDuration(); w > 0 {
		if err := c.sleep(ctx, w); err != nil {
			return status.FromContextError(err).Err()
		}
	}
	if a, ok := d.Fault.AbortWith(); ok {
		return fault.GRPCError(a)
	}
	return nil
}

// actionError is the status of a call that d does not forward: what the
// client sees when Envoy answers it locally.
func actionError(d *route.Decision) error {
	switch d.Action {
	case route.ActionRoute:
		return nil
	case route.ActionNoRoute:
		return status.Error(codes.Unimplemented, reasonOr(d, "no route matched (404, flag NR)"))
	case route.ActionUnavailable:
		code := d.Status
		if code == 0 {
			code = http.StatusServiceUnavailable
		}
		return status.Error(fault.HTTPToGRPCCode(code), reasonOr(d, "route unavailable ("+strconv.Itoa(code)+")"))
	case route.ActionRedirect:
		return status.Error(fault.HTTPToGRPCCode(d.Redirect.Code),
			"route answers with a redirect ("+strconv.Itoa(d.Redirect.Code)+") to "+d.Redirect.Location)
	case route.ActionDirectResponse:
		return status.Error(fault.HTTPToGRPCCode(d.DirectResponse.Status),
			"route answers with a direct response ("+strconv.Itoa(d.DirectResponse.Status)+")")
	}
	return status.Error(codes.Internal, "unknown routing action "+d.Action.String())
}

func reasonOr(d *route.Decision, def string) string {
	if d.Reason != "" {
		return d.Reason
	}
	return def
}

// pickError turns a policy.Runtime.Pick error into the status Envoy's
// local reply carries: overflow (UO) and no healthy upstream (UH) are both
// 503 ⇒ Unavailable.
func pickError(err error, d *route.Decision) error {
	switch {
	case errors.Is(err, policy.ErrOverflow):
		return status.Error(codes.Unavailable, "upstream overflow: connection pool limit of "+d.Target.Key()+" reached")
	case errors.Is(err, policy.ErrNoHealthyUpstream):
		return status.Error(codes.Unavailable, "no healthy upstream for "+d.Target.Key())
	}
	return status.Error(codes.Unavailable, "cannot pick an endpoint of "+d.Target.Key()+": "+err.Error())
}
