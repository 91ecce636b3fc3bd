// Package policy carries out DestinationRule traffic policies: the merge of
// top-level, port-level and subset policies, load balancers, connection-pool
// limits as circuit breakers, outlier detection and client TLS. Its Runtime
// is the one stateful piece the HTTP and gRPC adapters share: it picks an
// endpoint for a routing decision and learns from the outcome.
//
// # Using the runtime
//
//	rt := policy.NewRuntime(registry, policy.WithLocality("us-east1/b"))
//	lease, err := rt.Pick(&decision.Target, &req, triedAddrs)
//	if err != nil { /* ErrOverflow: 503 + x-envoy-overloaded; ErrNoHealthyUpstream: 503 */ }
//	resp, err := send(lease.Addr, rt.Transport(&decision.Target))
//	lease.Release(policy.Result{Status: resp.StatusCode}) // exactly once per attempt
//
// A retry first takes a slot with AdmitRetry (maxRetries or retryBudget).
// Stats returns per-cluster counters for export.
//
// Close the runtime when done with it (defer rt.Close()): it closes the
// idle connections of every per-cluster transport, and the connections
// of requests still in flight as their leases are released. After Close,
// Pick, TransportFor and round trips through the runtime's transports,
// including those taken before Close, fail with ErrClosed; Stats still
// reports.
//
// # What each policy block does here
//
//   - loadBalancer: LEAST_REQUEST (the default; power of two choices),
//     ROUND_ROBIN (smooth weighted), RANDOM, PASSTHROUGH (the request's
//     original destination), consistentHash on a header, cookie (issued
//     through Lease.SetCookie when absent and a ttl is set), source IP or
//     query parameter, over a ring hash or Maglev; localityLbSetting
//     failover, failoverPriority and distribute, with Envoy's 1.4
//     overprovisioning between priorities; warmup (slow start) for hosts
//     joining a running cluster.
//   - connectionPool: http2MaxRequests and http1MaxPendingRequests (beyond
//     maxConnections) reject at once with ErrOverflow; maxRetries gates
//     AdmitRetry; maxConnections, connectTimeout, tcpKeepalive, idleTimeout,
//     maxRequestsPerConnection, maxConnectionDuration, h2UpgradePolicy and
//     http2KeepAlive shape the cluster's http.Transport.
//   - outlierDetection: consecutive 5xx, gateway and local-origin errors
//     eject an endpoint for baseEjectionTime × its ejection count (at most
//     300s), within maxEjectionPercent (one host at least); ejected hosts
//     return at the interval sweep after their time; below
//     minHealthPercent the balancer ignores ejections (panic mode).
//   - tls: see ClientTLS.
//
// # Where it differs from Envoy
//
//   - Interval sweeps run lazily on Pick, on the interval grid, so a clock
//     that jumps acts as all the sweeps it skipped.
//   - A ring hash keeps its points per unit of weight while the ring stays
//     within one to four times minimumRingSize, so removing a host moves
//     only that host's keys (Envoy re-spreads a fixed-size ring).
//   - Pending requests are those beyond maxConnections in flight, as with
//     HTTP/1.1; HTTP/2 multiplexing is not modelled for the pending limit.
//   - Slow start recomputes a warming host's weight 16 times over the
//     window rather than on every pick.
//   - zoneAwareLbSetting, tunnel and proxyProtocol are not applied.
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
