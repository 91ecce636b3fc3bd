// Package meshroute brings Istio's traffic-management model into any Go
// process: load the VirtualService, DestinationRule, ServiceEntry and
// Gateway objects Istio users already write, and get the routing behaviour
// Envoy would apply, without a sidecar.
//
// # Package map
//
//   - [github.com/meshroute/meshroute/route]: loading and validating
//     configuration, compiling it into an immutable Table, and
//     Table.Decide, which answers for one request everything Envoy would do.
//   - [github.com/meshroute/meshroute/route/routehttp]: net/http middleware,
//     an http.RoundTripper for outbound calls, and an ingress gateway.
//   - [github.com/meshroute/meshroute/route/routegrpc]: gRPC client and
//     server interceptors.
//   - [github.com/meshroute/meshroute/route/routetest]: assertions for
//     routing in Go tests.
//   - [github.com/meshroute/meshroute/match]: the request view and compiled
//     matchers.
//   - [github.com/meshroute/meshroute/fault]: fault specs, sampling, and
//     applying delays and aborts.
//   - [github.com/meshroute/meshroute/subset]: endpoints, the endpoint
//     registry and label selection.
//   - [github.com/meshroute/meshroute/policy]: DestinationRule traffic
//     policies: merge, load balancers, circuit breakers, outlier detection,
//     client TLS.
//
// # Data flow
//
// Configuration flows one way:
//
//	YAML/JSON ──route.Load──▶ route.Config ──route.Compile──▶ *route.Table
//	*route.Table ──Decide(*match.Request)──▶ route.Decision (pure, no I/O)
//	route.Decision ──adapters──▶ policy.Runtime.Pick ──▶ endpoint ──▶ result
//
// The core (loading, compiling, deciding) does no I/O and starts no
// goroutines; randomness is injectable. The adapters carry decisions out.
package meshroute
