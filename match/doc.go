// Package match holds the protocol-neutral view of a request (Request) and
// the compiled matchers that Istio's HTTPMatchRequest, L4MatchAttributes and
// TLSMatchAttributes are made of, with the semantics Envoy gives them.
//
//	m, _ := match.CompileHTTPMatch(&networking.HTTPMatchRequest{
//		Uri:     &networking.StringMatch{MatchType: &networking.StringMatch_Prefix{Prefix: "/reviews"}},
//		Headers: map[string]*networking.StringMatch{"end-user": {MatchType: &networking.StringMatch_Exact{Exact: "jason"}}},
//	}, nil, nil)
//	req := match.FromHTTP(r)
//	if ok, why := m.Explain(&req); !ok {
//		log.Print(why) // uri: "/ratings" does not start with "/reviews"
//	}
//
// # String matches
//
//	exact: v     the whole value equals v, byte for byte ("exact: get" is not "GET")
//	prefix: p    the value starts with p
//	regex: r     r matches the WHOLE value (RE2; "abc" does not match "xabcx")
//	{}           present, any value (headers, withoutHeaders, queryParams)
//	regex: "*"   the same as {} (Istio's special case; "*" is not RE2)
//
// Regexes use Go's RE2 engine by default (RE2Compiler); Regexp2Compiler is
// an opt-in backtracking engine with .NET syntax that always runs under a
// match timeout.
//
// # What each field is matched against
//
//	uri          the path without its query string, after NormalizePath
//	             (dot segments removed, "\" → "/"); prefix has no segment
//	             boundary ("/foo" matches "/foobar"); ignoreUriCase folds
//	             ASCII case for exact and prefix only, never for regex
//	method       :method, case-sensitive
//	scheme       :scheme ("http" or "https"), case-sensitive
//	authority    :authority / Host, raw, including any ":port"
//	headers      header names are case-insensitive, values are not; several
//	             values are joined with ","; a missing header never matches;
//	             ":method", ":scheme", ":authority", ":path" and "host" read
//	             the request's fields; "uri" or "method" are ordinary names
//	withoutHeaders  the header entry inverted; unless it is a presence entry,
//	             a missing header counts as "" (so `exact: ""` fails when the
//	             header is missing, and `exact: bar` holds)
//	queryParams  raw (not percent-decoded) values; the first occurrence of a
//	             key wins; "?k" and "?k=" both give k the value ""; keys are
//	             case-sensitive
//	port         the request's destination port; 0 matches any
//	gateways     when set, the gateway receiving the request must be listed,
//	             and sourceLabels/sourceNamespace are not checked
//	sourceLabels / sourceNamespace  the caller's identity (Request fields)
//
// L4 matches compare destinationSubnets with the connection's original
// destination address; TLS matches add sniHosts, compared with the SNI
// case-insensitively, where "*.example.com" matches any name below
// example.com but not example.com itself.
//
// Matchers are compiled once from configuration, are immutable and safe for
// concurrent use, and match without allocating on the common path.
package match
