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

	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/subset"
)

// TestTransportRoutesHTTPSByTLSRules checks that an https request to a
// ServiceEntry's HTTPS port is routed as Istio routes the TLS connection:
// by the VirtualService's tls rules (SNI), which here send it to the
// ServiceEntry's other host. A VirtualService with only tls rules has no
// HTTP route, so deciding it by http rules would answer 404.
func TestTransportRoutesHTTPSByTLSRules(t *testing.T) {
	var sawHost string
	be := newTLSBackend(t, func(w http.ResponseWriter, r *http.Request) {
		sawHost = r.Host
		_, _ = io.WriteString(w, "mirror site")
	})
	yaml := strings.ReplaceAll(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api, namespace: default}
spec:
  hosts: [api.test, mirror.test]
  ports: [{number: 8443, name: https, protocol: HTTPS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: default}
spec:
  hosts: [api.test]
  tls:
  - match: [{port: 8443, sniHosts: [api.test]}]
    route: [{destination: {host: mirror.test, port: {number: 8443}}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: mirror, namespace: default}
spec:
  host: mirror.test
  trafficPolicy:
    tls: {mode: SIMPLE, caCertificates: CAFILE, sni: example.com}
`, "CAFILE", be.caFile)
	reg := subset.NewRegistry()
	reg.SetService(subset.Service{
		Host:      "mirror.test",
		Ports:     []subset.ServicePort{{Number: 8443, Name: "https"}},
		Endpoints: []subset.Endpoint{be.endpoint},
	})
	client := &http.Client{Transport: NewTransport(compileYAML(t, yaml), policy.NewRuntime(reg))}
	resp, err := client.Get("https://api.test:8443/x")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "mirror site" || sawHost != "api.test:8443" {
		t.Errorf("got %d %q, backend saw Host %q; want 200 from the tls rule's destination with the request's own Host api.test:8443", resp.StatusCode, b, sawHost)
	}
}

// TestTransportSendsTheRequestHostAsSNI checks that a caller's own https
// request, to a destination no DestinationRule gives TLS settings, is
// sent with the request's host as TLS server name, as the caller would
// send it, though the Transport dials an endpoint's address: also when a
// tls rule sent it to another host (an egress gateway that routes by
// SNI), as Istio passes the caller's TLS session through.
func TestTransportSendsTheRequestHostAsSNI(t *testing.T) {
	tests := []struct {
		name, url, sni string
	}{
		{"the destination is the request's host", "https://api.example.test/x", "api.example.test"},
		{"a tls rule sends it to the egress gateway", "https://edition.example.test/x", "edition.example.test"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sniSeen(t, tc.url); got != tc.sni {
				t.Errorf("the endpoint saw server name %q, want %q", got, tc.sni)
			}
		})
	}
}

// sniSeen sends a GET for url through a Transport whose services all have
// one loopback TLS endpoint, and returns the server name its handshake
// saw. api.example.test is a service; edition.example.test's tls rule
// sends it to egress.example.test.
func sniSeen(t *testing.T, url string) string {
	t.Helper()
	sni := make(chan string, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		select {
		case sni <- hello.ServerName:
		default:
		}
		return nil, nil
	}}
	reg := untrustedTLSServices(t, srv, "api.example.test", "egress.example.test")
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api, namespace: default}
spec:
  hosts: [api.example.test, edition.example.test, egress.example.test]
  ports: [{number: 443, name: https, protocol: HTTPS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edition-via-egress, namespace: default}
spec:
  hosts: [edition.example.test]
  tls:
  - match: [{port: 443, sniHosts: [edition.example.test]}]
    route: [{destination: {host: egress.example.test, port: {number: 443}}}]
`)
	client := &http.Client{Transport: NewTransport(tbl, policy.NewRuntime(reg))}
	if resp, err := client.Get(url); err == nil {
		resp.Body.Close() // the certificate is not trusted: a 503
	}
	select {
	case got := <-sni:
		return got
	case <-time.After(5 * time.Second):
		t.Fatal("no TLS handshake reached the endpoint")
	}
	return ""
}

// TestTLSFailureReplySaysWhy checks that a connection failure caused by
// the TLS handshake says why, as Envoy's reply appends its transport
// failure reason.
func TestTLSFailureReplySaysWhy(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	reg := untrustedTLSServices(t, srv, "api.example.test")
	tbl := compileYAML(t, "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: api, namespace: default}\nspec:\n  hosts: [api.example.test]\n  ports: [{number: 443, name: https, protocol: HTTPS}]\n  resolution: DNS\n")
	client := &http.Client{Transport: NewTransport(tbl, policy.NewRuntime(reg))}
	resp, err := client.Get("https://api.example.test/x")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The test certificate names example.com, and no root trusts it.
	want := BodyConnectFailure + ", transport failure reason: TLS error: x509: certificate is valid for example.com, *.example.com, not api.example.test"
	if resp.StatusCode != 503 || string(b) != want {
		t.Errorf("got %d %q, want 503 %q", resp.StatusCode, b, want)
	}
}

// untrustedTLSServices starts srv with TLS on 127.0.0.1 (its test
// certificate, which no client here trusts, so its handshake errors are
// not logged), closed when the test ends, and returns a registry where
// each host is a service on port 443 with srv as its one endpoint.
func untrustedTLSServices(t *testing.T, srv *httptest.Server, hosts ...string) *subset.Registry {
	t.Helper()
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	reg := subset.NewRegistry()
	for _, h := range hosts {
		reg.SetService(subset.Service{Host: h, Ports: []subset.ServicePort{{Number: 443, Name: "https"}},
			Endpoints: []subset.Endpoint{{Address: host, Port: uint32(p)}}})
	}
	return reg
}
