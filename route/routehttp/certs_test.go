package routehttp

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/url"
	"testing"

	"github.com/meshroute/meshroute/internal/testpki"
)

// testPKI is a CA with a server and a client certificate, written to
// files as a Gateway's tls settings name them.
type testPKI struct {
	dir                   string
	caFile                string
	serverCert, serverKey string
	client                tls.Certificate
	pool                  *x509.CertPool
}

func newTestPKI(t *testing.T, serverNames ...string) *testPKI {
	t.Helper()
	dir := t.TempDir()
	ca := testpki.NewCA(t, "test CA")
	p := &testPKI{dir: dir, pool: ca.Pool()}
	p.caFile = testpki.WritePEM(t, dir, "ca.pem", "CERTIFICATE", ca.Cert.Raw)

	issue := func(serial int64, dns []string, uris []*url.URL, usage x509.ExtKeyUsage) (*ecdsa.PrivateKey, []byte) {
		return ca.Issue(t, &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "leaf"},
			DNSNames: dns, URIs: uris, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
			ExtKeyUsage: []x509.ExtKeyUsage{usage},
		})
	}
	sKey, sDER := issue(2, serverNames, nil, x509.ExtKeyUsageServerAuth)
	p.serverCert = testpki.WritePEM(t, dir, "server.pem", "CERTIFICATE", sDER)
	p.serverKey = testpki.WriteKey(t, dir, "server-key.pem", sKey)

	spiffe, _ := url.Parse("spiffe://cluster.local/ns/frontend/sa/web")
	cKey, cDER := issue(3, nil, []*url.URL{spiffe}, x509.ExtKeyUsageClientAuth)
	p.client = tls.Certificate{Certificate: [][]byte{cDER}, PrivateKey: cKey}
	return p
}
