package match_test

import (
	"fmt"
	"net/http/httptest"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
)

func ExampleCompileHTTPMatch() {
	m, err := match.CompileHTTPMatch(&networking.HTTPMatchRequest{
		Uri: &networking.StringMatch{MatchType: &networking.StringMatch_Prefix{Prefix: "/reviews"}},
		Headers: map[string]*networking.StringMatch{
			"end-user": {MatchType: &networking.StringMatch_Exact{Exact: "jason"}},
		},
	}, nil, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(m)

	r := httptest.NewRequest("GET", "/reviews/1?x=y", nil)
	r.Header.Set("End-User", "jason")
	req := match.FromHTTP(r)
	fmt.Println(m.Match(&req))

	req = match.FromHTTP(httptest.NewRequest("GET", "/ratings", nil))
	fmt.Println(m.Explain(&req))
	// Output:
	// uri prefix "/reviews" && header end-user = "jason"
	// true
	// false uri: "/ratings" does not start with "/reviews"
}

func ExampleNormalizePath() {
	fmt.Println(match.NormalizePath(`/public/../admin\users?next=/../x`))
	// Output: /admin/users?next=/../x
}

func ExampleQueryParam() {
	v, ok := match.QueryParam("debug&user=a%20b&user=c", "user")
	fmt.Printf("%q %v\n", v, ok)
	v, ok = match.QueryParam("debug&user=a%20b", "debug")
	fmt.Printf("%q %v\n", v, ok)
	// Output:
	// "a%20b" true
	// "" true
}

func ExampleCompileTLSMatch() {
	m, err := match.CompileTLSMatch(&networking.TLSMatchAttributes{SniHosts: []string{"*.bookinfo.com"}}, nil)
	if err != nil {
		panic(err)
	}
	for _, sni := range []string{"login.bookinfo.com", "bookinfo.com"} {
		req := match.Request{SNI: sni}
		fmt.Println(sni, m.Match(&req))
	}
	// Output:
	// login.bookinfo.com true
	// bookinfo.com false
}
