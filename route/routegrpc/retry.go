package routegrpc

import (
	"context"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
)

// Envoy's retry backoff defaults.
const (
	defaultBackoff    = 25 * time.Millisecond
	backoffCapFactor  = 10
	maxBackoffDoubles = 30 // beyond this 2^n overflows; the cap applies anyway
)

// Connection-level retryOn conditions: a failure that got no answer from
// the upstream (grpc-go reports these as Unavailable, or as Internal or
// Canceled when the stream was reset) is retried under any of them. 5xx and
// gateway-error include resets and connect failures in Envoy.
const connectionLevel = route.RetryReset | route.RetryResetBeforeRequest |
	route.RetryConnectFailure | route.RetryRefusedStream | route.Retry5xx |
	route.RetryGatewayError

// outcome is what one try ended with, in the terms retryOn speaks.
type outcome struct {
	err error
	// answered is true when the upstream sent a status (headers or
	// trailers-only): grpc-status tokens apply. False for failures that got
	// no answer: connection refused, reset, refused stream.
	answered bool
	// perTryTimeout is true when the try's own timeout expired while the
	// call's deadline had not.
	perTryTimeout bool
	// final is true for failures that are never retried (overflow, no
	// healthy upstream, the caller's context ended).
	final bool
}

// retriable reports whether o may be retried under r's conditions.
func retriable(r *route.Retry, o outcome) bool {
	if o.err == nil || o.final {
		return false
	}
	if o.perTryTimeout {
		// Envoy retries a per-try timeout only under 5xx or gateway-error.
		return r.On&(route.Retry5xx|route.RetryGatewayError) != 0
	}
	code := status.Code(o.err)
	if !o.answered {
		switch code {
		case codes.Unavailable, codes.Internal, codes.Canceled:
			return r.On&connectionLevel != 0
		}
		return false
	}
	switch code {
	case codes.Canceled:
		return r.On.Has(route.RetryCancelled)
	case codes.DeadlineExceeded:
		return r.On.Has(route.RetryDeadlineExceeded)
	case codes.Internal:
		return r.On.Has(route.RetryInternal)
	case codes.ResourceExhausted:
		return r.On.Has(route.RetryResourceExhausted)
	case codes.Unavailable:
		return r.On.Has(route.RetryUnavailable)
	}
	return false
}

// deadlineSlack is how close to a deadline an answered DEADLINE_EXCEEDED
// counts as that deadline expiring: the server learns the deadline from
// grpc-timeout and may answer a little before the client's timer fires.
const deadlineSlack = 20 * time.Millisecond

// classify builds the outcome of a try that ended with err. tryCtx is the
// try's context (with the per-try deadline), callCtx the call's (with the
// route deadline); answered says whether the upstream sent a status.
func classify(err error, answered bool, tryCtx, callCtx context.Context) outcome {
	o := outcome{err: err, answered: answered}
	if err == nil {
		return o
	}
	if callCtx.Err() != nil || nearDeadline(callCtx, err) {
		o.final = true
		return o
	}
	if tryCtx.Err() == context.DeadlineExceeded || nearDeadline(tryCtx, err) {
		o.perTryTimeout = true
	}
	return o
}

// nearDeadline reports whether err is DEADLINE_EXCEEDED and ctx's deadline
// has (all but) passed: the deadline we set expired, whoever noticed first.
func nearDeadline(ctx context.Context, err error) bool {
	if status.Code(err) != codes.DeadlineExceeded {
		return false
	}
	dl, ok := ctx.Deadline()
	return ok && time.Until(dl) < deadlineSlack
}

// result is what the policy runtime learns from a try: the HTTP status
// Envoy reports to outlier detection for the gRPC status (answered calls),
// or a local-origin failure (no answer, timeouts).
func result(o outcome) policy.Result {
	if o.err == nil {
		return policy.Result{Status: 200}
	}
	if !o.answered || o.perTryTimeout {
		return policy.Result{LocalOrigin: true, Err: o.err}
	}
	return policy.Result{Status: httpStatusForCode(status.Code(o.err)), Err: o.err}
}

// backoff returns the wait before retry n (1-based): Envoy's fully jittered
// exponential backoff, a uniformly random time in
// [0, min((2^n − 1) × base, cap)), base 25ms and cap 10 × base unless the
// policy sets them.
func backoff(r *route.Retry, n int, src rand.Source) time.Duration {
	base := r.Backoff
	if base <= 0 {
		base = defaultBackoff
	}
	limit := r.MaxBackoff
	if limit <= 0 {
		limit = backoffCapFactor * base
	}
	upper := limit
	if n < maxBackoffDoubles {
		if u := time.Duration((uint64(1)<<uint(n))-1) * base; u > 0 && u < limit {
			upper = u
		}
	}
	if upper <= 0 {
		return 0
	}
	return time.Duration(src.Uint64() % uint64(upper))
}
