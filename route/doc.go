// Package route turns Istio networking configuration into routing
// decisions, exactly as Envoy applies it.
//
// # Load and validate
//
// Load, LoadFile, LoadDir, LoadPaths, LoadReader and LoadBytes read
// VirtualService, DestinationRule, ServiceEntry, WorkloadEntry and Gateway
// objects from YAML or JSON: single documents, "---" streams and kubectl
// List output; other kinds are skipped and listed in Config.Skipped.
// Validate reports every problem with the field path and what to write
// instead (Problem, Severity): errors make Compile fail, warnings name
// behaviour that differs between the seeds and today's Istio.
//
// # Compile and decide
//
//	cfg, err := route.LoadDir("istio/")
//	table, err := route.Compile(cfg, route.WithNamespace("bookinfo"))
//	req := match.FromHTTP(r)
//	d := table.Decide(&req) // a Decision: pure, no I/O, no allocation on the common path
//
// A Table is immutable and safe for concurrent use. Decide answers HTTP
// requests (first matching rule of the most specific host wins; no match is
// ActionNoRoute, Envoy's 404 NR); DecideTCP and DecideTLS answer L4 and
// SNI routing; Explain returns, for people and tools, every VirtualService
// considered, every rule and match clause tried with the first condition
// that failed, and the decision. A Store holds the current Table behind an
// atomic pointer; Store.Update and Store.Watch swap in new configuration
// only when it compiles.
//
// # Options
//
// The defaults follow the seeds (v1alpha3-era Istio documentation) where
// they speak and today's Istio elsewhere. IstioSemantics switches every
// difference to today's Istio; WithDefaultTimeout, WithFaultDefaultPercent,
// WithDefaultRetries, WithShadowSuffix and WithPerRequestOverrides switch
// them one by one. WithRand makes weighted picks and fault and mirror
// sampling deterministic. route/testdata/compat.md lists every Istio field
// and how it is honoured.
package route
