package match

import (
	"net/http/httptest"
	"testing"
)

// Building the view of a request a server received copies nothing and
// allocates nothing, with or without a port in the Host header.
func TestFromHTTPServerRequestAllocatesNothing(t *testing.T) {
	for _, host := range []string{"reviews", "reviews:9080", "[::1]:9080"} {
		r := httptest.NewRequest("GET", "/reviews/1?x=1", nil)
		r.Host = host
		var got Request
		allocs := testing.AllocsPerRun(200, func() { got = FromHTTP(r) })
		if allocs != 0 {
			t.Errorf("Host %q: FromHTTP allocates %v times per request, want 0", host, allocs)
		}
		if got.Path != "/reviews/1?x=1" || got.Authority != host {
			t.Errorf("Host %q: view %+v lost the path or authority", host, got)
		}
	}
}

// The port comes from the authority, else from the scheme's default; an
// authority with a malformed port has no port.
func TestAuthorityPort(t *testing.T) {
	for _, tc := range []struct {
		authority, scheme string
		want              uint32
	}{
		{"reviews:9080", "http", 9080},
		{"reviews", "http", 80},
		{"reviews", "https", 443},
		{"[::1]:8443", "https", 8443},
		{"[::1]", "http", 80},
		{"reviews:99999", "http", 0},
		{"reviews:80x", "http", 0},
		{"", "http", 0},
	} {
		if got := authorityPort(tc.authority, tc.scheme); got != tc.want {
			t.Errorf("authorityPort(%q, %q) = %d, want %d", tc.authority, tc.scheme, got, tc.want)
		}
	}
}
