package match

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// view is the part of a Request the constructors decide.
type view struct {
	Method, Scheme, Authority, Path, Gateway string
	Port                                     uint32
	SourceIP                                 string
}

func viewOf(r Request) view {
	ip := ""
	if r.SourceIP.IsValid() {
		ip = r.SourceIP.String()
	}
	return view{r.Method, r.Scheme, r.Authority, r.Path, r.Gateway, r.Port, ip}
}

func TestFromHTTPOutbound(t *testing.T) {
	tests := []struct {
		name string
		url  string
		host string
		want view
	}{
		{"http URL without port defaults to 80", "http://reviews/api?x=1", "",
			view{"GET", "http", "reviews", "/api?x=1", "mesh", 80, ""}},
		{"https URL without port defaults to 443", "https://reviews/", "",
			view{"GET", "https", "reviews", "/", "mesh", 443, ""}},
		{"explicit port wins", "http://reviews:9080/a", "",
			view{"GET", "http", "reviews:9080", "/a", "mesh", 9080, ""}},
		{"Host overrides the URL host", "http://10.0.0.1:8080/a", "reviews:9080",
			view{"GET", "http", "reviews:9080", "/a", "mesh", 9080, ""}},
		{"path keeps dot segments and escapes as sent", "http://r/a/../b%20c?q=%2F", "",
			view{"GET", "http", "r", "/a/../b%20c?q=%2F", "mesh", 80, ""}},
		{"IPv6 authority without port", "http://[::1]/", "",
			view{"GET", "http", "[::1]", "/", "mesh", 80, ""}},
		{"IPv6 authority with port", "http://[::1]:81/", "",
			view{"GET", "http", "[::1]:81", "/", "mesh", 81, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequest("GET", tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.host != "" {
				r.Host = tt.host
			}
			if diff := cmp.Diff(tt.want, viewOf(FromHTTP(r))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFromHTTPInboundOnARealServer(t *testing.T) {
	got := make(chan Request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- FromHTTP(r)
	}))
	defer srv.Close()
	addr := netip.MustParseAddrPort(srv.Listener.Addr().String())

	req, _ := http.NewRequest("PUT", srv.URL+"/a/./b?x=%20&y", nil)
	req.Header.Add("X-User", "jason")
	req.Header.Add("X-Multi", "a")
	req.Header.Add("X-Multi", "b")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	r := <-got

	want := view{"PUT", "http", addr.String(), "/a/./b?x=%20&y", "mesh", uint32(addr.Port()), "127.0.0.1"}
	if diff := cmp.Diff(want, viewOf(r)); diff != "" {
		t.Errorf("request view (-want +got):\n%s", diff)
	}
	headers := map[string][2]any{}
	for _, name := range []string{"x-user", "X-MULTI", "missing", ":method", "host"} {
		v, ok := r.HeaderValue(name)
		headers[name] = [2]any{v, ok}
	}
	wantHeaders := map[string][2]any{
		"x-user":  {"jason", true},
		"X-MULTI": {"a,b", true},
		"missing": {"", false},
		":method": {"PUT", true},
		"host":    {addr.String(), true},
	}
	if diff := cmp.Diff(wantHeaders, headers); diff != "" {
		t.Errorf("HeaderValue (-want +got):\n%s", diff)
	}
}

func TestFromHTTPInboundTLSIsHTTPS(t *testing.T) {
	got := make(chan Request, 1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- FromHTTP(r)
	}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if r := <-got; r.Scheme != "https" {
		t.Errorf("scheme = %q, want https", r.Scheme)
	}
}

func TestFromHTTPServerSideDetails(t *testing.T) {
	r := httptest.NewRequest("GET", "/p?q", nil)
	r.Host = "example.com"
	r.TLS = &tls.ConnectionState{}
	r.RemoteAddr = "[2001:db8::1]:5555"
	want := view{"GET", "https", "example.com", "/p?q", "mesh", 443, "2001:db8::1"}
	if diff := cmp.Diff(want, viewOf(FromHTTP(r))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFromHTTPCopiesNoHeaders(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	req := FromHTTP(r)
	r.Header.Set("X-Late", "1") // added after the view was built
	if v, ok := req.HeaderValue("x-late"); !ok || v != "1" {
		t.Errorf("view does not share the request's headers: %q %v", v, ok)
	}
}

func TestFromGRPC(t *testing.T) {
	md := map[string][]string{"x-user": {"jason"}, "x-multi": {"a", "b"}}
	r := FromGRPC("/pkg.Svc/Get", "reviews:9080", md)
	want := view{"POST", "http", "reviews:9080", "/pkg.Svc/Get", "mesh", 9080, ""}
	if diff := cmp.Diff(want, viewOf(r)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	type hv struct {
		V  string
		OK bool
	}
	var got []hv
	for _, name := range []string{"X-User", "x-multi", ":path", ":authority", "absent"} {
		v, ok := r.HeaderValue(name)
		got = append(got, hv{v, ok})
	}
	wantH := []hv{{"jason", true}, {"a,b", true}, {"/pkg.Svc/Get", true}, {"reviews:9080", true}, {"", false}}
	if diff := cmp.Diff(wantH, got); diff != "" {
		t.Errorf("HeaderValue (-want +got):\n%s", diff)
	}
	if r2 := FromGRPC("/a/b", "reviews", nil); r2.Port != 0 {
		t.Errorf("authority without port: Port = %d, want 0 (unknown)", r2.Port)
	}
}

func TestRequestPathParts(t *testing.T) {
	type parts struct{ Path, Query, Gateway string }
	tests := []struct {
		name string
		r    Request
		want parts
	}{
		{"path and query split at the first ?", Request{Path: "/a?b=1?c"}, parts{"/a", "b=1?c", "mesh"}},
		{"no query", Request{Path: "/a", Gateway: "ns/gw"}, parts{"/a", "", "ns/gw"}},
		{"empty query", Request{Path: "/a?"}, parts{"/a", "", "mesh"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parts{tt.r.PathOnly(), tt.r.Query(), tt.r.GatewayName()}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCanonicalHeaderKey(t *testing.T) {
	got := []string{CanonicalHeaderKey("x-user"), CanonicalHeaderKey(":authority"), CanonicalHeaderKey("END-USER")}
	want := []string{"X-User", ":authority", "End-User"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
}
