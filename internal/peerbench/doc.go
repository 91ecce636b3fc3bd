// Package peerbench measures other Go routers on the workloads of
// internal/routebench, beside meshroute's route.Table.Decide, so one run
// shows how meshroute's lookup compares.
//
// It is its own module (internal/peerbench/go.mod): the routers it
// measures — github.com/go-chi/chi/v5, github.com/gorilla/mux,
// github.com/julienschmidt/httprouter and net/http's ServeMux — never enter
// meshroute's go.mod.
//
// Each Router expresses as much of a workload as it can (Router.Cannot
// says why a rule is left out) and is measured on that subset only: its
// rules, and the requests those rules or no rule decide. Where a router
// leaves rules out, meshroute is measured again on the same subset, so a
// ratio always compares the same requests on the same rules.
//
// What is measured is lookup alone — finding the route for a prebuilt
// request, not serving it:
//
//	meshroute   route.Table.Decide(&req)
//	chi         (*chi.Mux).Find(rctx, method, path) with a reused, reset chi.Context
//	gorilla/mux (*mux.Router).Match(req, &match) with a reused RouteMatch
//	httprouter  (*httprouter.Router).Lookup(method, path)
//	servemux    (*http.ServeMux).Handler(req)
//
// Run the comparison with
//
//	cd internal/peerbench && go run ./cmd/compare -benchtime 200ms
//
// or the same benchmarks through go test:
//
//	cd internal/peerbench && go test -run '^$' -bench 'BenchmarkPeers' -benchtime 200ms -benchmem
package peerbench
