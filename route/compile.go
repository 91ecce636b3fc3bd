package route

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"

	ihost "github.com/meshroute/meshroute/internal/host"
	"github.com/meshroute/meshroute/match"
)

// compiler holds the state of one Compile call.
type compiler struct {
	opts options
	cfg  *Config

	ses       []*ServiceEntry          // in creation order, nil ones left out
	seByHost  map[string]*ServiceEntry // first ServiceEntry declaring a host
	seAddr    map[string]string        // ServiceEntry address → host
	drs       []*compiledDR            // in creation order
	vss       []*compiledVS            // non-delegate, in precedence order
	delegates map[string]*VirtualService
	gwObjs    map[string]*Gateway // "ns/name"
	registry  []registryHost
	// seExport and seWild are the ServiceEntry hosts with their
	// visibility, exact by host and wildcards in a list
	// (outsideRegistry).
	seExport map[string][]exportSet
	seWild   []registryHost

	dests       []*routeDest
	ns          string // namespace short destination hosts expand in (newDest)
	drCache     map[drKey]*mergedDR
	targetCache map[hostSubset]*hostTargets // resolveTarget
	lastTargets *hostTargets
	problems    Problems
	// compileRegex is the regex engine with this call's cache, regexCache
	// (regexCompiler); prevRegexes are the previous table's, reused.
	compileRegex match.RegexCompiler
	regexCache   map[string]match.Regexp
	prevRegexes  map[string]match.Regexp

	// Arrays the VirtualServices, rules, match clauses and destinations of
	// the Table come from (compile_alloc.go).
	vsArena    arena[compiledVS]
	ruleArena  arena[httpRule]
	matchArena arena[ruleMatch]
	destArena  arena[routeDest]
	// resolveTarget's, for the Table too.
	targetArena     arena[targetInfo]
	hostTargetArena arena[hostTargets]
	strLists        sliceArena[string]
	ruleLists       sliceArena[*httpRule]
	matchLists      sliceArena[*ruleMatch]
	destLists       sliceArena[*routeDest]
	// The views' virtual hosts, and their one-VirtualService lists.
	vhostArena arena[vhost]
	vsLists    sliceArena[*compiledVS]
}

// registryHost is a host of the service registry: a ServiceEntry host or
// a DestinationRule host.
type registryHost struct {
	host   string
	export exportSet
	fromDR bool // named by a DestinationRule, not a ServiceEntry
}

// Compile validates cfg and compiles it into a Table. It returns the
// validation errors (a Problems value) when cfg is invalid; warnings are
// available from Table.Warnings.
//
// Everything that depends only on configuration is computed here: FQDNs,
// per-namespace virtual-host indexes, merged header operations, effective
// DestinationRule policies per destination and caller namespace, and
// cumulative weights, so Decide allocates nothing on its common path.
func Compile(cfg *Config, opts ...Option) (*Table, error) {
	return compileFrom(nil, cfg, opts...)
}

// compileFrom is Compile reusing the compiled regexes of prev, a table
// compiled before (nil for none) with the same regex engine: a Store's
// reload then compiles only the patterns that are new.
func compileFrom(prev *Table, cfg *Config, opts ...Option) (*Table, error) {
	o := defaultOptions()
	for _, f := range opts {
		f(&o)
	}
	if o.namespace == "" {
		o.namespace = "default"
	}
	if o.rand == nil {
		o.rand = globalRand{}
	}
	if cfg == nil {
		cfg = &Config{}
	}
	c := &compiler{
		opts: o, cfg: cfg,
		seByHost: map[string]*ServiceEntry{}, seAddr: map[string]string{}, seExport: map[string][]exportSet{},
		delegates: map[string]*VirtualService{}, gwObjs: map[string]*Gateway{},
		drCache: map[drKey]*mergedDR{}, targetCache: map[hostSubset]*hostTargets{},
	}
	if prev != nil && prev.opts.regexEngine == o.regexEngine && prev.opts.regexTimeout == o.regexTimeout {
		c.prevRegexes = prev.regexes
	}
	probs := validateConfig(cfg, c.validationRegexes())
	if err := probs.Err(); err != nil {
		return nil, err
	}
	c.indexRegistry()
	c.compileVirtualServices()
	if err := c.problems.Err(); err != nil {
		return nil, err
	}
	t := &Table{opts: o, cfg: cfg, warnings: append(probs.Warnings(), cfg.Warnings...), regexes: c.regexCache}
	t.build(c)
	return t, nil
}

