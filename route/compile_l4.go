package route

import (
	"fmt"

	networking "istio.io/api/networking/v1alpha3"

	ihost "github.com/meshroute/meshroute/internal/host"
	"github.com/meshroute/meshroute/match"
)

// l4Match is one compiled TCP (L4MatchAttributes) or TLS
// (TLSMatchAttributes) match clause.
type l4Match struct {
	index int
	m     interface {
		Match(*match.Request) bool
		Explain(*match.Request) (bool, string)
		String() string
	}
}

// compileL4Rule compiles a TCPRoute (tcp set) or TLSRoute (tls set).
func (c *compiler) compileL4Rule(vs *compiledVS, index int, tcp []*networking.L4MatchAttributes, tls []*networking.TLSMatchAttributes, route []*networking.RouteDestination, ns string) (*l4Rule, error) {
	rule := &l4Rule{index: index}
	resolve := func(gs []string) []string {
		var out []string
		for _, g := range gs {
			out = append(out, resolveGateway(g, ns))
		}
		return out
	}
	for i, m := range tcp {
		lm, err := match.CompileL4Match(m, resolve(m.GetGateways()))
		if err != nil {
			return nil, fmt.Errorf("match[%d]: %w", i, err)
		}
		rule.matches = append(rule.matches, &l4Match{index: i, m: lm})
	}
	for i, m := range tls {
		tm, err := match.CompileTLSMatch(m, resolve(m.GetGateways()))
		if err != nil {
			return nil, fmt.Errorf("match[%d]: %w", i, err)
		}
		rule.matches = append(rule.matches, &l4Match{index: i, m: tm})
	}
	weighted := len(route) > 1
	for i, rd := range route {
		if rd.GetDestination().GetHost() == "" {
			return nil, fmt.Errorf("route[%d].destination.host: is required", i)
		}
		if weighted && rd.GetWeight() <= 0 {
			continue
		}
		d := c.newDest(&networking.Destination{
			Host:   ihost.Expand(rd.GetDestination().GetHost(), ns, c.opts.domain),
			Subset: rd.GetDestination().GetSubset(),
			Port:   rd.GetDestination().GetPort(),
		})
		d.weight = uint64(rd.GetWeight())
		if !weighted {
			d.weight = 1
		}
		rule.total += d.weight
		d.cum = rule.total
		rule.dests = append(rule.dests, d)
	}
	if len(rule.dests) == 0 {
		return nil, fmt.Errorf("route: at least one destination with a weight above 0 is required")
	}
	return rule, nil
}
