package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/meshroute/meshroute/internal/testpki"
)

// selfSigned writes a self-signed certificate for reviews.example.com and
// its key, and returns their paths and a pool trusting it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, cert := testpki.SelfSigned(t, &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "reviews.example.com"},
		DNSNames: []string{"reviews.example.com"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	dir := t.TempDir()
	certFile = testpki.WritePEM(t, dir, "cert.pem", "CERTIFICATE", cert.Raw)
	keyFile = testpki.WriteKey(t, dir, "key.pem", key)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestGatewayServesItsHTTPSServerOnTLSListen(t *testing.T) {
	var h1, h2 atomic.Int64
	path := writeConfig(t, version(t, "v1", &h1), version(t, "v2", &h2))
	certFile, keyFile, pool := selfSigned(t)
	https := `
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: secure, namespace: istio-system}
spec:
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*/reviews.example.com"]
    tls: {mode: SIMPLE, serverCertificate: CERT, privateKey: KEY}
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*/reviews.example.com"]
    tls: {httpsRedirect: true}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: secure-reviews, namespace: default}
spec:
  hosts: [reviews.example.com]
  gateways: [istio-system/secure]
  http: [{route: [{destination: {host: reviews.example.com, subset: v2}}]}]
`
	extra := filepath.Join(filepath.Dir(path), "secure.yaml")
	if err := os.WriteFile(extra, []byte(strings.NewReplacer("CERT", certFile, "KEY", keyFile).Replace(https)), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"-f", path, "-f", extra, "-gateway", "istio-system/secure", "-listen", "127.0.0.1:0", "-tls-listen", "127.0.0.1:0"}, pw)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	var addrs []string
	lines := bufio.NewScanner(pr)
	for len(addrs) < 2 && lines.Scan() {
		if a, ok := strings.CutPrefix(lines.Text(), "listening on "); ok {
			addrs = append(addrs, a)
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if len(addrs) != 2 {
		cancel()
		t.Fatalf("listeners %v, want plain and TLS: %v", addrs, <-done)
	}

	client := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "reviews.example.com"}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, _ := http.NewRequest("GET", "https://"+addrs[1]+"/r", nil)
	req.Host = "reviews.example.com"
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "v2" {
		t.Errorf("HTTPS: got %d %q, want 200 v2", resp.StatusCode, body)
	}

	req, _ = http.NewRequest("GET", "http://"+addrs[0]+"/r?x=1", nil)
	req.Host = "reviews.example.com"
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, tlsPort, _ := strings.Cut(addrs[1], ":")
	if want := "https://reviews.example.com:" + tlsPort + "/r?x=1"; resp.StatusCode != 301 || resp.Header.Get("Location") != want {
		t.Errorf("plain HTTP: got %d Location=%q, want 301 to %s", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}
