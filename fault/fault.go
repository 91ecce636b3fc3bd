// Package fault holds compiled fault-injection specs (Istio's
// HTTPFaultInjection), their sampling, and the helpers that carry out an
// injected delay or abort over HTTP or gRPC exactly as Envoy's fault filter
// does.
package fault

import (
	"time"

	"google.golang.org/grpc/codes"
)

// PerMillion is a probability expressed, as Envoy's FractionalPercent with
// denominator MILLION, in parts per million (0..1,000,000).
type PerMillion uint32

// Million is 100%.
const Million PerMillion = 1_000_000

// FromPercent converts a percentage (0..100) as Istio does: value × 10000,
// truncated.
func FromPercent(p float64) PerMillion {
	if p <= 0 {
		return 0
	}
	if p >= 100 {
		return Million
	}
	return PerMillion(p * 10000)
}

// Percent returns the probability as a percentage.
func (p PerMillion) Percent() float64 { return float64(p) / 10000 }

// Hit reports whether a uniformly random r falls within the probability.
func (p PerMillion) Hit(r uint64) bool {
	if p >= Million {
		return true
	}
	if p == 0 {
		return false
	}
	return PerMillion(r%uint64(Million)) < p
}

// Delay is a compiled fault delay.
type Delay struct {
	Duration time.Duration
	Chance   PerMillion
}

// Abort is a compiled fault abort: an HTTP status, or a gRPC status when
// GRPC is true.
type Abort struct {
	HTTPStatus int
	GRPCStatus codes.Code
	GRPC       bool
	Chance     PerMillion
}

// Spec is a compiled HTTPFaultInjection. Nil fields mean "no such fault".
type Spec struct {
	Delay *Delay
	Abort *Abort
}

// Outcome is the result of sampling a Spec for one logical request. Delay
// and abort are sampled independently, as in Envoy.
type Outcome struct {
	// Spec is the configured fault, nil when the route has none.
	Spec *Spec
	// Delayed reports whether the delay was selected for this request.
	Delayed bool
	// Aborted reports whether the abort was selected for this request.
	Aborted bool
}

// Sample rolls the delay and the abort independently with two random
// numbers. It never allocates.
func (s *Spec) Sample(r1, r2 uint64) Outcome {
	o := Outcome{Spec: s}
	if s == nil {
		return o
	}
	if s.Delay != nil {
		o.Delayed = s.Delay.Chance.Hit(r1)
	}
	if s.Abort != nil {
		o.Aborted = s.Abort.Chance.Hit(r2)
	}
	return o
}

// DelayDuration returns the delay to inject, or 0.
func (o Outcome) DelayDuration() time.Duration {
	if o.Delayed && o.Spec != nil && o.Spec.Delay != nil {
		return o.Spec.Delay.Duration
	}
	return 0
}

// AbortWith returns the abort to inject and true, or false when none.
func (o Outcome) AbortWith() (Abort, bool) {
	if o.Aborted && o.Spec != nil && o.Spec.Abort != nil {
		return *o.Spec.Abort, true
	}
	return Abort{}, false
}
