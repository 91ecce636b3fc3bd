// Package policy carries out DestinationRule traffic policies: the merge of
// top-level, port-level and subset policies, load balancers, connection-pool
// limits as circuit breakers, outlier detection and client TLS. Its Runtime
// is the one stateful piece the HTTP and gRPC adapters share: it picks an
// endpoint for a routing decision and learns from the outcome.
package policy

import (
	"strconv"

	networking "istio.io/api/networking/v1alpha3"
)

// Target is where a request was routed: an Envoy cluster (host, subset,
// port) with its endpoints' selector and its effective traffic policy.
type Target struct {
	Host   string // FQDN
	Subset string // "" for the whole service
	Port   uint32 // destination port; 0 when unknown
	// SubsetLabels selects the subset's endpoints; nil for the whole service.
	SubsetLabels map[string]string
	// Policy is the effective (merged) traffic policy, nil for defaults.
	// It must not be modified.
	Policy *networking.TrafficPolicy
}

// Key returns Envoy's cluster name for the target,
// "outbound|<port>|<subset>|<host>".
func (t Target) Key() string {
	return "outbound|" + strconv.FormatUint(uint64(t.Port), 10) + "|" + t.Subset + "|" + t.Host
}
