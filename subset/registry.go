package subset

import (
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// ServicePort is one port of a service: the number clients address, its
// name (which endpoint port maps refer to), protocol and the endpoint port
// traffic is sent to (TargetPort, 0 meaning Number).
type ServicePort struct {
	Number     uint32
	Name       string
	Protocol   string
	TargetPort uint32
}

// Service is one host of the registry with its ports and endpoints. A
// Service held by the registry is immutable: updates replace it.
type Service struct {
	// Host is the service's name (an FQDN, or a wildcard like *.foo.com).
	Host string
	// Ports are the service ports, possibly empty.
	Ports []ServicePort
	// Endpoints are the service's endpoints. When empty the service is
	// dialled by name: one endpoint whose address is the host name.
	Endpoints []Endpoint
	// External marks MESH_EXTERNAL services, informational.
	External bool

	// selections caches Select results per (labels, port); it is owned by
	// the registry's copy of the Service.
	selections *sync.Map
}

// Selection is the endpoints of one (host, subset labels, port): the
// endpoints whose labels contain every subset label, with the address to
// dial for each. A Selection is immutable and shared; a new one is made
// when the service's endpoints change.
type Selection struct {
	// Endpoints are the selected endpoints, in registry order.
	Endpoints []Endpoint
	// Addrs[i] is "address:port" to dial Endpoints[i].
	Addrs []string
	// ByName is true when the service has no endpoints and the single
	// endpoint is the host name itself.
	ByName bool
}

// Registry maps service hosts to their endpoints. It is safe for
// concurrent use: readers never block, and each update swaps in a new
// immutable Service so that selections computed from the old one stay
// consistent.
type Registry struct {
	mu       sync.Mutex // serialises writers
	services atomic.Pointer[map[string]*Service]
	gen      atomic.Uint64
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	r := &Registry{}
	m := map[string]*Service{}
	r.services.Store(&m)
	return r
}

// Lookup returns the service registered for host (exact name), or nil.
// It does not allocate.
func (r *Registry) Lookup(host string) *Service {
	if r == nil {
		return nil
	}
	return (*r.services.Load())[host]
}

// Resolve returns the service for host: the one registered under exactly
// that name, else the most specific wildcard service covering it
// ("*.foo.com" covers "a.foo.com", not "foo.com"; "*.b.foo.com" beats
// "*.foo.com"), else nil.
func (r *Registry) Resolve(host string) *Service {
	if r == nil {
		return nil
	}
	m := *r.services.Load()
	if s := m[host]; s != nil {
		return s
	}
	var best *Service
	for h, s := range m {
		if len(h) > 1 && h[0] == '*' && strings.HasSuffix(host, h[1:]) && len(host) > len(h)-1 {
			if best == nil || len(h) > len(best.Host) {
				best = s
			}
		}
	}
	return best
}

// Generation returns a number that changes after every update, so that
// callers caching what they looked up know when to look again. It is 0 for
// a nil registry.
func (r *Registry) Generation() uint64 {
	if r == nil {
		return 0
	}
	return r.gen.Load()
}

// Hosts returns the registered host names, sorted.
func (r *Registry) Hosts() []string {
	m := *r.services.Load()
	out := make([]string, 0, len(m))
	for h := range m {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// SetService registers svc, replacing any service with the same host. The
// registry keeps its own copy of the slices.
func (r *Registry) SetService(svc Service) {
	svc.Host = strings.ToLower(svc.Host)
	svc.Ports = append([]ServicePort(nil), svc.Ports...)
	svc.Endpoints = append([]Endpoint(nil), svc.Endpoints...)
	svc.selections = &sync.Map{}
	r.update(func(m map[string]*Service) { m[svc.Host] = &svc })
}

// Set replaces the endpoints of host, keeping its ports and other
// attributes (a host not yet registered is added without ports). This is
// the entry point for discovery integrations.
func (r *Registry) Set(host string, endpoints []Endpoint) {
	host = strings.ToLower(host)
	svc := Service{Host: host}
	if old := r.Lookup(host); old != nil {
		svc = *old
	}
	svc.Endpoints = endpoints
	r.SetService(svc)
}

// Delete removes host from the registry.
func (r *Registry) Delete(host string) {
	host = strings.ToLower(host)
	r.update(func(m map[string]*Service) { delete(m, host) })
}

func (r *Registry) update(f func(map[string]*Service)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := *r.services.Load()
	m := make(map[string]*Service, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	f(m)
	r.services.Store(&m)
	r.gen.Add(1)
}

// Port returns the service port numbered n, or false.
func (s *Service) Port(n uint32) (ServicePort, bool) {
	for _, p := range s.Ports {
		if p.Number == n {
			return p, true
		}
	}
	return ServicePort{}, false
}

// Select returns the endpoints of the subset with the given labels (all
// must match; nil or empty selects every endpoint) for service port port,
// computing it once per Service value and caching it. The dial port of an
// endpoint is, in order: its ports[<service port name>], its own Port, the
// service port's targetPort, the port itself ("unix://" addresses are
// dialled as they are). port 0 on a service with several ports means its
// first port. port 0 with a single-port
// service means that port.
func (s *Service) Select(labels map[string]string, port uint32) *Selection {
	if port == 0 && len(s.Ports) == 1 {
		port = s.Ports[0].Number
	}
	key := selectionKey(labels, port)
	if s.selections != nil {
		if v, ok := s.selections.Load(key); ok {
			return v.(*Selection)
		}
	}
	sel := s.computeSelection(labels, port)
	if s.selections != nil {
		v, _ := s.selections.LoadOrStore(key, sel)
		sel = v.(*Selection)
	}
	return sel
}

func (s *Service) computeSelection(labels map[string]string, port uint32) *Selection {
	sp, ok := s.Port(port)
	if !ok && port == 0 && len(s.Ports) > 0 {
		sp = s.Ports[0] // no port known: the service's first port
	}
	target := port
	if target == 0 {
		target = sp.Number
	}
	if sp.TargetPort != 0 {
		target = sp.TargetPort
	}
	if len(s.Endpoints) == 0 {
		ep := Endpoint{Address: s.Host, Port: target}
		return &Selection{Endpoints: []Endpoint{ep}, Addrs: []string{ep.HostPort(target)}, ByName: true}
	}
	sel := &Selection{}
	for _, ep := range s.Endpoints {
		if !ep.SelectedBy(labels) {
			continue
		}
		p := target
		if ep.Port != 0 {
			p = ep.Port
		}
		if n, ok := ep.Ports[sp.Name]; ok && sp.Name != "" && n != 0 {
			p = n
		}
		addr := ep.Address
		if !strings.HasPrefix(addr, "unix://") {
			addr = net.JoinHostPort(addr, strconv.FormatUint(uint64(p), 10))
		}
		sel.Endpoints = append(sel.Endpoints, ep)
		sel.Addrs = append(sel.Addrs, addr)
	}
	return sel
}

// selectionKey is a canonical string for (labels, port).
func selectionKey(labels map[string]string, port uint32) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(strconv.FormatUint(uint64(port), 10))
	for _, k := range keys {
		b.WriteByte('\x00')
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(labels[k])
	}
	return b.String()
}
