package route

import (
	"strings"
	"time"

	ihost "github.com/meshroute/meshroute/internal/host"
	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/policy"
)

// Reasons of decisions that do not forward.
const (
	reasonNoRoute      = "no route matched the request (Envoy 404, flag NR)"
	reasonNoVhost      = "no virtual host on this gateway serves the request's authority (Envoy 404, flag NR)"
	reasonUnknownGW    = "the gateway is not bound by any VirtualService (Envoy 404, flag NR)"
	reasonRegistryOnly = "the host is not in the service registry and the outbound policy is REGISTRY_ONLY (Envoy 502, BlackHole)"
)

// Decide returns what Envoy would do with the HTTP request req
// (virtualservice.md §1–§12): the virtual host is chosen by authority (port
// ignored, case-insensitive, exact before wildcard), then the first rule
// with a matching clause decides. A registry host no VirtualService claims
// takes Envoy's default route to itself; an unknown host passes through
// (AllowAny) or is refused with 502 (RegistryOnly); on a gateway it gets
// 404.
//
// The table's default timeout (TimeoutDefault) is not given to requests
// that ask for a protocol upgrade (WebSocket); the request view cannot tell
// a streaming gRPC call, so gRPC adapters drop a TimeoutDefault timeout for
// streams themselves.
//
// Decide allocates nothing unless the decision rewrites the path, builds a
// redirect Location, or the request carries a header with several values
// that a match reads.
func (t *Table) Decide(req *match.Request) (d Decision) {
	v := t.viewFor(req)
	if v == nil {
		return noRoute(reasonUnknownGW)
	}
	if len(v.httpsRedirects) > 0 && req.Scheme != "https" {
		if d, ok := v.redirectToHTTPS(req); ok {
			return d
		}
	}
	vh := v.findVhost(req.Authority)
	if vh == nil {
		return t.unknownHost(v, req)
	}
	if vh.defaultRoute != nil {
		t.defaultRoute(&d, v, vh, req)
		return d
	}
	e, rm, ok := vh.firstMatch(req)
	if !ok {
		return noRoute(reasonNoRoute)
	}
	// The decision is filled in place: it is large, and copying it
	// between frames is a measurable part of the request path.
	t.decideRule(&d, v, e, rm, req)
	return d
}

// firstMatch walks the virtual host's rules in order and returns the first
// rule with a matching clause (rm nil for a rule without match), through
// the host's ruleIndex when it has one (index.go).
func (vh *vhost) firstMatch(req *match.Request) (*routeEntry, *ruleMatch, bool) {
	if vh.index != nil {
		return vh.index.first(req)
	}
	for i := range vh.routes {
		e := &vh.routes[i]
		if rm, ok := e.matchRule(req); ok {
			return e, rm, true
		}
	}
	return nil, nil, false
}

// matchRule reports whether the entry's rule matches req (OR across its
// clauses) and which clause did.
func (e *routeEntry) matchRule(req *match.Request) (*ruleMatch, bool) {
	r := e.rule
	if len(r.matches) == 0 {
		return nil, e.vsLevel
	}
	for _, rm := range r.matches {
		if !e.vsLevel && rm.gateways == nil {
			continue
		}
		if rm.m.Match(req) {
			return rm, true
		}
	}
	return nil, false
}

func noRoute(reason string) Decision {
	return Decision{Action: ActionNoRoute, Status: 404, Reason: reason, Rule: RuleRef{Index: -1, MatchIndex: -1}}
}

// unknownHost decides for an authority no virtual host serves.
func (t *Table) unknownHost(v *view, req *match.Request) Decision {
	if v.isGateway {
		return noRoute(reasonNoVhost)
	}
	if t.opts.outbound == RegistryOnly {
		return Decision{Action: ActionUnavailable, Status: 502, Reason: reasonRegistryOnly, Rule: RuleRef{Index: -1, MatchIndex: -1}}
	}
	h, _ := splitAuthority(req.Authority)
	port := requestPort(req)
	d := Decision{
		Action: ActionRoute, Passthrough: true, Rule: RuleRef{Index: -1, MatchIndex: -1},
		Destination: Destination{Host: h, Port: port},
		Path:        req.Path, Authority: req.Authority,
		Target: policy.Target{Host: h, Port: port},
	}
	d.Retry = t.defaultRule.retry
	if d.Retry.Attempts > 0 {
		d.Retry.IgnorePreviousHosts = true
	}
	if t.opts.perRequestOverride {
		applyOverrides(&d, req)
	}
	return d
}

