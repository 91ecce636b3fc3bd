// Package routegrpc carries out meshroute routing decisions for gRPC calls:
// client interceptors that route, time out, retry, fault-inject, rewrite
// metadata and mirror calls as an Istio sidecar (Envoy) would, and server
// interceptors that decide on inbound calls, inject faults and hand the
// decision to the handler.
//
// Istio routes gRPC as HTTP/2: the route sees the path
// "/package.Service/Method", method POST, the call's :authority and its
// metadata as headers. Timeouts, retries and faults speak gRPC status codes.
//
// # Client
//
//	router := routegrpc.NewRouter(runtime) // one *grpc.ClientConn per endpoint
//	cc, err := grpc.NewClient("dns:///reviews:9080", append([]grpc.DialOption{creds},
//		routegrpc.DialOptions(store, routegrpc.WithRouter(router))...)...)
//
// (or UnaryClientInterceptor and StreamClientInterceptor one by one).
//
// For each call the interceptor builds the request view (method, the target
// authority or [WithAuthority], outgoing metadata), asks the table for a
// [route.Decision] and then, in Envoy's order:
//
//   - answers calls that are not forwarded: no route ⇒ Unimplemented (Envoy's
//     404), unavailable subset or blocked host ⇒ Unavailable (503/502);
//   - injects the fault: the delay honours the context, the abort returns
//     status.Error with grpcStatus, or with httpStatus mapped to a code as
//     gRPC's HTTP-to-status table says (400 ⇒ Internal, 401 ⇒
//     Unauthenticated, 403 ⇒ PermissionDenied, 404 ⇒ Unimplemented, 429, 502,
//     503, 504 ⇒ Unavailable, anything else ⇒ Unknown). An aborted call is
//     neither retried, timed nor mirrored;
//   - applies the request header operations to the outgoing metadata and the
//     response header operations to the header metadata the caller asked for
//     with grpc.Header;
//   - sets the route timeout as a context deadline that never extends a
//     shorter deadline of the caller (as Istio's max_grpc_timeout caps the
//     client's grpc-timeout). A stream gets one only when its route (or the
//     x-envoy-upstream-rq-timeout-ms header) sets it explicitly: the
//     table's default timeout is for plain requests. An expired route
//     timeout reads DeadlineExceeded, the code a gRPC deadline gives,
//     where Envoy's local 504 would reach the client as Unavailable;
//   - sends the call, retrying per retryOn: the gRPC tokens (cancelled,
//     deadline-exceeded, internal, resource-exhausted, unavailable) match the
//     status the upstream answered with; the connection-level tokens (reset,
//     connect-failure, refused-stream, reset-before-request, 5xx,
//     gateway-error) match failures that never got an answer, which grpc-go
//     reports as Unavailable (or Internal/Canceled for stream resets); a
//     per-try timeout is retried only under 5xx or gateway-error, as in
//     Envoy. Each try is bounded by perTryTimeout, retries stop when the
//     route deadline passes, and each waits Envoy's fully jittered
//     exponential backoff (25ms base, capped at 10× base). Streams are
//     retried only until the first response message arrives: until then
//     the messages sent are kept and replayed on the new attempt;
//   - mirrors unary calls asynchronously, never delaying the call, with a
//     bound on mirrors in flight (extra mirrors are dropped and counted).
//
// # Why a connection set and not a gRPC balancer
//
// A [Router] keeps one *grpc.ClientConn per endpoint address ("ip:port"),
// created on first use; the endpoint for each try is chosen by
// policy.Runtime.Pick for the decision's target (host, subset, port), so
// load balancing, circuit breaking and outlier detection are the same for
// gRPC as for HTTP, and every endpoint has exactly one HTTP/2 connection
// pool whichever subsets and services it belongs to.
//
// The alternative, a gRPC balancer that reads the decision from the pick
// context, was rejected: a ClientConn's balancer only sees the addresses its
// own resolver produced for its one target, so routing to another host (a
// VirtualService may send reviews traffic to ratings, or mirror it) would
// need a resolver that knows every cluster and a second, gRPC-specific
// balancing implementation beside policy.Runtime; retries would then also
// run inside gRPC's own retry machinery, which knows nothing of retryOn.
// With the connection set, the ClientConn the user created with
// grpc.NewClient stays idle (it is used only for passthrough traffic and
// when no Router is given) and keeps working unchanged.
//
// Without a Router the interceptors still decide, inject faults, time out,
// retry and rewrite metadata, and send every call through the caller's own
// ClientConn; subsets and weights then cannot change the endpoint, and
// mirrors are skipped. Put the routing interceptor last in a chain: it
// sends the call itself and does not call the interceptors after it.
//
// # Server
//
//	srv := grpc.NewServer(routegrpc.ServerOptions(store)...)
//
// The server interceptors decide on the inbound call (source identity from
// the peer address, or from [WithIdentity]), reject calls a sidecar would
// not forward, inject faults, apply request header operations to the
// incoming metadata and response header operations to the headers the
// handler sends, and put the decision in the context ([DecisionFrom]).
package routegrpc
