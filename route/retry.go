package route

import "time"

// RetryOn is a set of Envoy retry conditions (Istio's retryOn tokens).
type RetryOn uint32

// Retry conditions, one per retryOn token Istio accepts.
const (
	Retry5xx RetryOn = 1 << iota
	RetryGatewayError
	RetryReset
	RetryResetBeforeRequest
	RetryConnectFailure
	RetryRetriable4xx
	RetryRefusedStream
	RetryRetriableStatusCodes
	RetryRetriableHeaders
	RetryEnvoyRateLimited
	RetryHTTP3PostConnectFailure
	RetryCancelled
	RetryDeadlineExceeded
	RetryInternal
	RetryResourceExhausted
	RetryUnavailable
)

// Has reports whether every condition in c is in the set.
func (s RetryOn) Has(c RetryOn) bool { return s&c == c }

// Retry is a compiled retry policy.
type Retry struct {
	// Attempts is the number of retries (tries = 1 + Attempts); 0 disables.
	Attempts int
	// PerTryTimeout bounds each try; 0 means only the route timeout does.
	PerTryTimeout time.Duration
	// On is the set of conditions that cause a retry.
	On RetryOn
	// StatusCodes are the retriable status codes (retryOn numeric tokens),
	// used when On has RetryRetriableStatusCodes. Read-only.
	StatusCodes []int
	// Backoff is the base interval of the jittered exponential backoff
	// (default 25ms); MaxBackoff caps it (default 10 × Backoff).
	Backoff    time.Duration
	MaxBackoff time.Duration
	// RetryRemoteLocalities allows retries to other localities.
	RetryRemoteLocalities bool
	// IgnorePreviousHosts prefers a different endpoint on each retry.
	IgnorePreviousHosts bool
	// FromDefault is true when the route set no retries and the Table's
	// default policy (today's Istio: 2 retries on
	// connect-failure,refused-stream,unavailable,cancelled) applies.
	FromDefault bool
	// RetryOnText is the retryOn string the policy was built from.
	RetryOnText string
}

// RetriableStatus reports whether an upstream response status is retriable
// under the policy's status-code conditions (retriable-status-codes with
// StatusCodes, retriable-4xx for 409, 5xx, gateway-error). Connection-level
// failures are judged by the caller against On.
func (r *Retry) RetriableStatus(status int) bool {
	switch {
	case r.On.Has(Retry5xx) && status >= 500 && status <= 599:
		return true
	case r.On.Has(RetryGatewayError) && (status == 502 || status == 503 || status == 504):
		return true
	case r.On.Has(RetryRetriable4xx) && status == 409:
		return true
	case r.On.Has(RetryRetriableStatusCodes):
		for _, c := range r.StatusCodes {
			if c == status {
				return true
			}
		}
	}
	return false
}
