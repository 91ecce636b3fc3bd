package route

import (
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/internal/host"
)

// tlsRoute checks a TLS (SNI) route: at least one match, each with SNI
// hosts covered by the VirtualService's hosts, and destinations.
func (v *validator) tlsRoute(f fieldPath, r *networking.TLSRoute, vs *networking.VirtualService, gatewayOnly bool) {
	if r == nil {
		v.errf("null", f, "", "must not be null")
		return
	}
	if len(r.Match) == 0 {
		v.errf("tls-match-required", f.dot(".match"), "", "needs at least one match with sniHosts")
	}
	for i, m := range r.Match {
		mf := f.at(".match", i)
		if m == nil {
			v.errf("null", mf, "", "must not be null")
			continue
		}
		if len(m.SniHosts) == 0 {
			v.errf("sni-required", mf.dot(".sniHosts"), "", "needs at least one SNI host")
		}
		for j, sni := range m.SniHosts {
			v.sniHost(mf.at(".sniHosts", j), sni, vs, gatewayOnly)
		}
		v.l4Match(mf, m.DestinationSubnets, m.Port, m.SourceLabels, m.Gateways)
	}
	if len(r.Route) == 0 {
		v.errf("route-required", f.dot(".route"), "", "is required: a TLS route needs at least one destination")
	}
	v.l4Destinations(f.dot(".route"), r.Route)
}

// sniHost checks one SNI host: a (wildcard) DNS name within one of the
// VirtualService's hosts; an IP address is only warned about.
func (v *validator) sniHost(f fieldPath, sni string, vs *networking.VirtualService, gatewayOnly bool) {
	if gatewayOnly && strings.HasPrefix(sni, "outbound_") {
		return
	}
	if err := host.ValidateWildcardDomain(sni); err != nil {
		if host.IsIP(sni) {
			v.warnf("sni-ip", f, q(sni), "is an IP address; SNI carries names, and most clients never send an IP")
			return
		}
		v.errf("sni-host", f, q(sni), "%v", err)
		return
	}
	for _, h := range vs.Hosts {
		if host.SubsetOf(sni, h) {
			return
		}
	}
	v.errf("sni-host", f, q(sni), "is not within any of the VirtualService's hosts [%s]", strings.Join(vs.Hosts, ", "))
}

// tcpRoute checks an opaque TCP route.
func (v *validator) tcpRoute(f fieldPath, r *networking.TCPRoute) {
	if r == nil {
		v.errf("null", f, "", "must not be null")
		return
	}
	for i, m := range r.Match {
		mf := f.at(".match", i)
		if m == nil {
			v.errf("null", mf, "", "must not be null")
			continue
		}
		v.l4Match(mf, m.DestinationSubnets, m.Port, m.SourceLabels, m.Gateways)
	}
	if len(r.Route) == 0 {
		v.errf("route-required", f.dot(".route"), "", "is required: a TCP route needs at least one destination")
	}
	v.l4Destinations(f.dot(".route"), r.Route)
}

// l4Match checks the fields TLS and TCP matches share.
func (v *validator) l4Match(mf fieldPath, subnets []string, port uint32, labels map[string]string, gateways []string) {
	for i, s := range subnets {
		if !host.IsIPOrCIDR(s) {
			v.errf("subnet", mf.at(".destinationSubnets", i), q(s), "is not an IP address or CIDR block")
		}
	}
	if port != 0 {
		v.port(mf.dot(".port"), port)
	}
	v.labels(mf.dot(".sourceLabels"), labels)
	v.gatewayNames(mf.dot(".gateways"), gateways)
}

// l4Destinations checks weighted TCP/TLS destinations.
func (v *validator) l4Destinations(f fieldPath, ds []*networking.RouteDestination) {
	var total int64
	for i, d := range ds {
		df := f.at("", i)
		if d == nil {
			v.errf("null", df, "", "must not be null")
			continue
		}
		if d.Destination == nil {
			v.errf("destination-required", df.dot(".destination"), "", "is required")
		}
		v.destination(df.dot(".destination"), d.Destination)
		v.weight(df.dot(".weight"), d.Weight)
		total += int64(d.Weight)
	}
	v.weightTotal(f, len(ds), total)
}
