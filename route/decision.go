package route

import (
	"time"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/fault"
	"github.com/meshroute/meshroute/policy"
)

// Action is what a decision tells the caller to do with a request.
type Action uint8

const (
	// ActionNoRoute: no route matched; Envoy answers 404 (flag NR).
	ActionNoRoute Action = iota
	// ActionRoute: forward to Destination.
	ActionRoute
	// ActionRedirect: answer with Redirect.
	ActionRedirect
	// ActionDirectResponse: answer with DirectResponse.
	ActionDirectResponse
	// ActionUnavailable: a route matched but cannot be served — a subset
	// that no DestinationRule defines (503, flag NC), or a host outside the
	// registry under REGISTRY_ONLY (502). Status and Reason say which.
	ActionUnavailable
)

var actionNames = [...]string{"noRoute", "route", "redirect", "directResponse", "unavailable"}

// String returns the action's name as routectl prints it: "route",
// "redirect", "directResponse", "noRoute" or "unavailable".
func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "unknown"
}

// Destination is a routing target: a service host (FQDN), an optional
// subset and a port (0 when neither the route nor the service fixes one).
type Destination struct {
	Host   string
	Subset string
	Port   uint32
}

// RuleRef identifies the rule that decided: its index in the
// VirtualService's http (or tcp, tls) list, and its name; MatchIndex is the
// index of the match clause that fired (-1 for a rule without match).
// Index is -1 when no rule decided.
type RuleRef struct {
	Index      int
	Name       string
	MatchIndex int
	MatchName  string
	// Section is the list Index is in: http, or, for a connection (and
	// for a request decided as one, on a ServiceEntry port declared TLS
	// or TCP), tcp or tls.
	Section RuleSection
}

// RuleSection names a VirtualService's list of rules.
type RuleSection uint8

// The rule lists of a VirtualService.
const (
	SectionHTTP RuleSection = iota // spec.http
	SectionTCP                     // spec.tcp
	SectionTLS                     // spec.tls
)

// String returns the list's field name: "http", "tcp" or "tls".
func (s RuleSection) String() string {
	switch s {
	case SectionTCP:
		return "tcp"
	case SectionTLS:
		return "tls"
	}
	return "http"
}

// Redirect is the redirect a route answers with.
type Redirect struct {
	Location string
	Code     int
}

// DirectResponse is the fixed response a route answers with.
type DirectResponse struct {
	Status int
	Body   string
}

// TimeoutSource says where a decision's timeout came from.
type TimeoutSource uint8

const (
	// TimeoutNone: no timeout applies.
	TimeoutNone TimeoutSource = iota
	// TimeoutRoute: the route's own timeout field.
	TimeoutRoute
	// TimeoutDefault: the Table's default (the seeds' 15s unless changed).
	TimeoutDefault
	// TimeoutHeader: the request's x-envoy-upstream-rq-timeout-ms header.
	TimeoutHeader
)

// Decision is everything Envoy would do with one request: which
// VirtualService and rule matched, where the request goes, how it is
// rewritten, and the timeout, retries, fault, mirrors, header operations,
// CORS and traffic policy that apply.
//
// A Decision is a value; the pointers it carries (Fault.Spec, CORS, Policy,
// header operations, mirrors) refer to immutable compiled data shared by
// all requests and must not be modified.
type Decision struct {
	Action Action

	// VirtualService is the VirtualService that decided; zero when none did
	// (default route, passthrough, no route).
	VirtualService ObjectRef
	// Rule is the rule that decided.
	Rule RuleRef
	// Delegate is the delegate VirtualService the rule came from, zero
	// when the rule is the root VirtualService's own (virtualservice.md §13).
	Delegate ObjectRef

	// Destination is where an ActionRoute request goes.
	Destination Destination
	// DefaultRoute is true when no VirtualService claims the host and the
	// request takes Envoy's default route to the known service itself.
	DefaultRoute bool
	// Passthrough is true when the host is not in the registry and the
	// outbound policy is ALLOW_ANY: the request goes to its own authority.
	Passthrough bool

	// Path is the path and query to send upstream, after any rewrite.
	Path string
	// Authority is the authority to send upstream, after any rewrite.
	Authority string
	// OriginalPath is the request's path before a rewrite, "" when the path
	// was not rewritten (Envoy's x-envoy-original-path).
	OriginalPath string

	// Redirect is set for ActionRedirect.
	Redirect Redirect
	// DirectResponse is set for ActionDirectResponse.
	DirectResponse DirectResponse
	// Status is the HTTP status a non-forwarded action answers with: 404
	// for no route, 502/503 for unavailable, the redirect or direct
	// response status. It is 0 for ActionRoute.
	Status int
	// Reason explains a no-route or unavailable decision in words.
	Reason string

	// Timeout is the overall route timeout covering all attempts; 0 means
	// none.
	Timeout       time.Duration
	TimeoutSource TimeoutSource

	// Retry is the retry policy; Retry.Attempts == 0 means no retries.
	Retry Retry

	// Fault is the fault configured on the route and whether, for this
	// request, its delay and abort were selected.
	Fault fault.Outcome

	// Mirrors lists the mirror targets selected for this request.
	Mirrors MirrorSet

	// RequestHeaders and ResponseHeaders are the header operations to
	// apply, route level and the chosen destination's merged in Envoy's
	// order.
	RequestHeaders  HeaderOps
	ResponseHeaders HeaderOps

	// CORS is the route's CORS policy, nil when none.
	CORS *CORSPolicy

	// Target is the destination's cluster with its subset selector and
	// effective DestinationRule traffic policy (what the policy runtime
	// acts on).
	Target policy.Target
	// DestinationRule is the DestinationRule that applies to the
	// destination host, zero when none.
	DestinationRule ObjectRef
}

// TrafficPolicy returns the effective traffic policy (nil for defaults).
func (d *Decision) TrafficPolicy() *networking.TrafficPolicy { return d.Target.Policy }

// Forwarded reports whether the request is sent upstream (ActionRoute).
func (d *Decision) Forwarded() bool { return d.Action == ActionRoute }
