package match

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	networking "istio.io/api/networking/v1alpha3"
)

func conn(dst, sni string) Request {
	r := Request{SNI: sni, Port: 443}
	if dst != "" {
		r.DestinationIP = netip.MustParseAddr(dst)
	}
	return r
}

func TestL4Match(t *testing.T) {
	tests := []struct {
		name string
		m    *networking.L4MatchAttributes
		gw   []string
		req  Request
		want bool
	}{
		{"nil match matches every connection", nil, nil, conn("10.0.0.1", ""), true},
		{"subnet CIDR contains the destination", &networking.L4MatchAttributes{DestinationSubnets: []string{"10.0.0.0/8"}}, nil, conn("10.1.2.3", ""), true},
		{"subnet CIDR excludes other destinations", &networking.L4MatchAttributes{DestinationSubnets: []string{"10.0.0.0/8"}}, nil, conn("11.0.0.1", ""), false},
		{"a bare IP matches only itself", &networking.L4MatchAttributes{DestinationSubnets: []string{"10.0.0.1"}}, nil, conn("10.0.0.1", ""), true},
		{"a bare IP does not match its neighbour", &networking.L4MatchAttributes{DestinationSubnets: []string{"10.0.0.1"}}, nil, conn("10.0.0.2", ""), false},
		{"any listed subnet suffices", &networking.L4MatchAttributes{DestinationSubnets: []string{"192.168.0.0/16", "10.0.0.0/8"}}, nil, conn("10.0.0.9", ""), true},
		{"IPv6 CIDR", &networking.L4MatchAttributes{DestinationSubnets: []string{"2001:db8::/32"}}, nil, conn("2001:db8::1", ""), true},
		{"IPv4-mapped destination matches an IPv4 subnet", &networking.L4MatchAttributes{DestinationSubnets: []string{"10.0.0.0/8"}}, nil, conn("::ffff:10.0.0.1", ""), true},
		{"a non-canonical CIDR is masked", &networking.L4MatchAttributes{DestinationSubnets: []string{"10.1.2.3/8"}}, nil, conn("10.9.9.9", ""), true},
		{"subnets with unknown destination fail", &networking.L4MatchAttributes{DestinationSubnets: []string{"10.0.0.0/8"}}, nil, conn("", ""), false},
		{"port must equal the connection port", &networking.L4MatchAttributes{Port: 27017}, nil, conn("10.0.0.1", ""), false},
		{"port equal matches", &networking.L4MatchAttributes{Port: 443}, nil, conn("10.0.0.1", ""), true},
		{"sourceLabels subset", &networking.L4MatchAttributes{SourceLabels: map[string]string{"app": "a"}}, nil,
			with(conn("10.0.0.1", ""), func(r *Request) { r.SourceLabels = map[string]string{"app": "a", "v": "1"} }), true},
		{"sourceNamespace mismatch", &networking.L4MatchAttributes{SourceNamespace: "prod"}, nil, conn("10.0.0.1", ""), false},
		{"gateways must list the gateway", &networking.L4MatchAttributes{}, []string{"ns/gw"}, conn("10.0.0.1", ""), false},
		{"gateways set: sourceNamespace is not checked", &networking.L4MatchAttributes{SourceNamespace: "prod"}, []string{"mesh"}, conn("10.0.0.1", ""), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := CompileL4Match(tt.m, tt.gw)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Match(&tt.req); got != tt.want {
				_, why := m.Explain(&tt.req)
				t.Errorf("Match = %v, want %v (%s; %s)", got, tt.want, m, why)
			}
			if ok, why := m.Explain(&tt.req); ok != tt.want || ok != (why == "") {
				t.Errorf("Explain = %v %q, want %v", ok, why, tt.want)
			}
		})
	}
}

