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
//     "upstream request timeout", ...) instead of opaque Go errors.
//   - [NewGateway] is an ingress gateway: the middleware in front of an
//     httputil.ReverseProxy over the Transport, driven by an Istio Gateway
//     object (server hosts, HTTPS termination, httpsRedirect).
//
// Envoy's order is kept on every request: fault delay, fault abort, CORS,
// then the router (redirect, direct response, or forward with request
// header operations, rewrite, timeout and retries), and response header
// operations on the way back.
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
