package route

import (
	"math/rand/v2"
	"strings"

	"github.com/meshroute/meshroute/match"
)

// view is the route configuration one kind of proxy sees: the sidecars of
// one namespace (gateway "mesh") or one gateway. exportTo visibility,
// "several VirtualServices per host" and the short host forms all depend on
// it, so each view has its own virtual-host index; rules are shared.
type view struct {
	id        int
	gateway   string // "mesh" or "ns/name"
	namespace string // the caller's namespace (mesh) or the gateway's
	isGateway bool

	// Envoy's virtual-host domain index (virtualservice.md §1.1): exact
	// domains by map, then suffix wildcards longest first, prefix
	// wildcards longest first, then "*".
	exact map[string]*hostRef
	// suffixDot holds the suffix wildcards whose remaining part starts
	// with "." ("*.foo.com" as ".foo.com"), found by trying each label
	// boundary of the request host from the longest suffix down; suffix
	// holds the partial ones ("*-bar.foo.com"), longest first.
	suffixDot map[string]*hostRef
	// exactTable and suffixDotTable are exact and suffixDot frozen for
	// the request path (hosttable.go) once the table is built, but for
	// the shortest exact domain of each host with an inline record: those
	// are in exactSmall. The entries of exactSmall and suffixDotTable
	// hold the host records themselves (refreshHostRefs).
	exactTable                 *hostTable
	exactSmall, suffixDotTable *strTable[inlineHostRef]
	// seed is exactTable's and exactSmall's: a host is hashed once for
	// both.
	seed   uint64
	suffix []wildDomain
	prefix []wildDomain
	any    *vhost

	// l4 are the outbound TCP listeners of a mesh view: services by
	// address and port (compile_l4.go); nil on a gateway.
	l4 *l4Listeners

	// portScoped holds, by exact domain (lower case), the ports declared
	// by the ServiceEntry host the domain names, for hosts that declare
	// any: a sidecar has that host's HTTP routes on its HTTP ports only
	// (Istio builds an outbound route configuration per port), and TCP or
	// TLS filter chains on the others. The records of the virtual hosts
	// such domains lead to have portScoped set.
	portScoped map[string]declaredPorts
	// portScopedWild are the "*.suffix" ServiceEntry hosts that declare
	// ports, longest suffix first, with the virtual host their suffix
	// entry leads to: they scope the names under them that have no
	// exact domain of their own.
	portScopedWild []wildPorts

	// refSlab and inlineSlab are the arrays the view's host records are
	// allocated from.
	refSlab    arena[hostRef]
	inlineSlab arena[inlineHostRef]

	// tcpAll and tlsAll are the TCP and TLS rules of every VirtualService
	// the view takes, in order: TLS connections are routed by SNI across
	// all of them, TCP connections whose host is unknown likewise.
	tcpAll []l4Entry
	tlsAll []l4Entry
	// tlsIndex finds the first TLS rule by SNI (nil for few rules: see
	// index_tls.go).
	tlsIndex *sniIndex

	// httpsRedirects are the gateway's HTTP servers with
	// tls.httpsRedirect: every request for their hosts gets a 301 to
	// https (gateway.md, ServerTLSSettings).
	httpsRedirects []httpsRedirect

	vhosts  []*vhost      // in build order
	domains []domainEntry // every domain in insertion order (linear matcher, Explain)
	// considered records, per VirtualService of the configuration, why
	// the view took or skipped it (Explain).
	considered []vsConsideration
}

// httpsRedirect is one gateway server that redirects to https.
type httpsRedirect struct {
	port  uint32
	hosts []string // host patterns, lower case
}

// wildDomain is a wildcard domain: the part after "*" (suffix) or before
// it (prefix).
type wildDomain struct {
	affix string
	vh    *vhost
}

type domainEntry struct {
	domain string
	vh     *vhost
}

// vsConsideration says whether a view took a VirtualService and why not.
type vsConsideration struct {
	vs     *compiledVS
	taken  bool
	reason string
	hosts  []string // hosts the view gave it
}

