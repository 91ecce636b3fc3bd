package subset

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	networking "istio.io/api/networking/v1alpha3"
)

// HostResolver resolves a DNS name to addresses. *net.Resolver implements
// it; tests pass a fake so that nothing touches the network.
type HostResolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// ServiceEntry is a ServiceEntry spec with the namespace it lives in.
type ServiceEntry struct {
	Namespace string
	Spec      *networking.ServiceEntry
}

// WorkloadEntry is a WorkloadEntry spec with its namespace, which a
// ServiceEntry workloadSelector in the same namespace can select.
type WorkloadEntry struct {
	Namespace string
	Spec      *networking.WorkloadEntry
}

// FromServiceEntries turns ServiceEntries into registry services, one per
// host, as Istio builds clusters from them:
//
//   - STATIC: the listed endpoints (address, ports by name, labels,
//     locality, weight, network); addresses must be IPs or unix:// paths.
//   - DNS, DNS_ROUND_ROBIN: listed endpoints whose addresses are names are
//     resolved through dns (every address for DNS, the first for
//     DNS_ROUND_ROBIN, keeping the endpoint's labels); without endpoints
//     each host itself is resolved.
//   - workloadSelector: the WorkloadEntries of the same namespace whose
//     labels contain the selector's.
//   - NONE, and any service left without endpoints: dialled by name (see
//     Service.Select).
//
// dns nil means net.DefaultResolver is never consulted: DNS names are then
// kept as addresses and dialled by name. Errors name the entry and field;
// services without errors are still returned.
func FromServiceEntries(ctx context.Context, entries []ServiceEntry, workloads []WorkloadEntry, dns HostResolver) ([]Service, error) {
	var out []Service
	var errs []error
	for i, e := range entries {
		se := e.Spec
		if se == nil {
			errs = append(errs, fmt.Errorf("serviceEntries[%d]: nil spec", i))
			continue
		}
		if len(se.Hosts) == 0 {
			errs = append(errs, fmt.Errorf("serviceEntries[%d] (namespace %q): spec.hosts is empty; a ServiceEntry needs at least one host", i, e.Namespace))
			continue
		}
		ports := make([]ServicePort, 0, len(se.Ports))
		for _, p := range se.Ports {
			ports = append(ports, ServicePort{Number: p.Number, Name: p.Name, Protocol: strings.ToUpper(p.Protocol), TargetPort: p.TargetPort})
		}
		eps, err := entryEndpoints(se, e.Namespace, workloads)
		if err != nil {
			errs = append(errs, fmt.Errorf("serviceEntries[%d] (%s): %w", i, se.Hosts[0], err))
			continue
		}
		for _, h := range se.Hosts {
			hostEps := eps
			switch se.Resolution {
			case networking.ServiceEntry_DNS, networking.ServiceEntry_DNS_ROUND_ROBIN:
				first := se.Resolution == networking.ServiceEntry_DNS_ROUND_ROBIN
				if len(hostEps) == 0 && !strings.HasPrefix(h, "*") {
					hostEps = []Endpoint{{Address: h}}
				}
				hostEps, err = resolveAll(ctx, dns, hostEps, first)
				if err != nil {
					errs = append(errs, fmt.Errorf("serviceEntries[%d] host %s: %w", i, h, err))
					continue
				}
			case networking.ServiceEntry_NONE:
				hostEps = nil
			}
			out = append(out, Service{
				Host:      strings.ToLower(h),
				Ports:     ports,
				Endpoints: hostEps,
				External:  se.Location == networking.ServiceEntry_MESH_EXTERNAL,
			})
		}
	}
	return out, errors.Join(errs...)
}

// LoadServiceEntries registers the services FromServiceEntries builds,
// replacing those hosts' previous services. Call it again to refresh DNS.
func (r *Registry) LoadServiceEntries(ctx context.Context, entries []ServiceEntry, workloads []WorkloadEntry, dns HostResolver) error {
	svcs, err := FromServiceEntries(ctx, entries, workloads, dns)
	for _, s := range svcs {
		r.SetService(s)
	}
	return err
}

// PollServiceEntries loads entries at once and again every interval until
// ctx is done, so DNS-resolved endpoints follow their records (Envoy
// re-resolves every 60s by default). Errors go to onErr when it is not
// nil; a host whose resolution fails keeps its previous endpoints. It
// returns ctx's error.
func (r *Registry) PollServiceEntries(ctx context.Context, entries []ServiceEntry, workloads []WorkloadEntry, dns HostResolver, interval time.Duration, onErr func(error)) error {
	if interval <= 0 {
		return errors.New("subset: PollServiceEntries interval must be positive")
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := r.LoadServiceEntries(ctx, entries, workloads, dns); err != nil && onErr != nil {
			onErr(err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

func entryEndpoints(se *networking.ServiceEntry, ns string, workloads []WorkloadEntry) ([]Endpoint, error) {
	var eps []Endpoint
	for j, we := range se.Endpoints {
		if we == nil {
			return nil, fmt.Errorf("spec.endpoints[%d] is null", j)
		}
		if se.Resolution == networking.ServiceEntry_STATIC && !isIPOrUnix(we.Address) {
			return nil, fmt.Errorf("spec.endpoints[%d].address %q: a STATIC endpoint needs an IP address or unix:// path (use resolution DNS for names)", j, we.Address)
		}
		eps = append(eps, fromWorkloadEntry(we))
	}
	if sel := se.WorkloadSelector; sel != nil {
		for _, w := range workloads {
			if w.Spec == nil || w.Namespace != ns {
				continue
			}
			ep := fromWorkloadEntry(w.Spec)
			if ep.SelectedBy(sel.Labels) {
				eps = append(eps, ep)
			}
		}
	}
	return eps, nil
}

func fromWorkloadEntry(we *networking.WorkloadEntry) Endpoint {
	return Endpoint{
		Address:  we.Address,
		Ports:    we.Ports,
		Labels:   we.Labels,
		Locality: we.Locality,
		Weight:   we.Weight,
		Network:  we.Network,
	}
}

func isIPOrUnix(a string) bool {
	if strings.HasPrefix(a, "unix://") {
		return true
	}
	_, err := netip.ParseAddr(a)
	return err == nil
}

// resolveAll replaces endpoints whose address is a DNS name by one endpoint
// per resolved address (only the first with first set).
func resolveAll(ctx context.Context, dns HostResolver, eps []Endpoint, first bool) ([]Endpoint, error) {
	if dns == nil {
		return eps, nil
	}
	var out []Endpoint
	for _, ep := range eps {
		if isIPOrUnix(ep.Address) {
			out = append(out, ep)
			continue
		}
		addrs, err := dns.LookupHost(ctx, ep.Address)
		if err != nil {
			return nil, fmt.Errorf("resolving %s: %w", ep.Address, err)
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("resolving %s: no addresses", ep.Address)
		}
		if first {
			addrs = addrs[:1]
		}
		for _, a := range addrs {
			e := ep
			e.Address = a
			out = append(out, e)
		}
	}
	return out, nil
}
