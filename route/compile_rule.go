package route

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/fault"
	ihost "github.com/meshroute/meshroute/internal/host"
	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/policy"
)

// compiledVS is one VirtualService after compilation: expanded hosts,
// resolved gateways, visibility and compiled rules (delegates expanded).
type compiledVS struct {
	ref      ObjectRef
	meta     *Meta
	hosts    []string // expanded, lower-case
	gateways []string // "mesh" or "ns/name"
	export   exportSet
	http     []*httpRule
	tcp      []*l4Rule
	tls      []*l4Rule
	order    int // position in Istio's precedence order
}

// httpRule is one compiled HTTPRoute.
type httpRule struct {
	index    int    // in the VirtualService's (expanded) http list
	name     string // route name; "root-delegate" for delegated rules
	delegate ObjectRef
	matches  []*ruleMatch // empty: matches every request
	catchAll bool

	action   Action
	dests    []*routeDest // weight-0 entries of a weighted route dropped
	total    uint64       // sum of weights of dests (weighted routes)
	redirect *redirectSpec
	direct   DirectResponse
	rewrite  *rewriteSpec

	timeout    time.Duration
	timeoutSet bool
	retry      Retry
	// retryIgnoreHosts is the route's retryIgnorePreviousHosts: 0 unset,
	// 1 true, 2 false.
	retryIgnoreHosts uint8

	fault   *fault.Spec
	mirrors []*mirrorSpec
	// mirrorsByView are the mirrors resolved per view (Decision.Mirrors).
	mirrorsByView [][]Mirror
	cors          *CORSPolicy

	// respHeaders are the route-level response header operations, for
	// redirect and direct responses (forwarded routes carry theirs per
	// destination).
	reqHeaders  HeaderOps
	respHeaders HeaderOps
	authority   string // route-level authority rewrite, "" when none

	// plan is the rule's decide-time form (plan.go), set when the table
	// is built.
	plan *rulePlan
}

// ruleMatch is one match clause of a rule.
type ruleMatch struct {
	index int
	name  string
	m     *match.HTTPMatch // concrete, so Decide's request does not escape
	// uri is the clause's uri matcher (prefix "/" when it sets none), for
	// the prefix rewrite (virtualservice.md §5.1).
	uri match.StringMatcher
	// gateways are the clause's own gateways, resolved; nil when it sets
	// none (then the VirtualService's apply).
	gateways []string
}

// routeDest is one destination of a rule (or the default route of a
// registry host, or a mirror target).
type routeDest struct {
	dest      Destination // as configured; Port 0 ⇒ decided per request
	weight    uint64
	cum       uint64 // cumulative weight, for the weighted pick
	reqOps    HeaderOps
	respOps   HeaderOps
	authority string // authority rewrite in force for this destination
	// targets holds the resolved cluster per view (DestinationRule lookup
	// depends on the caller's namespace).
	targets []*targetInfo
}

// mirrorSpec is one compiled mirror target.
type mirrorSpec struct {
	dest   *routeDest
	chance fault.PerMillion
}

// l4Rule is one compiled TCPRoute or TLSRoute.
type l4Rule struct {
	index   int
	section RuleSection // SectionTCP or SectionTLS
	matches []*l4Match
	dests   []*routeDest
	total   uint64
}

func durationOf(d interface{ AsDuration() time.Duration }) time.Duration {
	return d.AsDuration()
}

// ruleField names the rule compileHTTPRule compiles in its errors:
// "spec.http[index]", and for a route of a delegate
// "spec.http[index] (delegate ns/name spec.http[delIndex])". It becomes a
// string only when an error is reported.
type ruleField struct {
	index    int
	delegate *VirtualService // nil unless the rule comes from a delegate
	delIndex int
}

// String returns the field as errors print it.
func (f ruleField) String() string {
	s := "spec.http[" + strconv.Itoa(f.index) + "]"
	if f.delegate != nil {
		s += " (delegate " + f.delegate.Namespace + "/" + f.delegate.Name + " spec.http[" + strconv.Itoa(f.delIndex) + "])"
	}
	return s
}

