package route

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	networking "istio.io/api/networking/v1alpha3"
)

// Retry defaults of Envoy and today's Istio (virtualservice.md §8.2).
const (
	defaultRetryAttempts = 2
	defaultRetryOnText   = "connect-failure,refused-stream,unavailable,cancelled"
	// retryOnWhenEmpty is what Istio uses when a route's retries set no
	// retryOn (the status-code token is inert without codes).
	retryOnWhenEmpty   = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
	defaultBackoffBase = 25 * time.Millisecond
)

var retryTokens = map[string]RetryOn{
	"5xx":                        Retry5xx,
	"gateway-error":              RetryGatewayError,
	"reset":                      RetryReset,
	"reset-before-request":       RetryResetBeforeRequest,
	"connect-failure":            RetryConnectFailure,
	"retriable-4xx":              RetryRetriable4xx,
	"refused-stream":             RetryRefusedStream,
	"retriable-status-codes":     RetryRetriableStatusCodes,
	"retriable-headers":          RetryRetriableHeaders,
	"envoy-ratelimited":          RetryEnvoyRateLimited,
	"http3-post-connect-failure": RetryHTTP3PostConnectFailure,
	"cancelled":                  RetryCancelled,
	"deadline-exceeded":          RetryDeadlineExceeded,
	"internal":                   RetryInternal,
	"resource-exhausted":         RetryResourceExhausted,
	"unavailable":                RetryUnavailable,
}

// ParseRetryOn parses an Istio retryOn string as Istio translates it:
// split on ",", spaces trimmed, empty tokens dropped; a token that is an
// HTTP status code with a known status text becomes a retriable status
// code (and adds retriable-status-codes); unknown tokens are ignored (the
// validator rejects them).
func ParseRetryOn(s string) (RetryOn, []int) {
	var on RetryOn
	var codes []int
	for tok := range strings.SplitSeq(s, ",") {
		tok = strings.TrimSpace(tok)
		if tok == "" {
			continue
		}
		// Only a token that starts like a number goes to Atoi: a failed
		// Atoi allocates its error, once per token of every rule.
		if c := tok[0]; (c >= '0' && c <= '9') || c == '+' || c == '-' {
			if n, err := strconv.Atoi(tok); err == nil {
				if http.StatusText(n) != "" {
					codes = append(codes, n)
					on |= RetryRetriableStatusCodes
				}
				continue
			}
		}
		on |= retryTokens[tok]
	}
	return on, codes
}

// defaultRetryOn is defaultRetryOnText parsed, once rather than for
// every route that sets no retries.
var defaultRetryOn, _ = ParseRetryOn(defaultRetryOnText)

// defaultRetry is today's Istio default retry policy.
func defaultRetry() Retry {
	return Retry{
		Attempts:    defaultRetryAttempts,
		On:          defaultRetryOn,
		Backoff:     defaultBackoffBase,
		MaxBackoff:  10 * defaultBackoffBase,
		FromDefault: true,
		RetryOnText: defaultRetryOnText,
		// IgnorePreviousHosts is decided per destination (not with
		// consistent hashing).
	}
}

// compileRetry compiles a route's retries; the second result is the
// retryIgnorePreviousHosts tri-state (0 unset, 1 true, 2 false).
func (c *compiler) compileRetry(r *networking.HTTPRetry) (Retry, uint8) {
	if r == nil {
		if !c.opts.defaultRetries {
			return Retry{}, 0
		}
		return defaultRetry(), 0
	}
	if r.GetAttempts() <= 0 {
		return Retry{}, 0
	}
	text := r.GetRetryOn()
	if strings.TrimSpace(text) == "" {
		text = retryOnWhenEmpty
	}
	on, codes := ParseRetryOn(text)
	rt := Retry{
		Attempts:              int(r.GetAttempts()),
		On:                    on,
		StatusCodes:           codes,
		Backoff:               defaultBackoffBase,
		RetryRemoteLocalities: r.GetRetryRemoteLocalities().GetValue(),
		RetryOnText:           text,
	}
	if r.GetPerTryTimeout() != nil {
		rt.PerTryTimeout = r.GetPerTryTimeout().AsDuration()
	}
	if r.GetBackoff() != nil {
		rt.Backoff = r.GetBackoff().AsDuration()
	}
	rt.MaxBackoff = 10 * rt.Backoff
	var ignore uint8
	if b := r.GetRetryIgnorePreviousHosts(); b != nil {
		ignore = 2
		if b.GetValue() {
			ignore = 1
		}
	}
	return rt, ignore
}