// byCreation orders metadata as Istio orders configuration: oldest first,
// ties by name then namespace.
func byCreation(a, b *Meta) bool {
	if !a.CreationTimestamp.Equal(b.CreationTimestamp) {
		return a.CreationTimestamp.Before(b.CreationTimestamp)
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	return a.Namespace < b.Namespace
}

func (c *compiler) indexRegistry() {
	c.ses = serviceEntriesByCreation(c.cfg)
	for _, se := range c.ses {
		for _, h := range se.Spec.GetHosts() {
			h = ihost.Expand(h, se.Namespace, c.opts.domain)
			if _, ok := c.seByHost[h]; !ok {
				c.seByHost[h] = se
			}
			export := newExportSet(se.Spec.GetExportTo(), se.Namespace)
			c.registry = append(c.registry, registryHost{host: h, export: export})
			if ihost.IsWildcard(h) {
				c.seWild = append(c.seWild, registryHost{host: h, export: export})
			} else {
				c.seExport[h] = append(c.seExport[h], export)
			}
			for _, a := range se.Spec.GetAddresses() {
				if _, ok := c.seAddr[a]; !ok && !strings.Contains(a, "/") {
					c.seAddr[a] = h
				}
			}
		}
	}
	drs := append([]*DestinationRule(nil), c.cfg.DestinationRules...)
	sort.SliceStable(drs, func(i, j int) bool { return byCreation(&drs[i].Meta, &drs[j].Meta) })
	for _, dr := range drs {
		if dr == nil || dr.Spec == nil {
			continue
		}
		h := ihost.Expand(dr.Spec.GetHost(), dr.Namespace, c.opts.domain)
		cd := &compiledDR{dr: dr, host: h, export: newExportSet(dr.Spec.GetExportTo(), dr.Namespace)}
		if ws := dr.Spec.GetWorkloadSelector(); ws != nil {
			cd.selector = &drSelector{labels: ws.GetMatchLabels(), key: selectorKey(ws.GetMatchLabels())}
		}
		c.drs = append(c.drs, cd)
		if !ihost.IsWildcard(h) {
			// A wildcard DestinationRule names no service of its own.
			c.registry = append(c.registry, registryHost{host: h, export: cd.export, fromDR: true})
		}
	}
	for _, g := range c.cfg.Gateways {
		if g != nil && g.Spec != nil {
			c.gwObjs[g.Namespace+"/"+g.Name] = g
		}
	}
}

// outsideRegistry reports whether host h (expanded) names no service for
// callers in namespace caller: it is neither a ServiceEntry host visible
// there, exactly or under a wildcard ServiceEntry host, nor a Kubernetes
// service name, whose services meshroute takes to exist (WithStrictRegistry).
func (c *compiler) outsideRegistry(caller, h string) bool {
	if ihost.IsWildcard(h) {
		return false
	}
	if _, _, ok := kubeServiceParts(h, c.opts.domain); ok {
		return false
	}
	for _, e := range c.seExport[h] {
		if e.visibleTo(caller) {
			return false
		}
	}
	for _, w := range c.seWild {
		if w.export.visibleTo(caller) && ihost.SubsetOf(h, w.host) {
			return false
		}
	}
	return true
}

func (c *compiler) problem(vs *VirtualService, field, rule string) {
	c.problems = append(c.problems, &Problem{
		Severity: SeverityError, Source: vs.Source, Object: vs.Ref(KindVirtualService),
		Field: field, Rule: rule, Code: "compile",
	})
}

func (c *compiler) compileVirtualServices() {
	vss := append([]*VirtualService(nil), c.cfg.VirtualServices...)
	sort.SliceStable(vss, func(i, j int) bool { return byCreation(&vss[i].Meta, &vss[j].Meta) })
	// Every route destination and host becomes at least one routeDest
	// (the Table adds one per host and view): size c.dests for them once
	// rather than growing it from nothing.
	dests := 0
	for _, vs := range vss {
		if vs == nil || vs.Spec == nil {
			continue
		}
		if len(vs.Spec.GetHosts()) == 0 {
			c.delegates[vs.Namespace+"/"+vs.Name] = vs
		}
		dests += len(vs.Spec.GetHosts())
		for _, r := range vs.Spec.GetHttp() {
			dests += len(r.GetRoute()) + len(r.GetMirrors()) + 1
		}
	}
	c.dests = slices.Grow(c.dests, dests)
	for _, vs := range vss {
		if vs == nil || vs.Spec == nil || len(vs.Spec.GetHosts()) == 0 {
			continue
		}
		cvs := c.vsArena.new()
		*cvs = compiledVS{
			ref:      vs.Ref(KindVirtualService),
			meta:     &vs.Meta,
			gateways: resolveGateways(vs.Spec.GetGateways(), vs.Namespace),
			export:   newExportSet(vs.Spec.GetExportTo(), vs.Namespace),
			order:    len(c.vss),
			hosts:    c.strLists.make(len(vs.Spec.GetHosts())),
			// A delegate can add rules: append reallocates then.
			http: c.ruleLists.make(len(vs.Spec.GetHttp())),
		}
		for _, h := range vs.Spec.GetHosts() {
			cvs.hosts = append(cvs.hosts, ihost.Expand(h, vs.Namespace, c.opts.domain))
		}
		for i, r := range vs.Spec.GetHttp() {
			if r == nil {
				continue
			}
			if r.GetDelegate() != nil {
				c.expandDelegate(vs, cvs, i, r)
				continue
			}
			c.ns = vs.Namespace
			rule, err := c.compileHTTPRule(cvs, i, r, ruleField{index: i})
			c.ns = ""
			if err != nil {
				c.problem(vs, "", err.Error())
				continue
			}
			cvs.http = append(cvs.http, rule)
		}
		for i, r := range vs.Spec.GetTcp() {
			rule, err := c.compileL4Rule(cvs, i, r.GetMatch(), nil, r.GetRoute(), vs.Namespace)
			if err != nil {
				c.problem(vs, fmt.Sprintf("spec.tcp[%d]", i), err.Error())
				continue
			}
			rule.section = SectionTCP
			cvs.tcp = append(cvs.tcp, rule)
		}
		for i, r := range vs.Spec.GetTls() {
			rule, err := c.compileL4Rule(cvs, i, nil, r.GetMatch(), r.GetRoute(), vs.Namespace)
			if err != nil {
				c.problem(vs, fmt.Sprintf("spec.tls[%d]", i), err.Error())
				continue
			}
			rule.section = SectionTLS
			cvs.tls = append(cvs.tls, rule)
		}
		cvs.http = full(cvs.http)
		c.vss = append(c.vss, cvs)
	}
}

// expandRouteHosts returns a copy of r whose destination and mirror hosts
// are expanded with namespace ns.
func expandRouteHosts(r *networking.HTTPRoute, ns, domain string) *networking.HTTPRoute {
	r = proto.Clone(r).(*networking.HTTPRoute)
	exp := func(d *networking.Destination) {
		if d != nil {
			d.Host = ihost.Expand(d.Host, ns, domain)
		}
	}
	for _, rd := range r.GetRoute() {
		exp(rd.GetDestination())
	}
	exp(r.GetMirror())
	for _, m := range r.GetMirrors() {
		exp(m.GetDestination())
	}
	return r
}

// knownNamespaces lists every namespace the configuration mentions: the
// caller namespaces that get their own view.
func (c *compiler) knownNamespaces() []string {
	set := map[string]bool{c.opts.namespace: true, rootNamespace: true}
	add := func(ns string) {
		if ns != "" && ns != "." && ns != "*" && ns != "~" {
			set[ns] = true
		}
	}
	addObject := func(ns string, exportTo []string) {
		add(ns)
		for _, e := range exportTo {
			add(e)
		}
	}
	for _, vs := range c.cfg.VirtualServices {
		if vs != nil {
			addObject(vs.Namespace, vs.Spec.GetExportTo())
		}
	}
	for _, dr := range c.cfg.DestinationRules {
		if dr != nil {
			addObject(dr.Namespace, dr.Spec.GetExportTo())
		}
	}
	for _, se := range c.cfg.ServiceEntries {
		if se != nil {
			addObject(se.Namespace, se.Spec.GetExportTo())
		}
	}
	for h := range c.seByHost {
		if _, ns, ok := kubeServiceParts(h, c.opts.domain); ok {
			add(ns)
		}
	}
	for _, vs := range c.vss {
		for _, h := range vs.hosts {
			if _, ns, ok := kubeServiceParts(h, c.opts.domain); ok {
				add(ns)
			}
		}
	}
	out := make([]string, 0, len(set))
	for ns := range set {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// knownGateways lists every gateway a VirtualService or one of its match
// clauses binds to, or the configuration defines, as "ns/name".
func (c *compiler) knownGateways() []string {
	set := map[string]bool{}
	for _, vs := range c.vss {
		for _, g := range vs.gateways {
			if g != match.MeshGateway {
				set[g] = true
			}
		}
		for _, r := range vs.http {
			for _, m := range r.matches {
				for _, g := range m.gateways {
					if g != match.MeshGateway {
						set[g] = true
					}
				}
			}
		}
	}
	for g := range c.gwObjs {
		set[g] = true
	}
	out := make([]string, 0, len(set))
	for g := range set {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}
