package routehttp

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
)

// TLSConfig returns the *tls.Config that terminates TLS for the Gateway's
// HTTPS servers, loaded from the certificate files they name
// (serverCertificate, privateKey, caCertificates): SIMPLE serves the
// certificate, MUTUAL also requires and verifies a client certificate
// signed by caCertificates, OPTIONAL_MUTUAL verifies one when sent. With
// several HTTPS servers the certificate is chosen by SNI against each
// server's hosts. minProtocolVersion and maxProtocolVersion are honoured.
//
// Certificates are read when TLSConfig is called; call it again after
// reloading configuration that changes them. Kubernetes secrets
// (credentialName) and ISTIO_MUTUAL need a control plane and are refused
// with an error that says so.
func (g *Gateway) TLSConfig() (*tls.Config, error) {
	st := g.stateFor(g.src.Table())
	if !st.defined {
		return nil, fmt.Errorf("routehttp: gateway %s is not in the configuration", g.name)
	}
	type terminated struct {
		hosts []string
		cfg   *tls.Config
	}
	var servers []terminated
	for i := range st.servers {
		s := &st.servers[i]
		if !s.https {
			continue
		}
		cfg, err := serverTLS(s.tls)
		if err != nil {
			return nil, fmt.Errorf("routehttp: gateway %s server %q (port %d): %w", g.name, s.name, s.port, err)
		}
		servers = append(servers, terminated{hosts: s.hosts, cfg: cfg})
	}
	if len(servers) == 0 {
		return nil, fmt.Errorf("routehttp: gateway %s has no HTTPS server", g.name)
	}
	if len(servers) == 1 {
		return servers[0].cfg, nil
	}
	base := servers[0].cfg.Clone()
	base.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		sni := strings.ToLower(hello.ServerName)
		for _, s := range servers {
			for _, h := range s.hosts {
				if hostAccepts(h, sni) {
					return s.cfg, nil
				}
			}
		}
		return servers[0].cfg, nil
	}
	return base, nil
}

// serverTLS builds the TLS configuration of one HTTPS server.
func serverTLS(t *networking.ServerTLSSettings) (*tls.Config, error) {
	mode := t.GetMode()
	switch mode {
	case networking.ServerTLSSettings_SIMPLE, networking.ServerTLSSettings_MUTUAL, networking.ServerTLSSettings_OPTIONAL_MUTUAL:
	case networking.ServerTLSSettings_ISTIO_MUTUAL:
		return nil, errors.New("tls.mode ISTIO_MUTUAL needs Istio-issued workload certificates; use MUTUAL with certificate files")
	default:
		return nil, fmt.Errorf("tls.mode %s does not terminate TLS, so HTTP routes cannot apply", mode)
	}
	if t.GetCredentialName() != "" || len(t.GetCredentialNames()) > 0 {
		return nil, errors.New("tls.credentialName refers to a Kubernetes secret; give serverCertificate and privateKey file paths instead")
	}
	if t.GetServerCertificate() == "" || t.GetPrivateKey() == "" {
		return nil, errors.New("tls.serverCertificate and tls.privateKey are required for mode " + mode.String())
	}
	cert, err := tls.LoadX509KeyPair(t.GetServerCertificate(), t.GetPrivateKey())
	if err != nil {
		return nil, fmt.Errorf("loading tls.serverCertificate/privateKey: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if v, ok := tlsVersion(t.GetMinProtocolVersion()); ok {
		cfg.MinVersion = v
	}
	if v, ok := tlsVersion(t.GetMaxProtocolVersion()); ok {
		cfg.MaxVersion = v
	}
	if mode == networking.ServerTLSSettings_SIMPLE {
		return cfg, nil
	}
	if t.GetCaCertificates() == "" {
		return nil, errors.New("tls.caCertificates is required for mode " + mode.String())
	}
	pem, err := os.ReadFile(t.GetCaCertificates())
	if err != nil {
		return nil, fmt.Errorf("reading tls.caCertificates: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("tls.caCertificates %s holds no PEM certificate", t.GetCaCertificates())
	}
	cfg.ClientCAs = pool
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	if mode == networking.ServerTLSSettings_OPTIONAL_MUTUAL {
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return cfg, nil
}

// tlsVersion maps Istio's protocol version to crypto/tls's.
func tlsVersion(p networking.ServerTLSSettings_TLSProtocol) (uint16, bool) {
	switch p {
	case networking.ServerTLSSettings_TLSV1_0:
		return tls.VersionTLS10, true
	case networking.ServerTLSSettings_TLSV1_1:
		return tls.VersionTLS11, true
	case networking.ServerTLSSettings_TLSV1_2:
		return tls.VersionTLS12, true
	case networking.ServerTLSSettings_TLSV1_3:
		return tls.VersionTLS13, true
	}
	return 0, false
}