// compileHTTPRule compiles one HTTPRoute whose hosts are already expanded.
func (c *compiler) compileHTTPRule(vs *compiledVS, index int, r *networking.HTTPRoute, field ruleField) (*httpRule, error) {
	rule := c.ruleArena.new()
	rule.index, rule.name = index, r.GetName()
	rule.matches = c.matchLists.make(len(r.GetMatch()))
	for i, m := range r.GetMatch() {
		if m == nil {
			continue
		}
		var gws []string
		for _, g := range m.GetGateways() {
			gws = append(gws, resolveGateway(g, vs.ref.Namespace))
		}
		hm, err := match.CompileHTTPMatch(m, gws, c.regexCompiler())
		if err != nil {
			return nil, fmt.Errorf("%s.match[%d]: %w", field, i, err)
		}
		rm := c.matchArena.new()
		*rm = ruleMatch{index: i, name: m.GetName(), m: hm, uri: hm.URI(), gateways: gws}
		rule.matches = append(rule.matches, rm)
		if hm.IsCatchAll() {
			rule.catchAll = true
		}
	}
	rule.matches = full(rule.matches)
	if len(rule.matches) == 0 {
		rule.catchAll = true
	}

	routeReq, routeAuth := compileHeaderOps(r.GetHeaders().GetRequest(), true)
	routeResp, _ := compileHeaderOps(r.GetHeaders().GetResponse(), false)
	if r.GetRewrite().GetAuthority() != "" {
		routeAuth = r.GetRewrite().GetAuthority()
	}
	rule.authority = routeAuth
	rule.reqHeaders = levels(routeReq)
	rule.respHeaders = levels(routeResp)

	switch {
	case r.GetRedirect() != nil:
		rule.action = ActionRedirect
		rule.redirect = compileRedirect(r.GetRedirect())
	case r.GetDirectResponse() != nil:
		rule.action = ActionDirectResponse
		rule.direct = DirectResponse{Status: int(r.GetDirectResponse().GetStatus())}
		if b := r.GetDirectResponse().GetBody(); b != nil {
			if s, ok := b.GetSpecifier().(*networking.HTTPBody_Bytes); ok {
				rule.direct.Body = string(s.Bytes)
			} else {
				rule.direct.Body = b.GetString_()
			}
		}
	case len(r.GetRoute()) > 0:
		rule.action = ActionRoute
		weighted := len(r.GetRoute()) > 1
		rule.dests = c.destLists.make(len(r.GetRoute()))
		for i, rd := range r.GetRoute() {
			if rd.GetDestination() == nil || rd.GetDestination().GetHost() == "" {
				return nil, fmt.Errorf("%s.route[%d].destination.host: is required", field, i)
			}
			if weighted && rd.GetWeight() <= 0 {
				continue // weight-0 entries get no traffic
			}
			dReq, dAuth := compileHeaderOps(rd.GetHeaders().GetRequest(), true)
			dResp, _ := compileHeaderOps(rd.GetHeaders().GetResponse(), false)
			d := c.newDest(rd.GetDestination())
			d.weight = uint64(rd.GetWeight())
			if !weighted {
				d.weight = 1
			}
			rule.total += d.weight
			d.cum = rule.total
			d.authority = routeAuth
			if d.authority == "" {
				d.authority = dAuth
			}
			if weighted {
				// The weighted-cluster level runs before the route level.
				d.reqOps = levels(dReq, routeReq)
				d.respOps = levels(dResp, routeResp)
			} else {
				// One list: route operations, then the destination's; the
				// removals of both run first.
				d.reqOps = mergeSingle(routeReq, dReq)
				d.respOps = mergeSingle(routeResp, dResp)
			}
			rule.dests = append(rule.dests, d)
		}
		rule.dests = full(rule.dests)
		if len(rule.dests) == 0 {
			return nil, fmt.Errorf("%s.route: the weights add up to 0", field)
		}
	default:
		return nil, fmt.Errorf("%s: HTTP route, redirect or direct_response is required", field)
	}

	if rw := r.GetRewrite(); rw != nil && (rw.GetUri() != "" || rw.GetUriRegexRewrite() != nil) {
		spec, err := compileRewrite(rw)
		if err != nil {
			return nil, fmt.Errorf("%s.rewrite: %w", field, err)
		}
		rule.rewrite = spec
	}
	if t := r.GetTimeout(); t != nil {
		rule.timeout, rule.timeoutSet = durationOf(t), true
	}
	rule.retry, rule.retryIgnoreHosts = c.compileRetry(r.GetRetries())
	if f := r.GetFault(); f != nil {
		spec, err := fault.CompileSpec(f, c.opts.faultDefaultChance)
		if err != nil {
			return nil, fmt.Errorf("%s.fault: %w", field, err)
		}
		rule.fault = spec
	}
	rule.mirrors = c.compileMirrors(r)
	if cp := r.GetCorsPolicy(); cp != nil {
		cors, err := compileCORS(cp)
		if err != nil {
			return nil, fmt.Errorf("%s.corsPolicy: %w", field, err)
		}
		rule.cors = cors
	}
	return rule, nil
}

// newDest registers a destination for per-view resolution.
// Its host is expanded with the namespace of the object being compiled
// (c.ns).
func (c *compiler) newDest(d *networking.Destination) *routeDest {
	h := d.GetHost()
	if c.ns != "" {
		h = ihost.Expand(h, c.ns, c.opts.domain) // lower-cases h as well
	} else {
		h = strings.ToLower(h)
	}
	rd := c.destArena.new()
	*rd = routeDest{dest: Destination{Host: h, Subset: d.GetSubset(), Port: d.GetPort().GetNumber()}, weight: 1, cum: 1}
	c.dests = append(c.dests, rd)
	return rd
}

