package route

import (
	"path"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/internal/host"
)

// gateway applies Istio's Gateway rules (gateway.md).
func (v *validator) gateway(gw *Gateway) {
	v.object(&gw.Meta, KindGateway)
	v.metaName(&gw.Meta, KindGateway)
	s := gw.Spec
	if s == nil {
		v.errf("spec-required", field("spec"), "", "is required")
		return
	}
	if len(s.Servers) == 0 {
		v.errf("servers-required", field("spec.servers"), "", "needs at least one server")
	}
	portNames := map[string]int{}
	for i, srv := range s.Servers {
		f := fieldAt("spec.servers", i)
		if srv == nil {
			v.errf("null", f, "", "must not be null")
			continue
		}
		v.server(f, srv)
		if srv.Port == nil {
			continue
		}
		if j, dup := portNames[srv.Port.Name]; dup {
			v.errf("port-duplicate", f.dot(".port.name"), q(srv.Port.Name), "is already the port name of spec.servers[%d]; port names must be unique in a Gateway", j)
		} else {
			portNames[srv.Port.Name] = i
		}
		if !httpProtocols[protocolOf(srv.Port.Protocol)] && srv.GetTls().GetHttpsRedirect() {
			v.warnf("https-redirect", f.dot(".tls.httpsRedirect"), "true", "only has an effect on HTTP servers")
		}
	}
}

// server checks one Gateway server.
func (v *validator) server(f fieldPath, s *networking.Server) {
	if len(s.Hosts) == 0 {
		v.errf("host-required", f.dot(".hosts"), "", "needs at least one host")
	}
	for i, h := range s.Hosts {
		v.serverHost(f.at(".hosts", i), h)
	}
	portOK := true
	if p := s.Port; p == nil {
		v.errf("port", f.dot(".port"), "", "is required")
		portOK = false
	} else {
		if !knownProtocols[protocolOf(p.Protocol)] {
			v.errf("protocol", f.dot(".port.protocol"), q(p.Protocol), "is not a protocol Istio knows (HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, TLS, TCP, MONGO, REDIS, MYSQL)")
			portOK = false
		}
		if p.Number > 0 || !strings.HasPrefix(s.Bind, "unix://") {
			if p.Number < 1 || p.Number > 65535 {
				v.errf("port", f.dot(".port.number"), num(p.Number), "is out of range [1, 65535]")
				portOK = false
			}
		}
		//lint:ignore SA1019 validation rejects the deprecated field on Gateways
		if tp := p.TargetPort; tp > 0 {
			v.errf("port", f.dot(".port.targetPort"), num(tp), "has no effect on Gateways; remove it")
			portOK = false
		}
		if p.Name == "" {
			v.errf("port", f.dot(".port.name"), "", "is required")
			portOK = false
		}
	}
	if sock, ok := strings.CutPrefix(s.Bind, "unix://"); ok {
		if sock == "" || !strings.HasPrefix(sock, "@") && (!path.IsAbs(sock) || strings.HasSuffix(sock, "/")) {
			v.errf("bind", f.dot(".bind"), q(s.Bind), "is not an absolute unix socket path")
		}
		if s.Port != nil && s.Port.Number != 0 {
			v.errf("bind", f.dot(".port.number"), num(s.Port.Number), "must be 0 when binding a unix socket")
		}
	} else if s.Bind != "" && !host.IsIP(s.Bind) {
		v.errf("bind", f.dot(".bind"), q(s.Bind), "is not an IP address")
	}
	v.serverTLS(f.dot(".tls"), s.Tls)
	if portOK {
		proto := protocolOf(s.Port.Protocol)
		switch {
		case tlsProtocols[proto] && s.Tls == nil:
			v.errf("server-tls", f.dot(".tls"), "", "is required for %s servers", proto)
		case !tlsProtocols[proto] && s.Tls != nil && httpProtocols[proto]:
			t := s.Tls
			if t.Mode != networking.ServerTLSSettings_PASSTHROUGH || t.CaCertificates != "" || t.PrivateKey != "" || t.ServerCertificate != "" {
				v.errf("server-tls", f.dot(".tls"), "", "on a plain-text %s server may only set httpsRedirect", proto)
			}
		case !tlsProtocols[proto] && s.Tls != nil:
			v.errf("server-tls", f.dot(".tls"), "", "is not allowed on %s servers (only HTTPS and TLS)", proto)
		}
	}
}

