package routehttp

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/subset"
)

// gatewayYAML is an ingress gateway with a plain server, a plain server
// redirecting to HTTPS and an HTTPS server, and a VirtualService bound
// to it. %CERT%, %KEY%, %CA% and %MODE% are filled in per test.
const gatewayYAML = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ingress, namespace: istio-system}
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*/bookinfo.example.com"]
  - port: {number: 8080, name: http-redirect, protocol: HTTP}
    hosts: ["secure.example.com"]
    tls: {httpsRedirect: true}
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*/secure.example.com"]
    tls: {mode: %MODE%, serverCertificate: %CERT%, privateKey: %KEY%, caCertificates: %CA%}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bookinfo, namespace: default}
spec:
  hosts: [bookinfo.example.com, secure.example.com]
  gateways: [istio-system/ingress]
  http:
  - name: productpage
    match: [{uri: {prefix: /productpage}}]
    route: [{destination: {host: productpage, port: {number: 9080}}}]
  - name: port-80-only
    match: [{uri: {prefix: /port}, port: 80}]
    route: [{destination: {host: productpage, port: {number: 9080}}}]
  - name: slow
    match: [{uri: {prefix: /slow}}]
    timeout: 50ms
    route: [{destination: {host: productpage, port: {number: 9080}}}]
  - name: api
    match: [{uri: {prefix: /api/}}]
    rewrite: {uri: /}
    headers: {request: {set: {x-gw: ingress}}, response: {set: {x-served-by: gateway}}}
    route: [{destination: {host: productpage, port: {number: 9080}}}]
  - name: teapot
    match: [{uri: {prefix: /teapot}}]
    fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
    route: [{destination: {host: productpage, port: {number: 9080}}}]
