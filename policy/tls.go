package policy

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
)

// ClientTLS builds the *tls.Config for connections to an upstream from a
// DestinationRule's tls block. sniDefault is the server name used when
// s.sni is empty (usually the destination host; Envoy's auto-SNI).
//
//   - nil or DISABLE: nil (plaintext).
//   - SIMPLE: TLS verifying the server against caCertificates (a PEM file;
//     the system roots when empty).
//   - MUTUAL: as SIMPLE, presenting clientCertificate/privateKey (PEM files).
//   - subjectAltNames: the server certificate must carry one of them (DNS,
//     IP or URI SAN, e.g. a SPIFFE ID); they replace host-name
//     verification, as in Envoy.
//   - insecureSkipVerify: no verification at all; caCertificates and
//     subjectAltNames are then rejected, as Istio does.
//   - caCrl: certificates whose serial the CRL lists are refused.
//   - ISTIO_MUTUAL and credentialName: rejected with an explanation, as
//     they need Istio's certificate machinery.
func ClientTLS(s *networking.ClientTLSSettings, sniDefault string) (*tls.Config, error) {
	if s == nil {
		return nil, nil
	}
	switch s.Mode {
	case networking.ClientTLSSettings_DISABLE:
		return nil, nil
	case networking.ClientTLSSettings_ISTIO_MUTUAL:
		return nil, errors.New("tls.mode ISTIO_MUTUAL needs Istio-issued workload certificates, which meshroute does not have: " +
			"use mode MUTUAL with clientCertificate, privateKey and caCertificates files, or DISABLE for plaintext")
	case networking.ClientTLSSettings_SIMPLE, networking.ClientTLSSettings_MUTUAL:
	default:
		return nil, fmt.Errorf("tls.mode %v is not supported", s.Mode)
	}
	if s.CredentialName != "" {
		return nil, fmt.Errorf("tls.credentialName %q refers to a Kubernetes secret, which meshroute cannot read: "+
			"use clientCertificate, privateKey and caCertificates files instead", s.CredentialName)
	}
	skip := s.InsecureSkipVerify.GetValue()
	if skip && (s.CaCertificates != "" || len(s.SubjectAltNames) > 0) {
		return nil, errors.New("tls.insecureSkipVerify cannot be combined with caCertificates or subjectAltNames: verification is skipped entirely")
	}
	sni := s.Sni
	if sni == "" && !strings.HasPrefix(sniDefault, "*") {
		sni = sniDefault
	}
	cfg := &tls.Config{ServerName: sni, MinVersion: tls.VersionTLS12, InsecureSkipVerify: skip}
	if s.Mode == networking.ClientTLSSettings_MUTUAL {
		if s.ClientCertificate == "" || s.PrivateKey == "" {
			return nil, errors.New("tls.mode MUTUAL needs clientCertificate and privateKey (PEM file paths)")
		}
		cert, err := tls.LoadX509KeyPair(s.ClientCertificate, s.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("tls.clientCertificate/privateKey: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if s.CaCertificates != "" {
		pemBytes, err := os.ReadFile(s.CaCertificates)
		if err != nil {
			return nil, fmt.Errorf("tls.caCertificates: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, fmt.Errorf("tls.caCertificates %s: no PEM certificate found", s.CaCertificates)
		}
		cfg.RootCAs = pool
	}
	var crl *x509.RevocationList
	if s.CaCrl != "" {
		var err error
		if crl, err = loadCRL(s.CaCrl); err != nil {
			return nil, err
		}
	}
	if skip || (len(s.SubjectAltNames) == 0 && crl == nil) {
		return cfg, nil
	}
	// Verify ourselves: the chain against the roots, then SANs instead of
	// the host name when they are given, then the CRL.
	sans := s.SubjectAltNames
	roots := cfg.RootCAs
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("upstream presented no certificate")
		}
		leaf := cs.PeerCertificates[0]
		opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
		for _, ic := range cs.PeerCertificates[1:] {
			opts.Intermediates.AddCert(ic)
		}
		if len(sans) == 0 {
			opts.DNSName = cs.ServerName
		}
		if _, err := leaf.Verify(opts); err != nil {
			return err
		}
		if len(sans) > 0 && !matchSAN(leaf, sans) {
			return fmt.Errorf("upstream certificate SANs %v match none of subjectAltNames %v", certSANs(leaf), sans)
		}
		if crl != nil {
			for _, c := range cs.PeerCertificates {
				for _, r := range crl.RevokedCertificateEntries {
					if r.SerialNumber.Cmp(c.SerialNumber) == 0 {
						return fmt.Errorf("upstream certificate %s (serial %s) is revoked by tls.caCrl", c.Subject, c.SerialNumber)
					}
				}
			}
		}
		return nil
	}
	return cfg, nil
}

func loadCRL(path string) (*x509.RevocationList, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tls.caCrl: %w", err)
	}
	if blk, _ := pem.Decode(b); blk != nil {
		b = blk.Bytes
	}
	crl, err := x509.ParseRevocationList(b)
	if err != nil {
		return nil, fmt.Errorf("tls.caCrl %s: %w", path, err)
	}
	return crl, nil
}

// matchSAN reports whether leaf carries one of want: an exact DNS, IP or
// URI SAN, or a DNS wildcard SAN ("*.example.com") covering a wanted name.
func matchSAN(leaf *x509.Certificate, want []string) bool {
	for _, w := range want {
		for _, d := range leaf.DNSNames {
			if strings.EqualFold(d, w) || wildcardCovers(d, w) {
				return true
			}
		}
		if ip := net.ParseIP(w); ip != nil {
			for _, a := range leaf.IPAddresses {
				if a.Equal(ip) {
					return true
				}
			}
		}
		for _, u := range leaf.URIs {
			if u.String() == w {
				return true
			}
		}
	}
	return false
}

func wildcardCovers(pattern, name string) bool {
	if !strings.HasPrefix(pattern, "*.") {
		return false
	}
	_, rest, ok := strings.Cut(name, ".")
	return ok && strings.EqualFold(rest, pattern[2:])
}

func certSANs(c *x509.Certificate) []string {
	out := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	for _, u := range c.URIs {
		out = append(out, u.String())
	}
	return out
}
