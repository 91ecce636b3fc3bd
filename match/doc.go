// Package match holds the protocol-neutral view of a request (Request) and
// the compiled matchers that Istio's HTTPMatchRequest, L4MatchAttributes and
// TLSMatchAttributes are made of: string matches (exact, prefix, RE2 regex
// with full-match semantics), header and query-parameter matches, URI
// matches with Envoy's path rules, and L4/SNI matches.
//
// Matchers are compiled once from configuration and are safe for concurrent
// use; matching allocates nothing on the common path.
package match
