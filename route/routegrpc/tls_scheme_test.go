package routegrpc

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/meshroute/meshroute/internal/testpki"
	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
	"github.com/meshroute/meshroute/route/routetest"
)

// TestWithTLSDecidesCallsAsHTTPS checks that calls WithTLS marks as TLS
// are decided as https requests: on a ServiceEntry port declared HTTPS,
// by the VirtualService's tls rules (SNI), where plaintext calls there are
// opaque TCP to the service.
func TestWithTLSDecidesCallsAsHTTPS(t *testing.T) {
	tbl := routetest.LoadYAML(t, `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api, namespace: default}
spec:
  hosts: [api.example.test]
  ports: [{number: 443, name: https, protocol: HTTPS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: default}
spec:
  hosts: [api.example.test]
  tls:
  - match: [{port: 443, sniHosts: [api.example.test]}]
    route: [{destination: {host: api-mirror.example.test, port: {number: 443}}}]
`)
	type got struct {
		Scheme  string
		Host    string
		Section route.RuleSection
		Default bool
	}
	tests := []struct {
		name string
		opts []Option
		want got
	}{
		{"WithTLS: the tls rule routes the call", []Option{WithTLS()}, got{"https", "api-mirror.example.test", route.SectionTLS, false}},
		{"plaintext: opaque TCP to the service itself", nil, got{"http", "api.example.test", route.SectionHTTP, true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(tbl, append(tc.opts, WithAuthority("api.example.test:443")))
			d, req, _ := c.prepare(context.Background(), "/pkg.Service/Method", nil)
			g := got{req.Scheme, d.Destination.Host, d.Rule.Section, d.DefaultRoute}
			if diff := cmp.Diff(tc.want, g); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestServerDecidesTLSCallsAsHTTPS checks that the server interceptors
// tell a call received over TLS from the peer and decide it as https.
func TestServerDecidesTLSCallsAsHTTPS(t *testing.T) {
	ca := testpki.NewCA(t, "test CA")
	key, der := ca.Issue(t, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "api.example.test"},
		DNSNames: []string{"api.example.test"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	serverTLS := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})
	clientTLS := credentials.NewTLS(&tls.Config{RootCAs: ca.Pool(), ServerName: "api.example.test"})
	tbl := routetest.LoadYAML(t, "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: api, namespace: default}\nspec:\n  hosts: [api.example.test]\n  ports: [{number: 443, name: https, protocol: HTTPS}]\n  resolution: DNS\n")
	tests := []struct {
		name         string
		server, call credentials.TransportCredentials
		want         string
	}{
		{"a call over TLS is https", serverTLS, clientTLS, "https"},
		{"a plaintext call is http", insecure.NewCredentials(), insecure.NewCredentials(), "http"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			schemes := make(chan string, 1)
			identity := WithIdentity(func(_ context.Context, req *match.Request) {
				select {
				case schemes <- req.Scheme:
				default:
				}
			})
			b := serve(t, &backend{name: "v1"}, grpc.Creds(tc.server), grpc.UnaryInterceptor(UnaryServerInterceptor(tbl, identity)))
			cc, err := grpc.NewClient(b.addr, grpc.WithTransportCredentials(tc.call))
			if err != nil {
				t.Fatal(err)
			}
			defer cc.Close()
			_, _ = testpb.NewTestServiceClient(cc).UnaryCall(context.Background(), &testpb.SimpleRequest{})
			select {
			case got := <-schemes:
				if got != tc.want {
					t.Errorf("scheme %q, want %q", got, tc.want)
				}
			default:
				t.Fatal("the call reached no server interceptor")
			}
		})
	}
}
