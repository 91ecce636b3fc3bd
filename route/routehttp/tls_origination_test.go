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
	backend := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawTLS = r.TLS != nil
		_, _ = io.WriteString(w, "secure")
	}))
	defer backend.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: backend.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := strings.ReplaceAll(`
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: secure, namespace: default}
spec:
  host: secure
  trafficPolicy:
    tls: {mode: SIMPLE, caCertificates: CAFILE, sni: example.com}
`, "CAFILE", caFile)
	host, port, _ := net.SplitHostPort(backend.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	reg := subset.NewRegistry()
	reg.SetService(subset.Service{
		Host:      "secure.default.svc.cluster.local",
		Ports:     []subset.ServicePort{{Number: 8443, Name: "https"}},
		Endpoints: []subset.Endpoint{{Address: host, Port: uint32(p)}},
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