// vhost is one virtual host: the routes that serve a set of domains.
type vhost struct {
	host   string // the VirtualService or registry host it was built for
	routes []routeEntry
	tcp    []l4Entry
	vss    []*compiledVS // contributing VirtualServices, in order

	// defaultRoute is set for a registry host that no VirtualService
	// claims: Envoy's default route to the service itself.
	defaultRoute *routeDest
	// self is the service of a VirtualService-claimed concrete host,
	// where TCP connections no tcp rule takes go (sidecars).
	self *routeDest

	// hot is the host's record in the domain maps (hostRef).
	hot *hostRef
	// portScoped is set when a domain of the host names a ServiceEntry
	// host that declares its ports (view.portScoped), or when onlyPorts
	// is set.
	portScoped bool
	// onlyPorts, for a VirtualService host outside the registry, are the
	// ports its routes are on: 80, and the HTTP ports of its
	// VirtualService's ServiceEntry hosts (scopeHostsOutsideRegistry).
	onlyPorts []uint32

	// slots are the clauses that apply, in order (plan.go); hosts with
	// the same rules share them. defaultPlan is the plan of defaultRoute.
	slots       []slot
	defaultPlan *rulePlan

	// index finds the first matching slot without trying each (nil for
	// hosts with few clauses: see index.go).
	index *ruleIndex
}

// hostRef is a virtual host as the domain maps hold it: the fields an
// HTTP decision reads, in an array of a view's hosts (refSlab), so that
// finding a host reads a small dense record rather than the vhost.
// refreshHostRefs fills them once the table is built.
type hostRef struct {
	vh          *vhost
	slots       []slot
	index       *ruleIndex
	defaultPlan *rulePlan
	// portScoped: the request's port must be checked (view.listenerFor);
	// port80, for a host outside the registry whose routes are on port 80
	// only (vhost.onlyPorts), checks it here without reading the vhost.
	portScoped, port80 bool
}

// inlineHostRef is the hostRef of a host with few slots: it holds them
// itself, so that finding the host brings its clauses along.
type inlineHostRef struct {
	hostRef
	inline [inlineSlots]slot
}

// inlineSlots is the number of slots an inlineHostRef holds: the
// VirtualServices of many-host tables tend to have a few rules each.
const inlineSlots = 3

// noHost is the hostRef of no virtual host.
var noHost = &hostRef{}

// hostRef returns vh's record, allocating it on first use.
func (v *view) hostRef(vh *vhost) *hostRef {
	if vh.hot == nil {
		vh.hot = v.refSlab.new()
		vh.hot.vh = vh
	}
	return vh.hot
}

// ref returns vh's record, noHost for nil.
func (vh *vhost) ref() *hostRef {
	if vh == nil {
		return noHost
	}
	return vh.hot
}

// refreshHostRefs copies the virtual hosts' slots, indexes and default
// plans into their records, moving a host of few slots to an
// inlineHostRef that holds them. Such a record lives in the entry of the
// host's shortest exact domain in exactSmall, so that finding the host by
// that domain reads the key, the record and its slots from one run of
// cache lines. The suffix wildcards' table holds every host's record in
// its entries likewise (a copy, when the host has an exact domain too);
// only a host found by neither keeps its record in inlineSlab.
func (v *view) refreshHostRefs() {
	recs := map[*vhost]inlineHostRef{}
	for _, vh := range v.vhosts {
		r := vh.hot
		if r == nil {
			continue
		}
		*r = hostRef{vh: vh, slots: vh.slots, index: vh.index, defaultPlan: vh.defaultPlan, portScoped: vh.portScoped,
			port80: len(vh.onlyPorts) == 1 && vh.onlyPorts[0] == 80}
		if r.inlinable() {
			var ir inlineHostRef
			ir.hostRef = *r
			copy(ir.inline[:], vh.slots)
			recs[vh] = ir // relocated where it lands
		}
	}
	var small map[string]inlineHostRef
	if len(recs) > 0 {
		primary := v.primaryDomains()
		small = make(map[string]inlineHostRef, len(recs))
		for vh, ir := range recs {
			if d, ok := primary[vh]; ok {
				small[d] = ir
			}
		}
	}
	suffixes := make(map[string]inlineHostRef, len(v.suffixDot))
	for d, r := range v.suffixDot {
		ir, ok := recs[r.vh]
		if !ok {
			ir.hostRef = *r
		}
		suffixes[d] = ir
	}
	v.seed = rand.Uint64() | 1
	v.exactSmall, v.suffixDotTable = newStrTableSeed(small, true, v.seed), newStrTable(suffixes, true)
	placed := make(map[*vhost]bool, len(recs))
	v.suffixDotTable.each(func(ir *inlineHostRef) {
		ir.relocate()
		if ir.inlinable() {
			ir.vh.hot, placed[ir.vh] = &ir.hostRef, true
		}
	})
	v.exactSmall.each(func(ir *inlineHostRef) {
		ir.relocate()
		ir.vh.hot, placed[ir.vh] = &ir.hostRef, true // the exact domain's record wins
	})
	for vh, ir := range recs {
		if !placed[vh] {
			rec := v.inlineSlab.new()
			*rec = ir
			rec.relocate()
			vh.hot = &rec.hostRef
		}
	}
	for d, r := range v.exact {
		v.exact[d] = r.vh.hot
	}
	for d, r := range v.suffixDot {
		v.suffixDot[d] = r.vh.hot
	}
	others := v.exact
	if len(small) > 0 {
		others = make(map[string]*hostRef, len(v.exact)-len(small))
		for d, r := range v.exact {
			if _, ok := small[d]; !ok {
				others[d] = r
			}
		}
	}
	v.exactTable = newStrTableSeed(others, true, v.seed)
}

