package fault

import (
	"errors"
	"fmt"
	"math"

	"google.golang.org/grpc/codes"
	networking "istio.io/api/networking/v1alpha3"
)

// grpcCodes maps the gRPC status names Istio accepts in abort.grpcStatus
// (upper case only; numbers and other spellings are rejected) to codes.
var grpcCodes = map[string]codes.Code{
	"OK":                  codes.OK,
	"CANCELLED":           codes.Canceled,
	"UNKNOWN":             codes.Unknown,
	"INVALID_ARGUMENT":    codes.InvalidArgument,
	"DEADLINE_EXCEEDED":   codes.DeadlineExceeded,
	"NOT_FOUND":           codes.NotFound,
	"ALREADY_EXISTS":      codes.AlreadyExists,
	"PERMISSION_DENIED":   codes.PermissionDenied,
	"RESOURCE_EXHAUSTED":  codes.ResourceExhausted,
	"FAILED_PRECONDITION": codes.FailedPrecondition,
	"ABORTED":             codes.Aborted,
	"OUT_OF_RANGE":        codes.OutOfRange,
	"UNIMPLEMENTED":       codes.Unimplemented,
	"INTERNAL":            codes.Internal,
	"UNAVAILABLE":         codes.Unavailable,
	"DATA_LOSS":           codes.DataLoss,
	"UNAUTHENTICATED":     codes.Unauthenticated,
}

// ParseGRPCStatus converts an Istio grpcStatus name ("UNAVAILABLE") to its
// code. Like Istio it accepts only the upper-case names, not numbers.
func ParseGRPCStatus(name string) (codes.Code, error) {
	if c, ok := grpcCodes[name]; ok {
		return c, nil
	}
	return 0, fmt.Errorf("grpcStatus %q is not a gRPC status name; use an upper-case name such as \"UNAVAILABLE\"", name)
}

// CompileSpec compiles an Istio HTTPFaultInjection as Istio translates it
// for Envoy's fault filter:
//
//   - delay.percentage (0..100) becomes parts per million, value × 10000,
//     truncated; when absent the legacy integer delay.percent is used;
//   - when neither is set (and for an abort without percentage) the chance
//     is defaultPercent: the seeds' 100, today's Istio's 0 ("never");
//   - abort.grpcStatus names become codes.Code, abort.httpStatus must be
//     200..600;
//   - exponentialDelay and http2Error, which Istio rejects, are errors; a
//     delay without fixedDelay is an error; an abort with no error type is
//     dropped, as Istio drops it (with a warning, which is the caller's).
//
// A nil f, or one left with neither delay nor abort, compiles to nil.
func CompileSpec(f *networking.HTTPFaultInjection, defaultPercent float64) (*Spec, error) {
	if f == nil {
		return nil, nil
	}
	if math.IsNaN(defaultPercent) || defaultPercent < 0 || defaultPercent > 100 {
		return nil, fmt.Errorf("default fault percent %v is outside 0..100", defaultPercent)
	}
	spec := &Spec{}
	if d := f.GetDelay(); d != nil {
		delay, err := compileDelay(d, defaultPercent)
		if err != nil {
			return nil, fmt.Errorf("delay: %w", err)
		}
		spec.Delay = delay
	}
	if a := f.GetAbort(); a != nil {
		abort, err := compileAbort(a, defaultPercent)
		if err != nil {
			return nil, fmt.Errorf("abort: %w", err)
		}
		spec.Abort = abort
	}
	if spec.Delay == nil && spec.Abort == nil {
		return nil, nil
	}
	return spec, nil
}

func compileDelay(d *networking.HTTPFaultInjection_Delay, defaultPercent float64) (*Delay, error) {
	var out Delay
	switch t := d.GetHttpDelayType().(type) {
	case *networking.HTTPFaultInjection_Delay_FixedDelay:
		if err := t.FixedDelay.CheckValid(); err != nil {
			return nil, fmt.Errorf("fixedDelay: %w", err)
		}
		out.Duration = t.FixedDelay.AsDuration()
		if out.Duration < 0 {
			return nil, fmt.Errorf("fixedDelay %v is negative", out.Duration)
		}
	case *networking.HTTPFaultInjection_Delay_ExponentialDelay:
		return nil, errors.New("exponentialDelay is not supported (Istio rejects it); use fixedDelay")
	default:
		return nil, errors.New("fixedDelay is required")
	}
	switch {
	case d.GetPercentage() != nil:
		c, err := chance(d.GetPercentage().GetValue(), "percentage")
		if err != nil {
			return nil, err
		}
		out.Chance = c
	//lint:ignore SA1019 the deprecated integer percent is honoured, as Istio does
	case d.GetPercent() != 0:
		//lint:ignore SA1019 see above
		p := d.GetPercent()
		if p < 0 || p > 100 {
			return nil, fmt.Errorf("percent %d is outside 0..100", p)
		}
		out.Chance = PerMillion(p) * 10_000
	default:
		out.Chance = FromPercent(defaultPercent)
	}
	return &out, nil
}

func compileAbort(a *networking.HTTPFaultInjection_Abort, defaultPercent float64) (*Abort, error) {
	var out Abort
	switch t := a.GetErrorType().(type) {
	case *networking.HTTPFaultInjection_Abort_HttpStatus:
		if t.HttpStatus < 200 || t.HttpStatus > 600 {
			return nil, fmt.Errorf("httpStatus %d is outside 200..600", t.HttpStatus)
		}
		out.HTTPStatus = int(t.HttpStatus)
	case *networking.HTTPFaultInjection_Abort_GrpcStatus:
		c, err := ParseGRPCStatus(t.GrpcStatus)
		if err != nil {
			return nil, err
		}
		out.GRPC, out.GRPCStatus = true, c
	case *networking.HTTPFaultInjection_Abort_Http2Error:
		return nil, errors.New("http2Error is not supported (Istio rejects it); use httpStatus or grpcStatus")
	default:
		return nil, nil
	}
	out.Chance = FromPercent(defaultPercent)
	if p := a.GetPercentage(); p != nil {
		c, err := chance(p.GetValue(), "percentage")
		if err != nil {
			return nil, err
		}
		out.Chance = c
	}
	return &out, nil
}

func chance(v float64, field string) (PerMillion, error) {
	if math.IsNaN(v) || v < 0 || v > 100 {
		return 0, fmt.Errorf("%s %v is outside 0..100", field, v)
	}
	return FromPercent(v), nil
}
