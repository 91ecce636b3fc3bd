package testpki

import (
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIssuedLeafVerifiesAgainstItsCAOnly(t *testing.T) {
	ca, other := NewCA(t, "test CA"), NewCA(t, "other CA")
	_, der := ca.Issue(t, &x509.Certificate{
		SerialNumber: big.NewInt(2), DNSNames: []string{"server.test"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	verify := func(ca *CA) bool {
		_, err := leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: "server.test"})
		return err == nil
	}
	got := []bool{verify(ca), verify(other), leaf.KeyUsage == x509.KeyUsageDigitalSignature}
	if diff := cmp.Diff([]bool{true, false, true}, got); diff != "" {
		t.Errorf("verifies with its CA, with another CA, default key usage (-want +got):\n%s", diff)
	}
}

func TestWrittenFilesLoadAsAKeyPair(t *testing.T) {
	dir := t.TempDir()
	key, cert := SelfSigned(t, &x509.Certificate{SerialNumber: big.NewInt(7), DNSNames: []string{"a.test"}})
	pair, err := tls.LoadX509KeyPair(WritePEM(t, dir, "cert.pem", "CERTIFICATE", cert.Raw), WriteKey(t, dir, "key.pem", key))
	if err != nil {
		t.Fatalf("written certificate and key do not load as a pair: %v", err)
	}
	if diff := cmp.Diff(cert.Raw, pair.Certificate[0]); diff != "" {
		t.Errorf("loaded certificate (-want +got):\n%s", diff)
	}
}