func TestTLSMatch(t *testing.T) {
	tls := func(hosts ...string) *networking.TLSMatchAttributes {
		return &networking.TLSMatchAttributes{SniHosts: hosts}
	}
	tests := []struct {
		name string
		m    *networking.TLSMatchAttributes
		req  Request
		want bool
	}{
		{"exact SNI", tls("login.example.com"), conn("", "login.example.com"), true},
		{"exact SNI is case-insensitive", tls("Login.Example.com"), conn("", "LOGIN.example.COM"), true},
		{"exact SNI does not match a subdomain", tls("example.com"), conn("", "a.example.com"), false},
		{"wildcard matches one label", tls("*.example.com"), conn("", "a.example.com"), true},
		{"wildcard matches several labels", tls("*.example.com"), conn("", "a.b.example.com"), true},
		{"wildcard never matches the bare domain", tls("*.example.com"), conn("", "example.com"), false},
		{"wildcard needs a dot boundary", tls("*.example.com"), conn("", "badexample.com"), false},
		{"wildcard is case-insensitive", tls("*.Example.com"), conn("", "A.EXAMPLE.COM"), true},
		{"*.com matches example.com", tls("*.com"), conn("", "example.com"), true},
		{"*.com does not match com", tls("*.com"), conn("", "com"), false},
		{"* matches any server name", tls("*"), conn("", "anything.io"), true},
		{"no SNI never matches, even *", tls("*"), conn("", ""), false},
		{"any listed host suffices", tls("a.com", "b.com"), conn("", "b.com"), true},
		{"SNI and subnet must both hold", &networking.TLSMatchAttributes{SniHosts: []string{"a.com"}, DestinationSubnets: []string{"10.0.0.0/8"}}, conn("11.0.0.1", "a.com"), false},
		{"SNI and subnet both holding match", &networking.TLSMatchAttributes{SniHosts: []string{"a.com"}, DestinationSubnets: []string{"10.0.0.0/8"}}, conn("10.0.0.1", "a.com"), true},
		{"TLS port must equal", &networking.TLSMatchAttributes{SniHosts: []string{"a.com"}, Port: 8443}, conn("", "a.com"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := CompileTLSMatch(tt.m, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Match(&tt.req); got != tt.want {
				t.Errorf("Match(sni %q) = %v, want %v (%s)", tt.req.SNI, got, tt.want, m)
			}
			if ok, why := m.Explain(&tt.req); ok != tt.want || ok != (why == "") {
				t.Errorf("Explain = %v %q, want %v", ok, why, tt.want)
			}
		})
	}
}

func TestL4CompileErrors(t *testing.T) {
	tests := []struct {
		name    string
		compile func() error
		want    string
	}{
		{"subnet that is not an IP", func() error {
			_, err := CompileL4Match(&networking.L4MatchAttributes{DestinationSubnets: []string{"ten"}}, nil)
			return err
		}, `destinationSubnets[0]: "ten" is neither an IP address nor a CIDR`},
		{"bad CIDR", func() error {
			_, err := CompileL4Match(&networking.L4MatchAttributes{DestinationSubnets: []string{"10.0.0.0/99"}}, nil)
			return err
		}, `destinationSubnets[0]: "10.0.0.0/99" is not a CIDR`},
		{"TLS match needs an SNI host", func() error {
			_, err := CompileTLSMatch(&networking.TLSMatchAttributes{}, nil)
			return err
		}, "sniHosts: at least one SNI host is required"},
		{"TLS empty SNI host", func() error {
			_, err := CompileTLSMatch(&networking.TLSMatchAttributes{SniHosts: []string{""}}, nil)
			return err
		}, "sniHosts[0]: empty host"},
		{"TLS wildcard in the middle", func() error {
			_, err := CompileTLSMatch(&networking.TLSMatchAttributes{SniHosts: []string{"a.*.com"}}, nil)
			return err
		}, `sniHosts[0]: "a.*.com": a wildcard is allowed only`},
		{"TLS partial wildcard label", func() error {
			_, err := CompileTLSMatch(&networking.TLSMatchAttributes{SniHosts: []string{"*foo.com"}}, nil)
			return err
		}, `sniHosts[0]: "*foo.com": a wildcard is allowed only`},
		{"TLS bad subnet", func() error {
			_, err := CompileTLSMatch(&networking.TLSMatchAttributes{SniHosts: []string{"a.com"}, DestinationSubnets: []string{"x"}}, nil)
			return err
		}, `destinationSubnets[0]: "x" is neither`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.compile()
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func TestL4ExplainAndString(t *testing.T) {
	l4, err := CompileL4Match(&networking.L4MatchAttributes{DestinationSubnets: []string{"10.0.0.0/8", "192.168.1.1"}, Port: 443}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tlsm, err := CompileTLSMatch(&networking.TLSMatchAttributes{SniHosts: []string{"*.Example.com"}, Port: 443}, []string{"ns/gw"})
	if err != nil {
		t.Fatal(err)
	}
	any4, _ := CompileL4Match(nil, nil)
	gw := with(conn("", "a.other.com"), func(r *Request) { r.Gateway = "ns/gw" })
	got := []string{
		l4.String(),
		explain(l4.Explain, conn("11.0.0.1", "")),
		explain(l4.Explain, conn("", "")),
		any4.String(),
		tlsm.String(),
		explain(tlsm.Explain, gw),
		explain(tlsm.Explain, with(gw, func(r *Request) { r.SNI = "" })),
		explain(tlsm.Explain, conn("", "a.example.com")),
	}
	want := []string{
		`port 443 && destination in [10.0.0.0/8 192.168.1.1/32]`,
		`destinationSubnets: 11.0.0.1 is not in [10.0.0.0/8 192.168.1.1/32]`,
		`destinationSubnets: destination address unknown`,
		`any connection`,
		`port 443 && gateway in ["ns/gw"] && sni in ["*.example.com"]`,
		`sni: "a.other.com" is not one of ["*.example.com"]`,
		`sni: missing (no TLS server name)`,
		`gateways: "mesh" is not one of ["ns/gw"]`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func explain(f func(*Request) (bool, string), r Request) string {
	_, why := f(&r)
	return why
}

func TestSNIMatchAllocatesNothing(t *testing.T) {
	m, _ := CompileTLSMatch(&networking.TLSMatchAttributes{SniHosts: []string{"a.com", "*.Example.com"}, DestinationSubnets: []string{"10.0.0.0/8"}}, nil)
	r := conn("10.0.0.1", "WWW.example.com")
	if n := testing.AllocsPerRun(100, func() { m.Match(&r) }); n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}
