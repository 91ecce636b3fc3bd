package routebench

import (
	"net"
	"net/http"
	"sort"
	"strconv"
	"time"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
)

// Epoch is the creation timestamp of the first generated VirtualService;
// each later one is one second younger, so creation order is Rules order.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// TargetPort is the port every rule's destination names, and the port of
// the ServiceEntry that puts the targets in the registry.
const TargetPort = 80

// BackendsEntry is the name of the ServiceEntry Config adds for the
// targets.
const BackendsEntry = "bench-backends"

// Config builds the workload as meshroute configuration: one
// VirtualService per distinct VirtualService name (hosts: [Host], in
// creation order, each rule one HTTPRoute named "r<i>" with one match
// clause and one destination at TargetPort), and one ServiceEntry
// (BackendsEntry, MESH_EXTERNAL, DNS, port 80/HTTP) listing every target
// so that decisions route rather than fail for an unknown cluster. Each
// call builds new objects.
func (w Workload) Config() *route.Config {
	cfg := &route.Config{}
	var vs *route.VirtualService
	targets := map[string]bool{}
	for i, r := range w.Rules {
		if vs == nil || vs.Name != r.VirtualService {
			vs = &route.VirtualService{
				Meta: route.Meta{
					Name:              r.VirtualService,
					Namespace:         w.Namespace,
					CreationTimestamp: Epoch.Add(time.Duration(len(cfg.VirtualServices)) * time.Second),
				},
				Spec: &networking.VirtualService{Hosts: []string{r.Host}},
			}
			cfg.VirtualServices = append(cfg.VirtualServices, vs)
		}
		vs.Spec.Http = append(vs.Spec.Http, httpRoute(i, r))
		targets[r.Target] = true
	}
	if len(targets) > 0 {
		hosts := make([]string, 0, len(targets))
		for h := range targets {
			hosts = append(hosts, h)
		}
		sort.Strings(hosts)
		cfg.ServiceEntries = append(cfg.ServiceEntries, &route.ServiceEntry{
			Meta: route.Meta{Name: BackendsEntry, Namespace: w.Namespace, CreationTimestamp: Epoch},
			Spec: &networking.ServiceEntry{
				Hosts:      hosts,
				Location:   networking.ServiceEntry_MESH_EXTERNAL,
				Resolution: networking.ServiceEntry_DNS,
				Ports:      []*networking.ServicePort{{Number: TargetPort, Name: "http", Protocol: "HTTP"}},
			},
		})
	}
	return cfg
}

func httpRoute(i int, r Rule) *networking.HTTPRoute {
	m := &networking.HTTPMatchRequest{}
	switch r.PathKind {
	case Exact:
		m.Uri = &networking.StringMatch{MatchType: &networking.StringMatch_Exact{Exact: r.Path}}
	case Prefix:
		m.Uri = &networking.StringMatch{MatchType: &networking.StringMatch_Prefix{Prefix: r.Path}}
	case Regex:
		m.Uri = &networking.StringMatch{MatchType: &networking.StringMatch_Regex{Regex: r.Path}}
	}
	if r.Method != "" {
		m.Method = &networking.StringMatch{MatchType: &networking.StringMatch_Exact{Exact: r.Method}}
	}
	if r.HeaderName != "" {
		m.Headers = map[string]*networking.StringMatch{
			r.HeaderName: {MatchType: &networking.StringMatch_Exact{Exact: r.HeaderValue}},
		}
	}
	return &networking.HTTPRoute{
		Name:  "r" + strconv.Itoa(i),
		Match: []*networking.HTTPMatchRequest{m},
		Route: []*networking.HTTPRouteDestination{{
			Destination: &networking.Destination{
				Host: r.Target,
				Port: &networking.PortSelector{Number: TargetPort},
			},
		}},
	}
}

// MatchRequests returns the requests as match.Request values ready for
// route.Table.Decide: scheme http, gateway "mesh", headers as http.Header
// (shared with Requests, not copied) and Port the authority's port, or 80
// when the authority has none.
func (w Workload) MatchRequests() []match.Request {
	out := make([]match.Request, len(w.Requests))
	for i, r := range w.Requests {
		h := r.Headers
		if h == nil {
			h = http.Header{}
		}
		out[i] = match.Request{
			Method:    r.Method,
			Scheme:    "http",
			Authority: r.Host,
			Path:      r.Path,
			Header:    h,
			Port:      authorityPort(r.Host),
			Gateway:   match.MeshGateway,
		}
	}
	return out
}

func authorityPort(authority string) uint32 {
	if _, p, err := net.SplitHostPort(authority); err == nil {
		if n, err := strconv.ParseUint(p, 10, 16); err == nil {
			return uint32(n)
		}
	}
	return 80
}
