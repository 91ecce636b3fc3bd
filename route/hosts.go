package route

import (
	"strings"

	ihost "github.com/meshroute/meshroute/internal/host"
	"github.com/meshroute/meshroute/match"
)

// rootNamespace is Istio's root namespace, the last place a
// DestinationRule is looked up (destinationrule.md §1.1).
const rootNamespace = "istio-system"

// resolveGateway turns a gateway name as written in a VirtualService of
// namespace ns into "mesh" or "namespace/name" (virtualservice.md §1.3):
// "ns/name" as is ("./name" is the VS namespace), a bare name is in the VS
// namespace, and the legacy FQDN form "name.ns.svc.cluster.local" (or
// "name.ns") names ns/name.
func resolveGateway(name, ns string) string {
	if name == match.MeshGateway {
		return name
	}
	if i := strings.IndexByte(name, '/'); i >= 0 {
		gns := name[:i]
		if gns == "." || gns == "" {
			gns = ns
		}
		return gns + "/" + name[i+1:]
	}
	if i := strings.IndexByte(name, '.'); i >= 0 {
		rest := name[i+1:]
		if j := strings.IndexByte(rest, '.'); j >= 0 {
			rest = rest[:j]
		}
		return rest + "/" + name[:i]
	}
	return ns + "/" + name
}

// resolveGateways resolves a VirtualService's gateways; empty means mesh.
func resolveGateways(names []string, ns string) []string {
	if len(names) == 0 {
		return []string{match.MeshGateway}
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, resolveGateway(n, ns))
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// exportSet is a compiled exportTo list.
type exportSet struct {
	all bool
	ns  []string
}

// newExportSet compiles exportTo of an object in namespace own: empty or
// "*" is every namespace, "." the object's own, "~" none.
func newExportSet(exportTo []string, own string) exportSet {
	if len(exportTo) == 0 {
		return exportSet{all: true}
	}
	var e exportSet
	for _, x := range exportTo {
		switch x {
		case "*":
			e.all = true
		case ".":
			e.ns = append(e.ns, own)
		case "~":
		default:
			e.ns = append(e.ns, x)
		}
	}
	return e
}

// visibleTo reports whether the object is exported to namespace ns.
func (e exportSet) visibleTo(ns string) bool { return e.all || contains(e.ns, ns) }

// String describes the set as written ("*" or the namespaces).
func (e exportSet) String() string {
	if e.all {
		return "*"
	}
	if len(e.ns) == 0 {
		return "~ (no namespace)"
	}
	return strings.Join(e.ns, ",")
}

// kubeServiceParts splits a Kubernetes service FQDN "name.ns.<domain>"
// (domain "svc.cluster.local") into name and namespace; ok is false for any
// other host.
func kubeServiceParts(h, domain string) (name, ns string, ok bool) {
	suffix := "." + domain
	if !strings.HasSuffix(h, suffix) || strings.HasPrefix(h, "*") {
		return "", "", false
	}
	rest := h[:len(h)-len(suffix)]
	i := strings.IndexByte(rest, '.')
	if i <= 0 || strings.IndexByte(rest[i+1:], '.') >= 0 || i == len(rest)-1 {
		return "", "", false
	}
	return rest[:i], rest[i+1:], true
}

// domainForms returns the Host values that reach service host h from a
// sidecar in namespace viewNS (virtualservice.md §1.1): for a Kubernetes
// service the FQDN, "name.ns.svc", "name.ns", and the bare name only from
// the service's own namespace; any other host only as written.
func domainForms(h, viewNS, domain string) []string {
	name, ns, ok := kubeServiceParts(h, domain)
	if !ok {
		return []string{h}
	}
	out := []string{h}
	if i := strings.IndexByte(domain, '.'); i > 0 {
		out = append(out, name+"."+ns+"."+domain[:i]) // "reviews.ns.svc"
	}
	out = append(out, name+"."+ns)
	if ns == viewNS {
		out = append(out, name)
	}
	return out
}

// serviceNamespace returns the namespace a host's service lives in: the
// namespace part of a Kubernetes FQDN, else the namespace of the
// ServiceEntry that declares it, else "".
func (c *compiler) serviceNamespace(h string) string {
	if _, ns, ok := kubeServiceParts(h, c.opts.domain); ok {
		return ns
	}
	if se := c.seByHost[h]; se != nil {
		return se.Namespace
	}
	return ""
}

// splitAuthority splits host and port (ihost.SplitHostPort); a trailing dot
// on the host is kept.
func splitAuthority(authority string) (string, string) {
	return ihost.SplitHostPort(authority)
}