// defaultRoute decides for a registry host no VirtualService claims:
// Envoy's default route to the service, with the DestinationRule's
// top-level policy and the table's default timeout and retries.
func (t *Table) defaultRoute(d *Decision, v *view, vh *vhost, req *match.Request) {
	d.Action, d.DefaultRoute, d.Rule = ActionRoute, true, RuleRef{Index: -1, MatchIndex: -1}
	t.forward(d, v, t.defaultRule, vh.defaultRoute, nil, req)
}

// decideRule fills d (zero on entry) with the decision of a matched rule.
func (t *Table) decideRule(d *Decision, v *view, e *routeEntry, rm *ruleMatch, req *match.Request) {
	r := e.rule
	d.Action = r.action
	d.VirtualService = e.vs.ref
	d.Delegate = r.delegate
	d.Rule = RuleRef{Index: r.index, Name: r.name, MatchIndex: -1}
	d.CORS = r.cors
	if rm != nil {
		d.Rule.MatchIndex, d.Rule.MatchName = rm.index, rm.name
	}
	switch r.action {
	case ActionRedirect:
		d.Redirect = Redirect{Location: r.redirect.location(req, rm, match.NormalizePath(req.Path)), Code: r.redirect.code}
		d.Status = r.redirect.code
		d.ResponseHeaders = r.respHeaders
		return
	case ActionDirectResponse:
		d.DirectResponse = r.direct
		d.Status = r.direct.Status
		d.ResponseHeaders = r.respHeaders
		return
	}
	if r.fault != nil {
		d.Fault = r.fault.Sample(t.opts.rand.Uint64(), t.opts.rand.Uint64())
	}
	rd := r.dests[0]
	if len(r.dests) > 1 {
		rd = pickWeighted(r.dests, r.total, t.opts.rand.Uint64())
	}
	t.forward(d, v, r, rd, rm, req)
	if len(r.mirrors) > 0 {
		d.Mirrors = t.sampleMirrors(r, v)
		d.Mirrors.port = requestPort(req) // the listener port
	}
}

// pickWeighted draws r in [0, total) and takes the first destination whose
// cumulative weight exceeds it (Envoy weighted clusters).
func pickWeighted(ds []*routeDest, total, rnd uint64) *routeDest {
	x := rnd % total
	for _, d := range ds {
		if x < d.cum {
			return d
		}
	}
	return ds[len(ds)-1]
}

func (t *Table) sampleMirrors(r *httpRule, v *view) MirrorSet {
	ms := MirrorSet{all: r.mirrorsByView[v.id]}
	for i, m := range r.mirrors {
		if m.chance >= 1_000_000 || m.chance.Hit(t.opts.rand.Uint64()) {
			ms.mask |= 1 << uint(i)
		}
	}
	return ms
}

// setTarget fills d's destination, target and DestinationRule for rd as
// view v resolves it. The port is the destination's, else the
// ServiceEntry's only port, else the request's. A destination whose
// subset no DestinationRule defines makes d unavailable with the reason.
// It returns the resolved target and whether its policy hashes (consistent
// hash load balancing).
func setTarget(d *Decision, v *view, rd *routeDest, req *match.Request) (*targetInfo, bool) {
	ti := rd.targets[v.id]
	port := rd.dest.Port
	if port == 0 {
		port = ti.sePort
	}
	if port == 0 {
		port = requestPort(req)
	}
	d.Destination = Destination{Host: rd.dest.Host, Subset: rd.dest.Subset, Port: port}
	pol, hash := ti.policyFor(port)
	d.Target = policy.Target{Host: rd.dest.Host, Subset: rd.dest.Subset, Port: port, SubsetLabels: ti.labels, Policy: pol}
	d.DestinationRule = ti.dr
	if ti.undefined {
		d.Action, d.Reason = ActionUnavailable, ti.reason
	}
	return ti, hash
}

// forward fills destination, target, rewrite, timeout, retries and header
// operations of a forwarded request.
func (t *Table) forward(d *Decision, v *view, r *httpRule, rd *routeDest, rm *ruleMatch, req *match.Request) {
	ti, hash := setTarget(d, v, rd, req)
	if ti.undefined {
		d.Status = 503
	}

	// Envoy normalises the path (Istio's pathNormalization BASE) before
	// routing, and forwards the normalised path.
	path := match.NormalizePath(req.Path)
	d.Path, d.Authority = path, req.Authority
	if r.rewrite != nil {
		if p := r.rewrite.apply(path, rm); p != path {
			d.Path, d.OriginalPath = p, path
		}
	}
	if rd.authority != "" {
		d.Authority = rd.authority
	}
	d.RequestHeaders, d.ResponseHeaders = rd.reqOps, rd.respOps

	switch {
	case r.timeoutSet:
		d.Timeout = r.timeout
		if d.Timeout > 0 {
			d.TimeoutSource = TimeoutRoute
		}
	case t.opts.defaultTimeout > 0 && !isUpgrade(req):
		d.Timeout, d.TimeoutSource = t.opts.defaultTimeout, TimeoutDefault
	}

	d.Retry = r.retry
	if d.Retry.Attempts > 0 {
		switch r.retryIgnoreHosts {
		case 1:
			d.Retry.IgnorePreviousHosts = true
		case 2:
			d.Retry.IgnorePreviousHosts = false
		default:
			d.Retry.IgnorePreviousHosts = !hash
		}
	}
	if t.opts.perRequestOverride {
		applyOverrides(d, req)
	}
}

