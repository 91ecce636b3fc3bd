package route

import (
	"path"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/internal/host"
)

// Protocols Istio knows (pkg/config/protocol), upper-cased.
var (
	knownProtocols = map[string]bool{
		"TCP": true, "UDP": true, "GRPC": true, "GRPC-WEB": true, "HTTP": true, "HTTP_PROXY": true,
		"HTTP2": true, "HTTPS": true, "TLS": true, "MONGO": true, "REDIS": true, "MYSQL": true,
	}
	httpProtocols = map[string]bool{"HTTP": true, "HTTP2": true, "HTTP_PROXY": true, "GRPC": true, "GRPC-WEB": true}
	tlsProtocols  = map[string]bool{"HTTPS": true, "TLS": true}
)

// protocolOf returns a port protocol in Istio's case-insensitive form.
func protocolOf(p string) string { return strings.ToUpper(p) }

// serviceEntry applies Istio's ServiceEntry rules (serviceentry.md).
func (v *validator) serviceEntry(se *ServiceEntry) {
	v.object(&se.Meta, KindServiceEntry)
	v.metaName(&se.Meta, KindServiceEntry)
	s := se.Spec
	if s == nil {
		v.errf("spec-required", field("spec"), "", "is required")
		return
	}
	if ws := s.WorkloadSelector; ws != nil {
		v.selector(field("spec.workloadSelector.labels"), ws.Labels)
		if len(ws.Labels) == 0 {
			v.warnf("selector", field("spec.workloadSelector"), "", "has no labels, so it selects every workload in the namespace")
		}
		if s.Endpoints != nil {
			v.errf("se-selector-endpoints", field("spec.workloadSelector"), "", "cannot be set together with endpoints")
		}
	}
	if len(s.Hosts) == 0 {
		v.errf("host-required", field("spec.hosts"), "", "needs at least one host")
	}
	for i, h := range s.Hosts {
		f := fieldAt("spec.hosts", i)
		if h == "*" {
			v.errf("host", f, q(h), `is not allowed on a ServiceEntry; name the hosts (e.g. "*.example.com")`)
			continue
		}
		if v.hostName("host", f, h, false) && s.Resolution != networking.ServiceEntry_DYNAMIC_DNS && host.IsPartialWildcard(h) {
			v.warnf("host-partial-wildcard", f, q(h), `is a partial wildcard, which only DYNAMIC_DNS resolution supports; write "*.%s"`, strings.TrimLeft(strings.TrimPrefix(h, "*"), "-."))
		}
	}
	cidr := false
	for i, a := range s.Addresses {
		cidr = cidr || strings.Contains(a, "/")
		if !host.IsIPOrCIDR(a) {
			v.errf("address", fieldAt("spec.addresses", i), q(a), "is not an IP address or CIDR block")
		}
	}
	if cidr && s.Resolution != networking.ServiceEntry_NONE && s.Resolution != networking.ServiceEntry_STATIC {
		v.errf("address", field("spec.addresses"), "", "CIDR blocks are allowed only with resolution NONE or STATIC")
	}
	portNames := map[string]bool{}
	portNumbers := map[uint32]bool{}
	for i, p := range s.Ports {
		f := fieldAt("spec.ports", i)
		if p == nil {
			v.errf("null", f, "", "must not be null")
			continue
		}
		if portNames[p.Name] {
			v.errf("port-duplicate", f.dot(".name"), q(p.Name), "is already the name of an earlier port")
		}
		if portNumbers[p.Number] {
			v.errf("port-duplicate", f.dot(".number"), num(p.Number), "is already the number of an earlier port")
		}
		portNames[p.Name], portNumbers[p.Number] = true, true
		if p.TargetPort != 0 {
			v.port(f.dot(".targetPort"), p.TargetPort)
		}
		if !host.IsDNS1123Label(p.Name) {
			v.errf("port-name", f.dot(".name"), q(p.Name), "is not a valid port name: a DNS-1123 label")
		}
		if p.Protocol != "" && !knownProtocols[protocolOf(p.Protocol)] {
			v.errf("protocol", f.dot(".protocol"), q(p.Protocol), "is not a protocol Istio knows (HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, TLS, TCP, MONGO, REDIS, MYSQL, UDP)")
		}
		v.port(f.dot(".number"), p.Number)
	}
	switch s.Resolution {
	case networking.ServiceEntry_NONE:
		if len(s.Endpoints) > 0 {
			v.errf("se-resolution", field("spec.endpoints"), "", "must be empty with resolution NONE (traffic goes to the address the client dialled)")
		}
		if s.WorkloadSelector != nil {
			v.warnf("se-resolution", field("spec.workloadSelector"), "", "should not be set with resolution NONE")
		}
	case networking.ServiceEntry_STATIC:
		for i, ep := range s.Endpoints {
			f := fieldAt("spec.endpoints", i)
			if ep == nil {
				v.errf("null", f, "", "must not be null")
				continue
			}
			v.workloadEntry(f, ep, portNames, false)
		}
	case networking.ServiceEntry_DNS, networking.ServiceEntry_DNS_ROUND_ROBIN:
		if len(s.Endpoints) == 0 {
			for i, h := range s.Hosts {
				if err := host.ValidateFQDN(h); err != nil {
					v.errf("se-resolution", fieldAt("spec.hosts", i), q(h), "must be a plain DNS name when resolution is %s and no endpoints are given (%v)", s.Resolution, err)
					break
				}
			}
		}
		if s.Resolution == networking.ServiceEntry_DNS_ROUND_ROBIN && len(s.Endpoints) > 1 {
			v.errf("se-resolution", field("spec.endpoints"), "", "may hold at most 1 endpoint with resolution DNS_ROUND_ROBIN")
		}
		for i, ep := range s.Endpoints {
			f := fieldAt("spec.endpoints", i)
			if ep == nil {
				v.errf("null", f, "", "must not be null")
				continue
			}
			if !host.IsIP(ep.Address) && host.ValidateFQDN(ep.Address) != nil {
				v.errf("endpoint-address", f.dot(".address"), q(ep.Address), "is not an IP address or a DNS name")
			}
			v.labels(f.dot(".labels"), ep.Labels)
			v.endpointPorts(f, ep, portNames)
		}
		if len(s.Addresses) > 0 && len(s.Hosts) > 1 {
			for _, p := range s.Ports {
				if p != nil && isTCPProtocol(p.Protocol) {
					v.warnf("se-tcp-hosts", field("spec.hosts"), "", "several hosts with addresses and a TCP port cannot be told apart")
					break
				}
			}
		}
	case networking.ServiceEntry_DYNAMIC_DNS:
		for i, h := range s.Hosts {
			if !host.IsWildcard(h) {
				v.errf("se-resolution", fieldAt("spec.hosts", i), q(h), "must be a wildcard with resolution DYNAMIC_DNS")
			}
		}
		if len(s.Addresses) > 0 {
			v.errf("se-resolution", field("spec.addresses"), "", "must be empty with resolution DYNAMIC_DNS")
		}
		if len(s.Endpoints) > 0 {
			v.errf("se-resolution", field("spec.endpoints"), "", "must be empty with resolution DYNAMIC_DNS")
		}
		for i, p := range s.Ports {
			switch protocolOf(p.GetProtocol()) {
			case "HTTP", "TLS", "GRPC", "HTTP2":
			default:
				pf := fieldAt("spec.ports", i)
				v.errf("se-resolution", pf.dot(".protocol"), q(p.GetProtocol()), "is not supported with resolution DYNAMIC_DNS (HTTP, TLS, GRPC, HTTP2 are)")
			}
		}
	default:
		v.errf("se-resolution", field("spec.resolution"), num(int32(s.Resolution)), "is not a supported resolution")
	}
	if s.Resolution != networking.ServiceEntry_NONE && len(s.Hosts) > 1 {
		for i, p := range s.Ports {
			if p != nil && !httpProtocols[protocolOf(p.Protocol)] && !tlsProtocols[protocolOf(p.Protocol)] {
				v.errf("se-tcp-hosts", fieldAt("spec.ports", i), "", "is not an HTTP or TLS port, so with several hosts and resolution %s the hosts cannot be told apart", s.Resolution)
				break
			}
		}
	}
	v.exportTo(field("spec.exportTo"), se.Namespace, s.ExportTo, true, false)
}

