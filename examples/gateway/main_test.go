package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// config is a ServiceEntry with two labelled loopback endpoints, the
// DestinationRule naming them as subsets, a VirtualService bound to both
// the mesh and an ingress Gateway, and that Gateway.
const config = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  location: MESH_INTERNAL
  endpoints:
  - {address: 127.0.0.1, ports: {http: V1PORT}, labels: {version: v1}}
  - {address: 127.0.0.1, ports: {http: V2PORT}, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews.example.com
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ingress, namespace: istio-system}
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*/reviews.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews.example.com]
  gateways: [mesh, istio-system/ingress]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews.example.com, subset: v2}}]
  - route: [{destination: {host: reviews.example.com, subset: v1}}]
`

// version starts a backend answering with its name; /slow takes 200ms.
func version(t *testing.T, name string, hits *atomic.Int64) (port string) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/slow" {
			time.Sleep(200 * time.Millisecond)
		}
		_, _ = io.WriteString(w, name)
	}))
	t.Cleanup(srv.Close)
	_, port, _ = net.SplitHostPort(srv.Listener.Addr().String())
	return port
}

// start runs the gateway in-process and returns its address once it
// prints "listening on".
func start(t *testing.T, args ...string) (addr string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, args, pw)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		if a, ok := strings.CutPrefix(lines.Text(), "listening on "); ok {
			addr = a
			break
		}
	}
	if addr == "" {
		cancel()
		t.Fatalf("gateway did not start: %v", <-done)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	return addr, func() error { cancel(); return <-done }
}

func writeConfig(t *testing.T, v1, v2 string) string {
	path := filepath.Join(t.TempDir(), "reviews.yaml")
	yaml := strings.NewReplacer("V1PORT", v1, "V2PORT", v2).Replace(config)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func get(t *testing.T, addr, path, user string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
	req.Host = "reviews.example.com"
	if user != "" {
		req.Header.Set("End-User", user)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestGatewayRoutesToSubsetsFromServiceEntryEndpoints(t *testing.T) {
	for _, gw := range []string{"mesh", "istio-system/ingress"} {
		t.Run("gateway "+gw, func(t *testing.T) {
			var h1, h2 atomic.Int64
			path := writeConfig(t, version(t, "v1", &h1), version(t, "v2", &h2))
			addr, stop := start(t, "-f", path, "-listen", "127.0.0.1:0", "-gateway", gw)
			for _, tc := range []struct{ user, want string }{{"jason", "v2"}, {"alice", "v1"}, {"", "v1"}} {
				if st, body := get(t, addr, "/reviews/1", tc.user); st != 200 || body != tc.want {
					t.Errorf("end-user %q: got %d %q, want 200 %q", tc.user, st, body, tc.want)
				}
			}
			if err := stop(); err != nil {
				t.Errorf("run returned %v, want nil after a clean shutdown", err)
			}
		})
	}
}

func TestGatewayDrainsInFlightRequestsOnShutdown(t *testing.T) {
	var h1, h2 atomic.Int64
	path := writeConfig(t, version(t, "v1", &h1), version(t, "v2", &h2))
	addr, stop := start(t, "-f", path, "-listen", "127.0.0.1:0")
	type result struct {
		status int
		body   string
	}
	res := make(chan result, 1)
	go func() {
		st, body := get(t, addr, "/slow", "")
		res <- result{st, body}
	}()
	for h1.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Errorf("run returned %v, want nil", err)
	}
	if r := <-res; r.status != 200 || r.body != "v1" {
		t.Errorf("in-flight request got %d %q, want it drained with 200 v1", r.status, r.body)
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no configuration file", []string{"-listen", "127.0.0.1:0"}, "give at least one -f PATH"},
		{"gateway name without namespace", []string{"-f", "x.yaml", "-gateway", "ingress"}, "want namespace/name or mesh"},
		{"missing file", []string{"-f", "/nonexistent/x.yaml"}, "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}
