package policy

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/internal/testpki"
)

// pki is a throw-away CA with a server and a client certificate, written
// as PEM files in a test directory.
type pki struct {
	dir                   string
	caFile, otherCAFile   string
	clientCert, clientKey string
	serverTLS             tls.Certificate
	caPool                *x509.CertPool
	serverSerial          *big.Int
	caCert                *x509.Certificate
	caKey                 *ecdsa.PrivateKey
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	p := &pki{dir: t.TempDir()}
	ca := testpki.NewCA(t, "test CA")
	p.caCert, p.caKey = ca.Cert, ca.Key
	p.caFile = testpki.WritePEM(t, p.dir, "ca.pem", "CERTIFICATE", ca.Cert.Raw)
	other := testpki.NewCA(t, "other CA")
	p.otherCAFile = testpki.WritePEM(t, p.dir, "other.pem", "CERTIFICATE", other.Cert.Raw)
	p.caPool = ca.Pool()

	spiffe, _ := url.Parse("spiffe://cluster.local/ns/default/sa/server")
	srvKey, srvDER := ca.Issue(t, &x509.Certificate{
		SerialNumber: big.NewInt(1001), Subject: pkix.Name{CommonName: "server"},
		DNSNames: []string{"server.test", "*.wild.test"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, URIs: []*url.URL{spiffe},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	p.serverSerial = big.NewInt(1001)
	p.serverTLS = tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}

	cliKey, cliDER := ca.Issue(t, &x509.Certificate{
		SerialNumber: big.NewInt(2002), Subject: pkix.Name{CommonName: "client"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	p.clientCert = testpki.WritePEM(t, p.dir, "client.pem", "CERTIFICATE", cliDER)
	p.clientKey = testpki.WriteKey(t, p.dir, "client-key.pem", cliKey)
	return p
}

// tlsServer starts a TLS server with the PKI's server certificate,
// requiring a client certificate when mutual is set.
func tlsServer(t *testing.T, p *pki, mutual bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) > 0 {
			w.Header().Set("X-Client", r.TLS.PeerCertificates[0].Subject.CommonName)
		}
		w.Header().Set("X-SNI", r.TLS.ServerName)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{p.serverTLS}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if mutual {
		srv.TLS.ClientAuth = tls.RequireAndVerifyClientCert
		srv.TLS.ClientCAs = p.caPool
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func TestClientTLSAgainstServer(t *testing.T) {
	p := newPKI(t)
	crlDER, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: time.Now().Add(-time.Minute), NextUpdate: time.Now().Add(time.Hour),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: p.serverSerial, RevocationTime: time.Now()}},
	}, p.caCert, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	crlFile := testpki.WritePEM(t, p.dir, "ca.crl", "X509 CRL", crlDER)
	simple := networking.ClientTLSSettings_SIMPLE
	mutual := networking.ClientTLSSettings_MUTUAL
	tests := []struct {
		name       string
		s          *networking.ClientTLSSettings
		mutualSrv  bool
		wantErr    string // substring of the request error; "" = success
		wantClient string
		wantSNI    string
	}{
		{"SIMPLE verifies the server against caCertificates", &networking.ClientTLSSettings{Mode: simple, CaCertificates: p.caFile}, false, "", "", "server.test"},
		{"SIMPLE with another CA fails verification", &networking.ClientTLSSettings{Mode: simple, CaCertificates: p.otherCAFile}, false, "certificate signed by unknown authority", "", ""},
		{"sni is sent and verified against the certificate", &networking.ClientTLSSettings{Mode: simple, CaCertificates: p.caFile, Sni: "a.wild.test"}, false, "", "", "a.wild.test"},
		{"an sni the certificate does not cover fails", &networking.ClientTLSSettings{Mode: simple, CaCertificates: p.caFile, Sni: "other.test"}, false, "not other.test", "", ""},
		{"subjectAltNames match a URI SAN (SPIFFE ID) instead of the host name", &networking.ClientTLSSettings{Mode: simple, CaCertificates: p.caFile, Sni: "other.test",
			SubjectAltNames: []string{"spiffe://cluster.local/ns/default/sa/server"}}, false, "", "", "other.test"},
		{"subjectAltNames match a DNS SAN through its wildcard", &networking.ClientTLSSettings{Mode: simple, CaCertificates: p.caFile, SubjectAltNames: []string{"x.wild.test"}}, false, "", "", "server.test"},
		{"subjectAltNames that match nothing fail", &networking.ClientTLSSettings{Mode: simple, CaCertificates: p.caFile, SubjectAltNames: []string{"spiffe://cluster.local/ns/default/sa/other"}}, false, "match none of subjectAltNames", "", ""},
		{"subjectAltNames still require a trusted chain", &networking.ClientTLSSettings{Mode: simple, CaCertificates: p.otherCAFile, SubjectAltNames: []string{"server.test"}}, false, "unknown authority", "", ""},
		{"insecureSkipVerify trusts any server", &networking.ClientTLSSettings{Mode: simple, InsecureSkipVerify: wrapperspb.Bool(true)}, false, "", "", "server.test"},
		{"MUTUAL presents the client certificate", &networking.ClientTLSSettings{Mode: mutual, CaCertificates: p.caFile, ClientCertificate: p.clientCert, PrivateKey: p.clientKey}, true, "", "client", "server.test"},
		{"SIMPLE against a server requiring client certificates fails", &networking.ClientTLSSettings{Mode: simple, CaCertificates: p.caFile}, true, "certificate required", "", ""},
		{"caCrl refuses a revoked server certificate", &networking.ClientTLSSettings{Mode: simple, CaCertificates: p.caFile, CaCrl: crlFile}, false, "is revoked by tls.caCrl", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := tlsServer(t, p, tc.mutualSrv)
			cfg, err := ClientTLS(tc.s, "server.test")
			if err != nil {
				t.Fatalf("ClientTLS: %v", err)
			}
			client := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
			resp, err := client.Get(srv.URL)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("request failed: %v", err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("X-Client"); got != tc.wantClient {
				t.Errorf("client certificate seen by server = %q, want %q", got, tc.wantClient)
			}
			if got := resp.Header.Get("X-SNI"); got != tc.wantSNI {
				t.Errorf("SNI = %q, want %q", got, tc.wantSNI)
			}
		})
	}
}

func TestClientTLSConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		s    *networking.ClientTLSSettings
		want string
	}{
		{"ISTIO_MUTUAL is rejected with what to use instead", &networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_ISTIO_MUTUAL},
			"tls.mode ISTIO_MUTUAL needs Istio-issued workload certificates, which meshroute does not have: use mode MUTUAL with clientCertificate, privateKey and caCertificates files, or DISABLE for plaintext"},
		{"MUTUAL without key files", &networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_MUTUAL},
			"tls.mode MUTUAL needs clientCertificate and privateKey (PEM file paths)"},
		{"credentialName cannot be read", &networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_SIMPLE, CredentialName: "db-certs"},
			`tls.credentialName "db-certs" refers to a Kubernetes secret, which meshroute cannot read: use clientCertificate, privateKey and caCertificates files instead`},
		{"insecureSkipVerify with caCertificates", &networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_SIMPLE, InsecureSkipVerify: wrapperspb.Bool(true), CaCertificates: "/ca.pem"},
			"tls.insecureSkipVerify cannot be combined with caCertificates or subjectAltNames: verification is skipped entirely"},
		{"missing CA file", &networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_SIMPLE, CaCertificates: "/nonexistent/ca.pem"},
			"tls.caCertificates: open /nonexistent/ca.pem: no such file or directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ClientTLS(tc.s, "h")
			if err == nil || err.Error() != tc.want || cfg != nil {
				t.Errorf("ClientTLS = %v, %v\nwant error %s", cfg, err, tc.want)
			}
		})
	}
}

func TestClientTLSPlaintext(t *testing.T) {
	for name, s := range map[string]*networking.ClientTLSSettings{
		"no tls block is plaintext": nil,
		"DISABLE is plaintext":      {Mode: networking.ClientTLSSettings_DISABLE},
	} {
		t.Run(name, func(t *testing.T) {
			if cfg, err := ClientTLS(s, "h"); cfg != nil || err != nil {
				t.Errorf("ClientTLS = %v, %v; want nil, nil", cfg, err)
			}
		})
	}
	t.Run("wildcard host gives no default SNI", func(t *testing.T) {
		cfg, _ := ClientTLS(&networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_SIMPLE}, "*.example.com")
		if cfg.ServerName != "" {
			t.Errorf("ServerName = %q, want empty", cfg.ServerName)
		}
	})
}
