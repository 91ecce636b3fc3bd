package route

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/testing/protocmp"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
)

var (
	sniPatterns = []string{"a.example.com", "b.example.com", "*.example.com", "*.x.example.com", "c.x.example.com", "example.com"}
	sniRequests = []string{"a.example.com", "A.EXAMPLE.COM", "b.example.com", "c.x.example.com", "d.x.example.com", "y.z.x.example.com",
		"example.com", "zz.example.com", "other.org", "x.example.com", ""}
)

// randomTLSConfig returns one or two VirtualServices with 8 to 40 TLS
// rules: one or two clauses of one or two sniHosts (exact or wildcard),
// some with a port (A TLS rule must have a match with sniHosts), and, half
// the time, ServiceEntries for their hosts with TLS, HTTPS and TCP ports.

func randomTLSConfig(r *rand.Rand) *Config {
	cfg := &Config{}
	for i := 0; i < 1+r.IntN(2); i++ {
		vs := &networking.VirtualService{Hosts: []string{"*.example.com", "example.com"}}
		for k := 0; k < 8+r.IntN(33); k++ {
			tr := &networking.TLSRoute{Route: []*networking.RouteDestination{{Destination: &networking.Destination{Host: fmt.Sprintf("t%d", k)}}}}
			for m := 0; m < 1+r.IntN(2); m++ {
				tm := &networking.TLSMatchAttributes{}
				for h := 0; h < 1+r.IntN(2); h++ {
					tm.SniHosts = append(tm.SniHosts, pick(r, sniPatterns))
				}
				if r.IntN(4) == 0 {
					tm.Port = pick(r, []uint32{443, 8443})
				}
				tr.Match = append(tr.Match, tm)
			}
			vs.Tls = append(vs.Tls, tr)
		}
		cfg.VirtualServices = append(cfg.VirtualServices, &VirtualService{
			Meta: Meta{Name: fmt.Sprintf("vs%d", i), Namespace: "default"}, Spec: vs})
	}
	if r.IntN(2) == 0 { // describe the hosts, so ports restrict the tls rules
		for i, h := range []string{"example.com", "*.example.com", "*.x.example.com"} {
			if i > 0 && r.IntN(3) == 0 {
				continue
			}
			se := &networking.ServiceEntry{Hosts: []string{h}, Resolution: networking.ServiceEntry_NONE}
			for k, p := range []uint32{443, 8443, 9443} {
				if r.IntN(2) == 0 {
					se.Ports = append(se.Ports, &networking.ServicePort{Number: p, Name: fmt.Sprintf("p%d", k), Protocol: pick(r, []string{"TLS", "HTTPS", "TCP"})})
				}
			}
			cfg.ServiceEntries = append(cfg.ServiceEntries, &ServiceEntry{
				Meta: Meta{Name: fmt.Sprintf("se%d", i), Namespace: "default"}, Spec: se})
		}
	}
	return cfg
}

// TestSNIIndexMatchesLinear checks DecideTLS through the SNI index
// against the same table walking its TLS rules in order: same decision,
// including which rule and clause won.
func TestSNIIndexMatchesLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	opts := cmp.Options{
		cmp.AllowUnexported(HeaderOps{}, MirrorSet{}, CORSPolicy{}), cmpopts.EquateEmpty(), protocmp.Transform(),
		cmp.Comparer(func(a, b *headerOps) bool { return a == b }),
	}
	indexedViews, routed, late, offPort := 0, 0, 0, 0
	for i := 0; i < 200; i++ {
		cfg := randomTLSConfig(r)
		indexed, err := Compile(cfg, WithRand(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatalf("config %d: %v", i, err)
		}
		linear, _ := Compile(cfg, WithRand(rand.NewPCG(1, 1)))
		for _, v := range linear.views {
			v.tlsIndex = nil
		}
		for _, v := range indexed.views {
			if v.tlsIndex != nil {
				indexedViews++
			}
		}
		described := len(cfg.ServiceEntries) > 0
		for j := 0; j < 40; j++ {
			q := &match.Request{SNI: pick(r, sniRequests), Port: pick(r, []uint32{443, 8443, 9443}), Gateway: "mesh", SourceNamespace: "default"}
			got, want := indexed.DecideTLS(q), linear.DecideTLS(q)
			if described && got.Rule.Index < 0 {
				offPort++
			}
			if got.Rule.Index >= 0 {
				routed++
				if got.Rule.Index >= 8 {
					late++
				}
			}
			if diff := cmp.Diff(want, got, opts); diff != "" {
				t.Fatalf("config %d SNI %q port %d: indexed DecideTLS differs from the ordered walk (-linear +indexed):\n%s", i, q.SNI, q.Port, diff)
			}
		}
	}
	if indexedViews < 200 || routed < 2500 || late < 100 || offPort < 500 {
		t.Errorf("the generator exercises too little: %d indexed views, %d routed, %d by rule 8 or later, %d unrouted with ServiceEntries",
			indexedViews, routed, late, offPort)
	}
}
