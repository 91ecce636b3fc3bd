package route

import (
	"fmt"
	"testing"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
)

// BenchmarkDecideTLSIndexed measures DecideTLS on n TLS rules, one exact
// server name each ("s<i>.example.com", every fourth a wildcard
// "*.w<i>.example.com"), through the SNI index and walking the rules in
// order; connections spread over all rules.
func BenchmarkDecideTLSIndexed(b *testing.B) {
	for _, n := range []int{10, 1000} {
		vs := &networking.VirtualService{Hosts: []string{"*.example.com"}}
		var snis []string
		for i := 0; i < n; i++ {
			h, sni := fmt.Sprintf("s%d.example.com", i), fmt.Sprintf("s%d.example.com", i)
			if i%4 == 3 {
				h, sni = fmt.Sprintf("*.w%d.example.com", i), fmt.Sprintf("a.w%d.example.com", i)
			}
			vs.Tls = append(vs.Tls, &networking.TLSRoute{
				Match: []*networking.TLSMatchAttributes{{SniHosts: []string{h}}},
				Route: []*networking.RouteDestination{{Destination: &networking.Destination{Host: fmt.Sprintf("b%d.example.com", i%16)}}},
			})
			snis = append(snis, sni)
		}
		cfg := &Config{VirtualServices: []*VirtualService{{Meta: Meta{Name: "tls", Namespace: "default"}, Spec: vs}}}
		for _, mode := range []string{"indexed", "linear"} {
			b.Run(fmt.Sprintf("rules=%d/%s", n, mode), func(b *testing.B) {
				tbl, err := Compile(cfg)
				if err != nil {
					b.Fatal(err)
				}
				if mode == "linear" {
					for _, v := range tbl.views {
						v.tlsIndex = nil
					}
				}
				reqs := make([]match.Request, len(snis))
				for i, s := range snis {
					reqs[i] = match.Request{SNI: s, Port: 443, Gateway: "mesh"}
				}
				if d := tbl.DecideTLS(&reqs[len(reqs)-1]); d.Rule.Index != n-1 {
					b.Fatalf("rule %d, want %d (%s)", d.Rule.Index, n-1, d.Reason)
				}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					_ = tbl.DecideTLS(&reqs[i])
					if i++; i == len(reqs) {
						i = 0
					}
				}
			})
		}
	}
}
