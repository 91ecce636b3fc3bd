// Package testpki issues throw-away certificates for tests: a self-signed
// CA, leaves it signs, and PEM files a configuration can name. Keys are
// ECDSA P-256; certificates are valid from an hour ago to an hour from now.
//
// It is for tests only: every function fails the test on an error.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CA is a certificate authority whose certificate and key sign leaves.
type CA struct {
	Cert *x509.Certificate // the CA's self-signed certificate
	Key  *ecdsa.PrivateKey // the key that signs leaves
}

// NewCA returns a self-signed CA named cn (serial 1).
func NewCA(t testing.TB, cn string) *CA {
	t.Helper()
	key, cert := SelfSigned(t, &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	})
	return &CA{Cert: cert, Key: key}
}

// Pool returns a certificate pool that trusts ca.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Issue signs a leaf certificate from tmpl with a new key and returns the
// key and the certificate's DER bytes. An unset validity becomes an hour
// either side of now; an unset KeyUsage becomes DigitalSignature.
func (ca *CA) Issue(t testing.TB, tmpl *x509.Certificate) (*ecdsa.PrivateKey, []byte) {
	t.Helper()
	key := newKey(t)
	defaults(tmpl)
	if tmpl.KeyUsage == 0 {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		t.Fatalf("testpki: issue %q: %v", tmpl.Subject.CommonName, err)
	}
	return key, der
}

// SelfSigned signs tmpl with a new key of its own and returns the key and
// the parsed certificate. An unset validity becomes an hour either side of
// now.
func SelfSigned(t testing.TB, tmpl *x509.Certificate) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key := newKey(t)
	defaults(tmpl)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("testpki: self-sign %q: %v", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("testpki: %v", err)
	}
	return key, cert
}

// WritePEM writes der as one PEM block of type typ ("CERTIFICATE") to
// dir/name and returns the file's path.
func WritePEM(t testing.TB, dir, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatalf("testpki: %v", err)
	}
	return path
}

// WriteKey writes key as an "EC PRIVATE KEY" PEM file dir/name and returns
// the file's path.
func WriteKey(t testing.TB, dir, name string, key *ecdsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatalf("testpki: %v", err)
	}
	return WritePEM(t, dir, name, "EC PRIVATE KEY", der)
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("testpki: %v", err)
	}
	return key
}

func defaults(tmpl *x509.Certificate) {
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = time.Now().Add(-time.Hour)
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = time.Now().Add(time.Hour)
	}
}
