// Package routehttp carries routing decisions out over net/http, the way
// Envoy does in an Istio sidecar or ingress gateway.
//
// Three adapters share one [route.TableSource] (a *route.Table, or a
// *route.Store that reloads configuration; each request takes the table
// once and keeps it):
//
//   - [Middleware] wraps an http.Handler: it decides on each inbound
//     request and applies fault injection, CORS, redirects, direct
//     responses, header operations, rewrites and the route timeout before
//     the handler runs. The handler reads the decision with [DecisionFrom].
//   - [NewTransport] is an http.RoundTripper for outbound calls — the
//     sidecar in a library: it decides on the outgoing request, picks an
//     endpoint through the [policy.Runtime] (subsets, load balancing,
//     circuit breaking, outlier detection), retries per the route's policy
//     with Envoy's jittered backoff, mirrors traffic, and turns failures
//     into the responses Envoy would give (503 "no healthy upstream", 504
//     "upstream request timeout", ...) instead of opaque Go errors. Once
//     the runtime is closed it sends nothing and returns an error wrapping
//     [policy.ErrClosed].
//   - [NewGateway] is an ingress gateway: the middleware in front of an
//     httputil.ReverseProxy over the Transport, driven by an Istio Gateway
//     object (server hosts, HTTPS termination, httpsRedirect).
//
// Envoy's order is kept on every request: fault delay, fault abort, CORS,
// then the router (redirect, direct response, or forward with request
// header operations, rewrite, timeout and retries), and response header
// operations on the way back.
//
// # Handing the decision over
//
// Middleware passes the decision to the next handler in the request's
// context. [WithHandoff] chooses what that costs and what it asks of the
// handler:
//
//   - [HandoffCopy] (the default): a context and request copy of the
//     request's own, one allocation. The handler may keep both after it
//     returns — goroutines watching r.Context().Done(), background work
//     under context.WithoutCancel(r.Context()) — as net/http allows.
//   - [HandoffPooled]: the context and request copy live in per-request
//     state reused once the handler has returned, so a routed request
//     without a timeout allocates nothing. The handler, and goroutines it
//     starts, must be done with the request and every context derived
//     from it when it returns; one that is not reads another request's
//     fields, values and decision (go test -race reports it).
//   - [HandoffNone]: the decision is not published ([DecisionFrom]
//     reports false) and the handler gets the caller's own request unless
//     the route rewrites it or sets a timeout. No allocation, no contract.
//
// A route timeout adds one context.WithTimeout to that in every mode (and,
// under HandoffNone, the request copy that carries it). The middleware's other
// per-request state (request view, response writer wrapper, timeout
// timer) is pooled in every mode, which net/http's rule that a
// ResponseWriter is not used after the handler returns makes safe.
//
// # Use
//
// Inbound, in front of any router:
//
//	tbl, _ := route.Compile(cfg)
//	mux := http.NewServeMux()
//	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
//		d, _ := routehttp.DecisionFrom(r.Context()) // rule, destination, ...
//		...
//	})
//	http.ListenAndServe(":8080", routehttp.Middleware(tbl,
//		routehttp.WithIdentity(routehttp.PeerIdentity(nil)))(mux))
//
// Outbound, as an http.Client:
//
//	reg := subset.NewRegistry()
//	_ = reg.LoadServiceEntries(ctx, entries, nil, nil)
//	client := &http.Client{Transport: routehttp.NewTransport(tbl, policy.NewRuntime(reg),
//		routehttp.WithIdentity(routehttp.StaticIdentity("frontend", map[string]string{"app": "web"})))}
//	resp, err := client.Get("http://reviews:9080/reviews/1")
//
// As an ingress gateway:
//
//	gw := routehttp.NewGateway(tbl, policy.NewRuntime(reg), "istio-system/ingress")
//	tlsCfg, _ := gw.TLSConfig() // the Gateway's HTTPS servers
//	go http.ListenAndServe(":8080", gw)
//	srv := &http.Server{Addr: ":8443", Handler: gw, TLSConfig: tlsCfg}
//	srv.ListenAndServeTLS("", "")
package routehttp