// Per-request override headers Envoy's router honours (virtualservice.md §8.1).
const (
	hdrTimeout       = "x-envoy-upstream-rq-timeout-ms"
	hdrTimeoutC      = "X-Envoy-Upstream-Rq-Timeout-Ms"
	hdrPerTryTimeout = "x-envoy-upstream-rq-per-try-timeout-ms"
	hdrPerTryC       = "X-Envoy-Upstream-Rq-Per-Try-Timeout-Ms"
	hdrMaxRetries    = "x-envoy-max-retries"
	hdrMaxRetriesC   = "X-Envoy-Max-Retries"
)

// applyOverrides applies x-envoy-upstream-rq-timeout-ms (0 = no timeout),
// x-envoy-upstream-rq-per-try-timeout-ms and x-envoy-max-retries (only
// when a retry policy exists, as Envoy). Malformed values are ignored.
func applyOverrides(d *Decision, req *match.Request) {
	if len(req.Header) == 0 && len(req.Metadata) == 0 {
		return
	}
	if ms, ok := headerUint(req, hdrTimeout, hdrTimeoutC); ok {
		d.Timeout = time.Duration(ms) * time.Millisecond
		d.TimeoutSource = TimeoutHeader
		if ms == 0 {
			d.TimeoutSource = TimeoutNone
		}
	}
	if ms, ok := headerUint(req, hdrPerTryTimeout, hdrPerTryC); ok && d.Retry.On != 0 {
		d.Retry.PerTryTimeout = time.Duration(ms) * time.Millisecond
	}
	if n, ok := headerUint(req, hdrMaxRetries, hdrMaxRetriesC); ok && d.Retry.On != 0 {
		d.Retry.Attempts = int(n)
	}
}

// headerUint parses a header holding a non-negative decimal integer.
func headerUint(req *match.Request, lower, canonical string) (uint64, bool) {
	v, vs, ok := req.HeaderValues(lower, canonical)
	if !ok || vs != nil || v == "" || len(v) > 12 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// isUpgrade reports whether the request asks for a protocol upgrade
// (WebSocket and the like): an Upgrade header, or "upgrade" among the
// Connection tokens. Such requests never get the default timeout.
func isUpgrade(req *match.Request) bool {
	if len(req.Header) == 0 && len(req.Metadata) == 0 {
		return false
	}
	if v, vs, ok := req.HeaderValues("upgrade", "Upgrade"); ok && (v != "" || len(vs) > 0) {
		return true
	}
	v, vs, ok := req.HeaderValues("connection", "Connection")
	if !ok {
		return false
	}
	if containsFold(v, "upgrade") {
		return true
	}
	for _, x := range vs {
		if containsFold(x, "upgrade") {
			return true
		}
	}
	return false
}

// containsFold reports whether s contains the lower-case ASCII word sub,
// ignoring case, without allocating.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for ; j < len(sub); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

// redirectToHTTPS answers a plain-HTTP request on a gateway server with
// tls.httpsRedirect with a 301 to the same host, path and query over
// https (Envoy require_tls: ALL); an explicit :80 is dropped.
func (v *view) redirectToHTTPS(req *match.Request) (Decision, bool) {
	port := requestPort(req)
	h, p := splitAuthority(req.Authority)
	lh := strings.ToLower(h)
	for _, hr := range v.httpsRedirects {
		if hr.port != 0 && port != 0 && hr.port != port {
			continue
		}
		for _, pat := range hr.hosts {
			if ihost.MatchesRequest(pat, lh) {
				authority := req.Authority
				if p == "80" {
					authority = h
				}
				loc := "https://" + authority + match.NormalizePath(req.Path)
				return Decision{Action: ActionRedirect, Status: 301, Redirect: Redirect{Location: loc, Code: 301},
					Reason: "the gateway server redirects plain HTTP to HTTPS (tls.httpsRedirect)", Rule: RuleRef{Index: -1, MatchIndex: -1}}, true
			}
		}
	}
	return Decision{}, false
}