// serverHost checks a server host: [namespace/]dnsName, where namespace
// is "*", "." or a name and dnsName a FQDN, "*" or "*.domain", or an IP.
func (v *validator) serverHost(f fieldPath, h string) {
	ns, name, slash := strings.Cut(h, "/")
	if !slash {
		name = h
	} else {
		if ns == "" || name == "" {
			v.errf("server-host", f, q(h), `must be "namespace/dnsName" with both parts set`)
			return
		}
		if ns != "*" && ns != "." && !host.IsDNS1123Label(ns) {
			v.errf("server-host", f, q(h), "has an invalid namespace %q", ns)
		}
	}
	if name != "*" && !strings.Contains(name, ".") {
		v.errf("server-host", f, q(h), `uses a short name; Gateway hosts must be fully qualified (e.g. "%s.example.com")`, name)
	}
	if err := host.ValidateWildcardDomain(name); err != nil && !host.IsIP(name) {
		v.errf("server-host", f, q(h), "%v", err)
	}
	if strings.Contains(name, "*") && name != "*" && !strings.HasPrefix(name, "*.") {
		v.errf("server-host", f, q(h), `is a partial wildcard, which Gateways do not allow; write "*.%s"`, strings.TrimLeft(strings.TrimPrefix(name, "*"), "-."))
	}
}