// compileMirrors compiles mirror (+mirrorPercentage / mirrorPercent) or
// mirrors[] (virtualservice.md §11). An explicit 0 disables a mirror.
func (c *compiler) compileMirrors(r *networking.HTTPRoute) []*mirrorSpec {
	var out []*mirrorSpec
	if m := r.GetMirror(); m != nil && m.GetHost() != "" {
		chance := fault.Million
		switch {
		case r.GetMirrorPercentage() != nil:
			chance = fault.FromPercent(r.GetMirrorPercentage().GetValue())
		case mirrorPercent(r) != nil:
			chance = fault.FromPercent(float64(mirrorPercent(r).GetValue()))
		}
		if chance > 0 {
			out = append(out, &mirrorSpec{dest: c.newDest(m), chance: chance})
		}
	}
	for _, mp := range r.GetMirrors() {
		if mp.GetDestination().GetHost() == "" {
			continue
		}
		chance := fault.Million
		if mp.GetPercentage() != nil {
			chance = fault.FromPercent(mp.GetPercentage().GetValue())
		}
		if chance > 0 {
			out = append(out, &mirrorSpec{dest: c.newDest(mp.GetDestination()), chance: chance})
		}
	}
	if len(out) > 64 {
		out = out[:64] // MirrorSet keeps one bit per mirror
	}
	return out
}

// compileHeaderOps compiles one level of header operations (spec §9):
// names canonical, set then add sorted by name, empty values dropped. For
// request operations, host and :authority keys become the returned
// authority rewrite (set beats add) and other pseudo-headers are dropped.
func compileHeaderOps(h *networking.Headers_HeaderOperations, request bool) (*headerOps, string) {
	if h == nil {
		return nil, ""
	}
	ops := &headerOps{}
	var authSet, authAdd string
	for _, n := range h.GetRemove() {
		if n == "" || strings.HasPrefix(n, ":") {
			continue
		}
		ops.remove = append(ops.remove, match.CanonicalHeaderKey(strings.ToLower(n)))
	}
	collect := func(m map[string]string, auth *string) []HeaderValue {
		var out []HeaderValue
		for _, k := range keysInOrder(m) {
			v := m[k]
			lk := strings.ToLower(k)
			if request && (lk == "host" || lk == ":authority") {
				if v != "" {
					*auth = v
				}
				continue
			}
			if v == "" || strings.HasPrefix(k, ":") {
				continue
			}
			out = append(out, HeaderValue{Name: match.CanonicalHeaderKey(lk), Value: v})
		}
		return out
	}
	ops.set = collect(h.GetSet(), &authSet)
	ops.add = collect(h.GetAdd(), &authAdd)
	auth := authSet
	if auth == "" {
		auth = authAdd
	}
	if len(ops.remove) == 0 && len(ops.set) == 0 && len(ops.add) == 0 {
		return nil, auth
	}
	return ops.withLowerNames(), auth
}

// levels builds a HeaderOps applying the non-nil levels in order.
func levels(ls ...*headerOps) HeaderOps {
	var out HeaderOps
	for _, l := range ls {
		if l != nil {
			out.levels = append(out.levels, l)
		}
	}
	return out
}

// mergeSingle merges route and destination operations of a single
// destination into Envoy's one list: every removal first, then the route's
// set and add, then the destination's set and add.
func mergeSingle(route, dest *headerOps) HeaderOps {
	if route == nil || dest == nil {
		return levels(route, dest)
	}
	first := &headerOps{set: route.set, add: route.add}
	first.remove = append(append([]string{}, route.remove...), dest.remove...)
	second := &headerOps{set: dest.set, add: dest.add}
	return levels(first.withLowerNames(), second.withLowerNames())
}

// buildMirrors resolves the rule's mirrors for every view.
func (r *httpRule) buildMirrors(views int, shadow bool) {
	if len(r.mirrors) == 0 {
		return
	}
	r.mirrorsByView = make([][]Mirror, views)
	for v := range r.mirrorsByView {
		ms := make([]Mirror, len(r.mirrors))
		for i, m := range r.mirrors {
			ti := m.dest.targets[v]
			port := m.dest.dest.Port
			if port == 0 {
				port = ti.sePort
			}
			pol, _ := ti.policyFor(port)
			dest := m.dest.dest
			dest.Port = port
			ms[i] = Mirror{
				Destination:  dest,
				Chance:       m.chance,
				ShadowSuffix: shadow,
				Target:       policy.Target{Host: dest.Host, Subset: dest.Subset, Port: port, SubsetLabels: ti.labels, Policy: pol},
				target:       ti,
			}
		}
		r.mirrorsByView[v] = ms
	}
}

// mirrorPercent returns the deprecated mirrorPercent, still honoured when
// mirrorPercentage is absent (virtualservice.md §11).
func mirrorPercent(r *networking.HTTPRoute) interface{ GetValue() uint32 } {
	//lint:ignore SA1019 honoured on purpose, with a deprecation warning from Validate
	if p := r.GetMirrorPercent(); p != nil {
		return p
	}
	return nil
}
