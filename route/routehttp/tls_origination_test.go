package routehttp

import (
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/subset"
)

// TestTransportOriginatesTLSPerDestinationRule checks that a
// DestinationRule's tls block (SIMPLE with caCertificates) makes the
// Transport speak TLS to the endpoint, verified against that CA, while
// the caller sent plain http.
func TestTransportOriginatesTLSPerDestinationRule(t *testing.T) {
	var sawTLS bool
	be := newTLSBackend(t, func(w http.ResponseWriter, r *http.Request) {
		sawTLS = r.TLS != nil
		_, _ = io.WriteString(w, "secure")
	})
	yaml := strings.ReplaceAll(`
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: secure, namespace: default}
spec:
  host: secure
  trafficPolicy:
    tls: {mode: SIMPLE, caCertificates: CAFILE, sni: example.com}
`, "CAFILE", be.caFile)
	reg := subset.NewRegistry()
	reg.SetService(subset.Service{
		Host:      "secure.default.svc.cluster.local",
		Ports:     []subset.ServicePort{{Number: 8443, Name: "https"}},
		Endpoints: []subset.Endpoint{be.endpoint},
	})
	client := &http.Client{Transport: NewTransport(compileYAML(t, yaml), policy.NewRuntime(reg))}
	resp, err := client.Get("http://secure:8443/x")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "secure" || !sawTLS {
		t.Errorf("got %d %q, backend saw TLS = %v; want 200 secure over TLS", resp.StatusCode, b, sawTLS)
	}
}

// tlsBackend is a TLS server on 127.0.0.1 with its CA certificate in a
// file, for DestinationRules that verify it (caCertificates).
type tlsBackend struct {
	caFile   string
	endpoint subset.Endpoint
}

// newTLSBackend starts a TLS server with handler h, closed when the test
// ends.
func newTLSBackend(t *testing.T, h http.HandlerFunc) tlsBackend {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	return tlsBackend{caFile: caFile, endpoint: subset.Endpoint{Address: host, Port: uint32(p)}}
}