// inlinable reports whether the record's slots fit an inlineHostRef
// (and the host has no rule index, which refers to the slots by number).
func (r *hostRef) inlinable() bool {
	return len(r.slots) > 0 && len(r.slots) <= inlineSlots && r.index == nil
}

// primaryDomains returns each virtual host's shortest exact domain (the
// first of equal length): the form callers use most, such as "reviews"
// for "reviews.ns.svc.cluster.local" seen from its own namespace.
func (v *view) primaryDomains() map[*vhost]string {
	out := make(map[*vhost]string, len(v.vhosts))
	for _, e := range v.domains {
		if strings.Contains(e.domain, "*") {
			continue
		}
		if d, ok := out[e.vh]; !ok || len(e.domain) < len(d) {
			out[e.vh] = e.domain
		}
	}
	return out
}

// relocate points an inlinable record's slots, and their uris, at its
// own array, once the record is in its final place.
func (ir *inlineHostRef) relocate() {
	if !ir.inlinable() {
		return
	}
	ir.slots = ir.inline[:len(ir.slots):len(ir.slots)]
	packSlotStrings(ir.slots)
}

// routeEntry is one HTTP rule in a virtual host's ordered list.
type routeEntry struct {
	vs   *compiledVS
	rule *httpRule
	// vsLevel is false when the VirtualService reaches this view only
	// through a match clause's gateways: then only such clauses apply.
	vsLevel bool
}

// l4Entry is one TCP or TLS rule in a virtual host's ordered list.
type l4Entry struct {
	vs   *compiledVS
	rule *l4Rule
}

// addDomain registers domain d for vh unless an earlier virtual host
// already has it (Istio drops duplicate domains; the first wins).
func (v *view) addDomain(d string, vh *vhost) {
	v.hostRef(vh)
	switch {
	case d == "*":
		if v.any != nil {
			return
		}
		v.any = vh
	case strings.HasPrefix(d, "*."):
		if _, ok := v.suffixDot[d[1:]]; ok {
			return
		}
		if v.suffixDot == nil {
			v.suffixDot = map[string]*hostRef{}
		}
		v.suffixDot[d[1:]] = v.hostRef(vh)
	case strings.HasPrefix(d, "*"):
		for _, w := range v.suffix {
			if w.affix == d[1:] {
				return
			}
		}
		v.suffix = append(v.suffix, wildDomain{affix: d[1:], vh: vh})
	case strings.HasSuffix(d, "*"):
		for _, w := range v.prefix {
			if w.affix == d[:len(d)-1] {
				return
			}
		}
		v.prefix = append(v.prefix, wildDomain{affix: d[:len(d)-1], vh: vh})
	default:
		if _, ok := v.exact[d]; ok {
			return
		}
		v.exact[d] = v.hostRef(vh)
	}
	v.domains = append(v.domains, domainEntry{domain: d, vh: vh})
}

// sortWildcards orders the wildcard lists longest first (stable).
func (v *view) sortWildcards() {
	sortStable(v.suffix, func(a, b wildDomain) bool { return len(a.affix) > len(b.affix) })
	sortStable(v.prefix, func(a, b wildDomain) bool { return len(a.affix) > len(b.affix) })
}

// lookupWildcard returns the virtual host for a lower-case host name (no
// port) that no exact domain has; its vh is nil when none serves it.
func (v *view) lookupWildcard(h string) *hostRef {
	best := noHost
	bestLen := 0
	if v.suffixDotTable != nil {
		for i := 1; i < len(h); i++ {
			if h[i] == '.' {
				if r := v.suffixDotTable.find(h[i:]); r != nil {
					best, bestLen = &r.hostRef, len(h)-i
					break
				}
			}
		}
	}
	for i := range v.suffix {
		w := &v.suffix[i]
		if len(w.affix) <= bestLen {
			break
		}
		if len(h) > len(w.affix) && strings.HasSuffix(h, w.affix) {
			return w.vh.ref()
		}
	}
	if best.vh != nil {
		return best
	}
	for i := range v.prefix {
		w := &v.prefix[i]
		if len(h) > len(w.affix) && strings.HasPrefix(h, w.affix) {
			return w.vh.ref()
		}
	}
	return v.any.ref()
}