// serverTLS checks ServerTLSSettings.
func (v *validator) serverTLS(f fieldPath, t *networking.ServerTLSSettings) {
	if t == nil {
		return
	}
	if (t.MinProtocolVersion == networking.ServerTLSSettings_TLSV1_0 || t.MinProtocolVersion == networking.ServerTLSSettings_TLSV1_1) && len(t.CipherSuites) == 0 {
		v.warnf("tls-version", f.dot(".minProtocolVersion"), t.MinProtocolVersion.String(), "needs cipherSuites: the default ciphers no longer include ones for TLS below 1.2")
	}
	seen := map[string]bool{}
	for i, c := range t.CipherSuites {
		switch {
		case !isValidCipherSuite(c):
			v.warnf("tls-cipher", f.at(".cipherSuites", i), q(c), "is not a cipher suite Envoy knows, so it is ignored")
		case seen[c]:
			v.warnf("tls-cipher", f.at(".cipherSuites", i), q(c), "is listed twice and ignored")
		}
		seen[c] = true
	}
	if t.Mode == networking.ServerTLSSettings_ISTIO_MUTUAL {
		for _, x := range []struct {
			set  bool
			name string
		}{
			{t.ServerCertificate != "", "serverCertificate"}, {t.PrivateKey != "", "privateKey"},
			{t.CaCertificates != "", "caCertificates"}, {len(t.TlsCertificates) > 0, "tlsCertificates"},
			{t.CredentialName != "", "credentialName"}, {len(t.CredentialNames) > 0, "credentialNames"},
		} {
			if x.set {
				v.errf("server-tls", f.dot("."+x.name), "", "cannot be set with mode ISTIO_MUTUAL, which uses Istio's certificates")
			}
		}
		return
	}
	if t.Mode == networking.ServerTLSSettings_PASSTHROUGH || t.Mode == networking.ServerTLSSettings_AUTO_PASSTHROUGH {
		if t.CaCrl != "" || t.ServerCertificate != "" || t.PrivateKey != "" || t.CaCertificates != "" ||
			len(t.TlsCertificates) > 0 || t.CredentialName != "" || len(t.CredentialNames) > 0 {
			v.warnf("server-tls", f, "", "mode %s does not terminate TLS, so its certificates are ignored", t.Mode)
		}
	}
	sources := 0
	if t.ServerCertificate != "" && t.PrivateKey != "" {
		sources++
	}
	if t.CredentialName != "" {
		sources++
	}
	if len(t.CredentialNames) > 0 {
		sources++
	}
	if len(t.TlsCertificates) > 0 {
		sources++
	}
	if sources > 1 {
		v.errf("server-tls", f, "", "sets more than one of credentialName, credentialNames, serverCertificate/privateKey and tlsCertificates")
	}
	terminating := t.Mode == networking.ServerTLSSettings_SIMPLE || t.Mode == networking.ServerTLSSettings_MUTUAL ||
		t.Mode == networking.ServerTLSSettings_OPTIONAL_MUTUAL
	if terminating && (t.CredentialName != "" || len(t.CredentialNames) > 0) {
		return // certificates come from the secret
	}
	if terminating {
		mode := "SIMPLE"
		if t.Mode != networking.ServerTLSSettings_SIMPLE {
			mode = t.Mode.String()
			if t.CaCertificates == "" {
				v.errf("server-tls", f.dot(".caCertificates"), "", "is required for %s TLS (or set credentialName)", mode)
			}
		}
		if len(t.TlsCertificates) > 2 {
			v.warnf("server-tls", f.dot(".tlsCertificates"), "", "has %d certificates; at most 2 are used", len(t.TlsCertificates))
		}
		certs := t.TlsCertificates
		if len(certs) == 0 {
			certs = []*networking.ServerTLSSettings_TLSCertificate{{ServerCertificate: t.ServerCertificate, PrivateKey: t.PrivateKey}}
		}
		for _, c := range certs {
			if c.ServerCertificate == "" {
				v.errf("server-tls", f.dot(".serverCertificate"), "", "is required for %s TLS (or set credentialName)", mode)
			}
			if c.PrivateKey == "" {
				v.errf("server-tls", f.dot(".privateKey"), "", "is required for %s TLS (or set credentialName)", mode)
			}
		}
	}
	if t.CaCrl != "" {
		if t.CredentialName != "" {
			v.errf("server-tls", f.dot(".caCrl"), "", "cannot be used with credentialName; put the CRL in the credential")
		}
		if t.Mode == networking.ServerTLSSettings_SIMPLE {
			v.errf("server-tls", f.dot(".caCrl"), "", "is not supported with SIMPLE TLS (no client certificates)")
		}
	}
}

// cipherSuites are the cipher suite names Istio accepts on Gateways.
var cipherSuites = map[string]bool{
	"ECDHE-ECDSA-AES128-GCM-SHA256": true, "ECDHE-RSA-AES128-GCM-SHA256": true,
	"ECDHE-ECDSA-AES256-GCM-SHA384": true, "ECDHE-RSA-AES256-GCM-SHA384": true,
	"ECDHE-ECDSA-CHACHA20-POLY1305": true, "ECDHE-RSA-CHACHA20-POLY1305": true,
	"ECDHE-ECDSA-AES128-SHA": true, "ECDHE-RSA-AES128-SHA": true, "ECDHE-ECDSA-AES256-SHA": true,
	"ECDHE-RSA-AES256-SHA": true, "AES128-GCM-SHA256": true, "AES256-GCM-SHA384": true,
	"AES128-SHA": true, "AES256-SHA": true, "DES-CBC3-SHA": true,
}

// isValidCipherSuite reports whether Istio accepts a cipher suite entry:
// a known name, "ALL", or an expression starting with an operator ("-",
// "+", "!", "[") that Istio passes through unchecked.
func isValidCipherSuite(c string) bool {
	if c == "" || c == "ALL" || cipherSuites[c] {
		return true
	}
	first := c[0]
	return !(first >= 'a' && first <= 'z' || first >= 'A' && first <= 'Z' || first >= '0' && first <= '9')
}
