package match

import (
	"net/http"

	networking "istio.io/api/networking/v1alpha3"
)

func exact(v string) *networking.StringMatch {
	return &networking.StringMatch{MatchType: &networking.StringMatch_Exact{Exact: v}}
}

func prefix(v string) *networking.StringMatch {
	return &networking.StringMatch{MatchType: &networking.StringMatch_Prefix{Prefix: v}}
}

func regex(v string) *networking.StringMatch {
	return &networking.StringMatch{MatchType: &networking.StringMatch_Regex{Regex: v}}
}

func present() *networking.StringMatch { return &networking.StringMatch{} }

// get builds a GET request for path with the given header name/value
// pairs (a name may repeat to give several values).
func get(path string, kv ...string) Request {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return Request{Method: "GET", Scheme: "http", Authority: "reviews:9080", Path: path, Header: h, Port: 9080}
}

func with(r Request, f func(*Request)) Request {
	f(&r)
	return r
}
