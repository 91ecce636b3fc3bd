// Package meshroute brings Istio's traffic-management model into any Go
// process: load the VirtualService, DestinationRule, ServiceEntry and
// Gateway objects Istio users already write, and get the routing behaviour
// Envoy would apply, without a sidecar.
//
// Start with "go run ./examples/bookinfo" (Istio's bookinfo on loopback,
// routed step by step) and the README's five-minute tour; the Example in
// this package shows the whole flow in a few lines.
//
// # Package map
//
//   - [github.com/meshroute/meshroute/route]: loading and validating
//     configuration, compiling it into an immutable Table, and
//     Table.Decide (HTTP), DecideTCP and DecideTLS, which answer for one
//     request everything Envoy would do; Table.Explain says why; Store
//     swaps tables as configuration changes.
//   - [github.com/meshroute/meshroute/route/routehttp]: net/http middleware,
//     an http.RoundTripper for outbound calls (the sidecar in a library),
//     and an ingress gateway.
//   - [github.com/meshroute/meshroute/route/routegrpc]: gRPC client and
//     server interceptors, and a Router that keeps one connection per
//     endpoint.
//   - [github.com/meshroute/meshroute/route/routetest]: assertions for
//     routing in Go tests; the same cases drive "routectl test".
//   - [github.com/meshroute/meshroute/match]: the request view and compiled
//     matchers.
//   - [github.com/meshroute/meshroute/fault]: fault specs, sampling, and
//     applying delays and aborts.
//   - [github.com/meshroute/meshroute/subset]: endpoints, the endpoint
//     registry and label selection.
//   - [github.com/meshroute/meshroute/policy]: DestinationRule traffic
//     policies: merge, load balancers, circuit breakers, outlier detection,
//     client TLS.
//   - github.com/meshroute/meshroute/route/kubesource (its own module, so
//     client-go stays out of this one): follow Istio objects in a cluster.
//   - examples/routectl: the command line — validate, decide, explain,
//     table, template and test.
//
// # Data flow
//
// Configuration flows one way:
//
//	YAML/JSON ──route.Load──▶ route.Config ──route.Compile──▶ *route.Table (or route.Store)
//	request ──match.FromHTTP / FromGRPC──▶ match.Request
//	*route.Table ──Decide(*match.Request)──▶ route.Decision (pure, no I/O)
//	route.Decision ──routehttp / routegrpc──▶ fault, redirect, rewrite, header ops
//	route.Decision.Target ──policy.Runtime.Pick──▶ endpoint (subset.Registry) ──▶ send, retry, Release
//
// The core (loading, compiling, deciding) does no I/O and starts no
// goroutines; randomness is injectable (route.WithRand), so tests are
// deterministic. The adapters carry decisions out; the policy runtime is
// the one stateful piece, shared by them.
//
// # Semantics
//
// Where the seeds this project was built from (v1alpha3-era Istio
// documentation) and today's Istio differ, the seeds' behaviour is the
// default and route.IstioSemantics switches to today's Istio; the README
// lists each difference, its own option, and every Istio networking field
// with whether it is honoured, honoured with a difference, ignored or
// rejected.
package meshroute

// README.md's compatibility table is generated from route/testdata/compat.md;
// TestREADMECompatIsUpToDate fails until it is regenerated.
//go:generate go test -run TestREADMECompatIsUpToDate -update .