`

// gatewayFixture is a Gateway over a productpage backend.
type gatewayFixture struct {
	backend *backend
	gw      *Gateway
	pki     *testPKI
}

func newGatewayFixture(t *testing.T, mode string, opts ...Option) *gatewayFixture {
	t.Helper()
	f := &gatewayFixture{pki: newTestPKI(t, "secure.example.com")}
	f.backend = newBackend(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/slow") {
			select {
			case <-r.Context().Done():
			case <-time.After(time.Second):
			}
			return
		}
		_, _ = io.WriteString(w, "productpage")
	})
	yaml := strings.NewReplacer("%MODE%", mode, "%CERT%", f.pki.serverCert, "%KEY%", f.pki.serverKey, "%CA%", f.pki.caFile).Replace(gatewayYAML)
	reg := subset.NewRegistry()
	host, port, _ := net.SplitHostPort(f.backend.addr())
	p, _ := strconv.Atoi(port)
	reg.SetService(subset.Service{
		Host:      "productpage.default.svc.cluster.local",
		Ports:     []subset.ServicePort{{Number: 9080, Name: "http"}},
		Endpoints: []subset.Endpoint{{Address: host, Port: uint32(p)}},
	})
	f.gw = NewGateway(compileYAML(t, yaml), policy.NewRuntime(reg), "istio-system/ingress", opts...)
	return f
}

func TestGatewayPlainServer(t *testing.T) {
	f := newGatewayFixture(t, "SIMPLE")
	srv := httptest.NewServer(f.gw)
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		name       string
		host, path string
		wantStatus int
		wantBody   string
		wantHeader map[string]string
		wantPath   string // what the backend received; "" when it must not be reached
	}{
		{name: "host a server accepts is proxied to the route's destination", host: "bookinfo.example.com", path: "/productpage?u=1", wantStatus: 200, wantBody: "productpage", wantPath: "/productpage?u=1"},
		{name: "host with a port is accepted by its host part", host: "bookinfo.example.com:80", path: "/productpage", wantStatus: 200, wantBody: "productpage", wantPath: "/productpage"},
		{name: "host no server accepts gets 404", host: "other.example.com", path: "/productpage", wantStatus: 404},
		{name: "httpsRedirect answers 301 to the https URL", host: "secure.example.com", path: "/productpage?u=1", wantStatus: 301,
			wantHeader: map[string]string{"Location": "https://secure.example.com/productpage?u=1"}},
		{name: "match port is the gateway server's port", host: "bookinfo.example.com", path: "/port", wantStatus: 200, wantBody: "productpage", wantPath: "/port"},
		{name: "rewrite and header operations are carried out by the proxy", host: "bookinfo.example.com", path: "/api/reviews", wantStatus: 200, wantBody: "productpage",
			wantHeader: map[string]string{"X-Served-By": "gateway"}, wantPath: "/reviews"},
		{name: "fault abort is answered at the gateway", host: "bookinfo.example.com", path: "/teapot", wantStatus: 418, wantBody: "fault filter abort"},
		{name: "route timeout at the gateway answers 504", host: "bookinfo.example.com", path: "/slow", wantStatus: 504, wantBody: BodyUpstreamTimeout, wantPath: "/slow"},
		{name: "path no rule matches gets 404", host: "bookinfo.example.com", path: "/nothing", wantStatus: 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(f.backend.requests())
			req := mustRequest(t, "GET", srv.URL+tc.path, "")
			req.Host = tc.host
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			checkResponse(t, resp, tc.wantStatus, tc.wantBody, tc.wantHeader)
			got := f.backend.requests()[before:]
			switch {
			case tc.wantPath == "" && len(got) != 0:
				t.Errorf("backend reached with %s", got[0].Path)
			case tc.wantPath != "" && (len(got) != 1 || got[0].Path != tc.wantPath):
				t.Errorf("backend saw %+v, want one request for %s", got, tc.wantPath)
			}
		})
	}
}

func TestGatewayHTTPSRedirectPortOption(t *testing.T) {
	f := newGatewayFixture(t, "SIMPLE", WithHTTPSRedirectPort("8443"))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "http://secure.example.com:8080/a?b=c", nil)
	f.gw.ServeHTTP(rec, req)
	if rec.Code != 301 || rec.Header().Get("Location") != "https://secure.example.com:8443/a?b=c" {
		t.Errorf("got %d Location=%q, want 301 to https://secure.example.com:8443/a?b=c", rec.Code, rec.Header().Get("Location"))
	}
}

// serveTLS serves the gateway over TLS with its own configuration.
func serveTLS(t *testing.T, f *gatewayFixture) *httptest.Server {
	t.Helper()
	cfg, err := f.gw.TLSConfig()
	if err != nil {
		t.Fatalf("TLSConfig: %v", err)
	}
	srv := httptest.NewUnstartedServer(f.gw)
	srv.TLS = cfg
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func tlsClient(f *gatewayFixture, withCert bool) *http.Client {
	cfg := &tls.Config{RootCAs: f.pki.pool, ServerName: "secure.example.com"}
	if withCert {
		cfg.Certificates = []tls.Certificate{f.pki.client}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
}

func TestGatewayHTTPS(t *testing.T) {
	tests := []struct {
		name       string
		mode       string
		clientCert bool
		wantErr    bool
		wantStatus int
	}{
		{"SIMPLE terminates TLS with the server certificate and routes", "SIMPLE", false, false, 200},
		{"MUTUAL accepts a client certificate signed by caCertificates", "MUTUAL", true, false, 200},
		{"MUTUAL refuses a client without a certificate", "MUTUAL", false, true, 0},
		{"OPTIONAL_MUTUAL accepts a client without a certificate", "OPTIONAL_MUTUAL", false, false, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newGatewayFixture(t, tc.mode)
			srv := serveTLS(t, f)
			req := mustRequest(t, "GET", srv.URL+"/productpage", "")
			req.Host = "secure.example.com"
			resp, err := tlsClient(f, tc.clientCert).Do(req)
			if tc.wantErr {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("request succeeded with %d, want a TLS handshake failure", resp.StatusCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus || string(b) != "productpage" {
				t.Errorf("got %d %q, want %d productpage", resp.StatusCode, b, tc.wantStatus)
			}
		})
	}
}

func TestGatewayHTTPSHostsAreTheHTTPSServers(t *testing.T) {
	// bookinfo.example.com is served only by the plain server: over TLS
	// no HTTPS server accepts it.
	f := newGatewayFixture(t, "SIMPLE")
	srv := serveTLS(t, f)
	req := mustRequest(t, "GET", srv.URL+"/productpage", "")
	req.Host = "bookinfo.example.com"
	resp, err := tlsClient(f, false).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("status %d, want 404", resp.StatusCode)
	}
}

func TestGatewayPeerIdentityFromClientCertificate(t *testing.T) {
	f := newGatewayFixture(t, "MUTUAL")
	var got Identity
	f.gw.cfg.identity = func(r *http.Request) Identity { got = PeerIdentity(nil)(r); return got }
	f.gw.mw.cfg.identity = f.gw.cfg.identity
	srv := serveTLS(t, f)
	req := mustRequest(t, "GET", srv.URL+"/productpage", "")
	req.Host = "secure.example.com"
	resp, err := tlsClient(f, true).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if diff := cmp.Diff(Identity{Namespace: "frontend"}, got); diff != "" {
		t.Errorf("identity (-want +got):\n%s", diff)
	}
}

func TestGatewayTLSConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*networking.ServerTLSSettings)
		wantErr string
	}{
		{"missing certificate file is named", func(s *networking.ServerTLSSettings) { s.ServerCertificate = "/nonexistent/cert.pem" }, "loading tls.serverCertificate/privateKey"},
		{"ISTIO_MUTUAL needs a control plane", func(s *networking.ServerTLSSettings) { s.Mode = networking.ServerTLSSettings_ISTIO_MUTUAL }, "ISTIO_MUTUAL needs Istio-issued workload certificates"},
		{"PASSTHROUGH does not terminate", func(s *networking.ServerTLSSettings) { s.Mode = networking.ServerTLSSettings_PASSTHROUGH }, "does not terminate TLS"},
		{"credentialName is a Kubernetes secret", func(s *networking.ServerTLSSettings) { s.CredentialName = "bookinfo-cert" }, "give serverCertificate and privateKey file paths"},
		{"MUTUAL without caCertificates is refused", func(s *networking.ServerTLSSettings) {
			s.Mode, s.CaCertificates = networking.ServerTLSSettings_MUTUAL, ""
		}, "tls.caCertificates is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newGatewayFixture(t, "SIMPLE")
			st := f.gw.stateFor(f.gw.src.Table())
			for i := range st.servers {
				if st.servers[i].https {
					tc.change(st.servers[i].tls)
				}
			}
			_, err := f.gw.TLSConfig()
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestGatewayMeshRoutesByHost(t *testing.T) {
	m := newMesh(t, nil, nil)
	gw := NewGateway(compileYAML(t, reviewsYAML), m.rt, "mesh")
	srv := httptest.NewServer(gw)
	defer srv.Close()
	req := mustRequest(t, "GET", srv.URL+"/api/books", "")
	req.Host = "reviews:9080"
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	drain(resp.Body)
	got := m.v1.requests()
	if resp.StatusCode != 200 || len(got) != 1 || got[0].Path != "/books" || got[0].Host != "internal.reviews" {
		t.Errorf("got %d, v1 saw %+v; want 200 and /books for internal.reviews", resp.StatusCode, got)
	}
}

func TestHostAccepts(t *testing.T) {
	tests := []struct {
		name         string
		server, host string
		want         bool
	}{
		{"star accepts every host", "*", "a.b.c", true},
		{"wildcard accepts a subdomain", "*.example.com", "a.example.com", true},
		{"wildcard accepts a deeper subdomain", "*.example.com", "a.b.example.com", true},
		{"wildcard does not accept its parent", "*.example.com", "example.com", false},
		{"wildcard does not accept a name merely ending the same", "*.example.com", "badexample.com", false},
		{"exact name accepts itself", "bookinfo.example.com", "bookinfo.example.com", true},
		{"exact name rejects another", "bookinfo.example.com", "reviews.example.com", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := hostAccepts(tc.server, tc.host); got != tc.want {
				t.Errorf("hostAccepts(%q, %q) = %v, want %v", tc.server, tc.host, got, tc.want)
			}
		})
	}
}