func isTCPProtocol(p string) bool {
	switch protocolOf(p) {
	case "TCP", "HTTPS", "TLS", "MONGO", "REDIS", "MYSQL":
		return true
	}
	return false
}

// endpointPorts checks an endpoint's named ports exist on the entry.
func (v *validator) endpointPorts(f fieldPath, ep *networking.WorkloadEntry, servicePorts map[string]bool) {
	for _, name := range sortedKeys(ep.Ports) {
		pf := f.key(".ports", name)
		if servicePorts != nil && !servicePorts[name] {
			v.errf("endpoint-port", pf, "", "names no port of the ServiceEntry")
		}
		if !host.IsDNS1123Label(name) {
			v.errf("port-name", pf, "", "%q is not a valid port name", name)
		}
		v.port(pf, ep.Ports[name])
	}
}

// workloadEntry checks a WorkloadEntry (an object, or a ServiceEntry
// endpoint when servicePorts is not nil).
func (v *validator) workloadEntry(f fieldPath, we *networking.WorkloadEntry, servicePorts map[string]bool, allowFQDN bool) {
	addr := we.Address
	switch {
	case addr == "" && we.Network == "":
		v.errf("endpoint-address", f.dot(".address"), "", "is required")
	case addr == "":
		v.warnf("endpoint-address", f.dot(".address"), "", "is unset; reachable only through network %q's gateway", we.Network)
	case strings.HasPrefix(addr, "unix://"):
		p := strings.TrimPrefix(addr, "unix://")
		if p == "" || !strings.HasPrefix(p, "@") && (!path.IsAbs(p) || strings.HasSuffix(p, "/")) {
			v.errf("endpoint-address", f.dot(".address"), q(addr), "is not an absolute unix socket path")
		}
		if len(we.Ports) > 0 {
			v.errf("endpoint-address", f.dot(".ports"), "", "must be empty for a unix socket endpoint")
		}
		if servicePorts != nil && len(servicePorts) != 1 {
			v.errf("endpoint-address", f.dot(".address"), q(addr), "a unix socket endpoint needs a ServiceEntry with exactly one port")
		}
	case !host.IsIP(addr) && !allowFQDN:
		v.errf("endpoint-address", f.dot(".address"), q(addr), "is not an IP address (resolution STATIC needs IPs)")
	case !host.IsIP(addr) && host.ValidateFQDN(addr) != nil:
		v.errf("endpoint-address", f.dot(".address"), q(addr), "is not an IP address or a DNS name")
	}
	v.endpointPorts(f, we, servicePorts)
	v.labels(f.dot(".labels"), we.Labels)
}

// workloadEntryObject checks a WorkloadEntry object.
func (v *validator) workloadEntryObject(we *WorkloadEntry) {
	v.object(&we.Meta, KindWorkloadEntry)
	v.metaName(&we.Meta, KindWorkloadEntry)
	if we.Spec == nil {
		v.errf("spec-required", field("spec"), "", "is required")
		return
	}
	v.workloadEntry(field("spec"), we.Spec, nil, true)
}