// findVhost is findHost's virtual host, nil when none serves the
// authority.
func (v *view) findVhost(authority string) *vhost { return v.findHost(authority).vh }

// findHost selects the virtual host for a request authority: the port is
// ignored and the comparison is case-insensitive. It does not allocate for
// host names up to 255 bytes.
func (v *view) findHost(authority string) *hostRef {
	h, _ := splitAuthority(authority)
	// The tables ignore ASCII case.
	if len(h) <= strKeyMax {
		hash := foldHash(h, v.seed)
		if ir := v.exactSmall.findHashed(h, hash); ir != nil {
			return &ir.hostRef
		}
		if r := v.exactTable.findHashed(h, hash); r != nil {
			return *r
		}
	} else {
		if ir := v.exactSmall.find(h); ir != nil {
			return &ir.hostRef
		}
		if r := v.exactTable.get(h); r != nil {
			return r
		}
	}
	if len(h) > 255 {
		return v.lookupWildcard(lowerASCII(h)) // ASCII only, as Envoy folds
	}
	var buf [255]byte
	return v.lookupWildcard(foldASCIIInto(buf[:], h))
}

// declaredPorts are the ports a ServiceEntry host declares, by the kind
// of listener a sidecar has for each (serviceentry.md "Protocol").
type declaredPorts struct {
	all []uint32
	// tls are those with protocol TLS or HTTPS: routed by SNI (tls
	// rules); tcp those with a protocol neither HTTP nor TLS (TCP, MONGO,
	// ...): opaque TCP (tcp rules). The others (HTTP, HTTP2, GRPC,
	// GRPC-WEB, or unset, which Istio sniffs) take HTTP routes.
	tls, tcp []uint32
}

// wildPorts is a "*.suffix" ServiceEntry host's declared ports.
type wildPorts struct {
	suffix string // ".suffix", lower case
	vh     *vhost
	dp     declaredPorts
}

// portListener is what a sidecar has on a request's port for its host.
type portListener uint8

const (
	listenHTTP portListener = iota // the host's HTTP routes
	listenNone                     // nothing for the host: an unknown host
	listenTLS                      // the host's TLS filter chains
	listenTCP                      // the host's TCP filter chains
)

// listenerFor returns what a sidecar has for the host req's authority
// names, whose virtual host is vh, on req's port: its HTTP routes, unless
// the host is a VirtualService host outside the registry and the port is
// not one of vh.onlyPorts, or a ServiceEntry host (by an exact domain, or
// under a "*.suffix" host whose virtual host vh is) that declares its
// ports and either not this one or this one with a protocol other than
// HTTP (an unknown port, 0, is taken to be an HTTP one). It is asked only
// of records with portScoped set, and allocates nothing.
func (v *view) listenerFor(req *match.Request, vh *vhost) portListener {
	port := requestPort(req)
	if port == 0 {
		return listenHTTP
	}
	if vh != nil && vh.onlyPorts != nil {
		if containsPort(vh.onlyPorts, port) {
			return listenHTTP
		}
		return listenNone
	}
	h, _ := splitAuthority(req.Authority)
	var buf [255]byte
	name := foldASCIIInto(buf[:], h)
	dp, ok := v.portScoped[name]
	if !ok {
		// a name under a "*.suffix" ServiceEntry host, served by its
		// virtual host
		for i := range v.portScopedWild {
			if w := &v.portScopedWild[i]; w.vh == vh && len(name) > len(w.suffix) && strings.HasSuffix(name, w.suffix) {
				dp, ok = w.dp, true
				break
			}
		}
	}
	switch {
	case !ok:
		return listenHTTP
	case !containsPort(dp.all, port):
		return listenNone
	case containsPort(dp.tls, port):
		return listenTLS
	case containsPort(dp.tcp, port):
		return listenTCP
	}
	return listenHTTP
}

// sortStable is an insertion sort: the lists are short and it keeps the
// configuration order among equals.
func sortStable[T any](s []T, less func(a, b T) bool) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && less(s[j], s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
