// Package routebench generates deterministic routing workloads — a table of
// rules and a stream of requests — for benchmarks and for differential
// tests of route.Table.Decide.
//
// A Workload is router-neutral: its rules are plain data (host, method,
// exact/prefix/regex path, one exact header, target), so the same table
// can be expressed in meshroute (Workload.Config builds real
// VirtualServices) and in other Go routers (internal/peerbench). Each
// request comes with the rule Istio would pick for it (Workload.Expected),
// computed by a naive first-match walk that is independent of meshroute's
// code.
//
// The generators:
//
//   - Routes(n): n rules on one host, a documented mix of exact and prefix
//     paths, method and header conditions and a few regexes.
//   - Hosts(n): n VirtualServices, each on its own exact or wildcard host.
//   - Compile(vs, rules): vs VirtualServices of rules rules each, for
//     measuring compilation.
//
// Every generator is a pure function of its arguments: the same call gives
// the same workload, requests shuffled in the same order.
package routebench
