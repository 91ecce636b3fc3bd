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
// On a sidecar, a ServiceEntry host that declares ports has HTTP routes on
// its HTTP ports only (serviceentry.md "Ports", "Protocol"): on a port it
// does not declare, the request is for an unknown host; on a port
// declared TLS or HTTPS an https request is decided as DecideTLS decides
// its connection (the SNI being the authority's host), and other requests
// there, or on a port declared TCP (MONGO, ...), as DecideTCP does.
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
	t.decide(&d, req)
	return d
}

// DecideInto is Decide storing the decision in *d, all of which it
// overwrites: for callers that keep the decision in storage of their own
// (an adapter's pooled per-request state), it saves copying the
// 640-byte result.
func (t *Table) DecideInto(d *Decision, req *match.Request) {
	*d = Decision{}
	t.decide(d, req)
}

// decide is Decide on a zero *d. The decision is filled in place: it is
// large, and copying it between frames is a measurable part of the
// request path.
func (t *Table) decide(d *Decision, req *match.Request) {
	v := t.viewFor(req)
	if v == nil {
		d.setNoRoute(reasonUnknownGW)
		return
	}
	if len(v.httpsRedirects) > 0 && req.Scheme != "https" {
		if r, ok := v.redirectToHTTPS(req); ok {
			*d = r
			return
		}
	}
	h := v.findHost(req.Authority)
	if h.portScoped {
		if h.port80 {
			if p := requestPort(req); p != 0 && p != 80 {
				t.unknownHost(d, v, req)
				return
			}
		} else if l := v.listenerFor(req, h.vh); l != listenHTTP {
			t.decideOpaque(d, v, req, l)
			return
		}
	}
	if h.vh == nil {
		t.unknownHost(d, v, req)
		return
	}
	// Envoy normalises the path (Istio's pathNormalization BASE) before
	// routing, matches the path without its query, and forwards the
	// normalised path with the query.
	target, pathEnd := match.NormalizePathSplit(req.Path)
	if h.defaultPlan != nil {
		t.defaultRoute(d, v, h.defaultPlan, req, target)
		return
	}
	sl := h.firstMatch(req, target[:pathEnd])
	if sl == nil {
		d.setNoRoute(reasonNoRoute)
		return
	}
	t.decideRule(d, v, sl, req, target)
}

// firstMatch returns the first slot (clause) of the virtual host that
// matches req, whose normalised path without query is path, through the
// host's ruleIndex when it has one (index.go), else trying the slots in
// order; nil when none does.
func (h *hostRef) firstMatch(req *match.Request, path string) *slot {
	if h.index != nil {
		return h.index.first(req, path)
	}
	for i := range h.slots {
		if sl := &h.slots[i]; !sl.uriFails(path) && sl.restMatches(req, path) {
			return sl
		}
	}
	return nil
}

func noRoute(reason string) Decision {
	var d Decision
	d.setNoRoute(reason)
	return d
}

// setNoRoute makes the zero *d Envoy's 404 (flag NR) for reason, in
// place: a Decision is large, and building one to copy costs as much as
// the rest of a short decision.
func (d *Decision) setNoRoute(reason string) {
	d.Action, d.Status, d.Reason = ActionNoRoute, 404, reason
	d.Rule.Index, d.Rule.MatchIndex = -1, -1
}

// decideOpaque fills the zero *d for a request that reaches no HTTP route
// configuration of its host's sidecar: on a port the host does not
// declare, as for an unknown host; on a port declared TLS or HTTPS, as the
// TLS connection it is (DecideTLS, the SNI being the authority's host) if
// the request is https, else as opaque TCP; on a port declared with
// another protocol, as opaque TCP (DecideTCP). The request goes on
// unchanged: path and authority are its own.
func (t *Table) decideOpaque(d *Decision, v *view, req *match.Request, l portListener) {
	if l == listenNone {
		t.unknownHost(d, v, req)
		return
	}
	q, tls := opaqueConnection(req, l)
	if tls {
		*d = t.DecideTLS(&q)
	} else {
		*d = t.DecideTCP(&q)
	}
	d.Path, d.Authority = req.Path, req.Authority
}

// opaqueConnection is the connection request req is on a port its host's
// listener l (listenTLS or listenTCP) does not parse as HTTP: with the
// request's port, and the authority's host as SNI when it is TLS (an https
// request on a TLS or HTTPS port).
func opaqueConnection(req *match.Request, l portListener) (q match.Request, tls bool) {
	q = *req
	q.Port = requestPort(req) // as L4 matches read it
	if l == listenTLS && req.Scheme == "https" {
		q.SNI, _ = splitAuthority(req.Authority)
		return q, true
	}
	return q, false
}

// unknownHost fills the zero *d for an authority no virtual host serves.
func (t *Table) unknownHost(d *Decision, v *view, req *match.Request) {
	d.Rule.Index, d.Rule.MatchIndex = -1, -1
	if v.isGateway {
		d.setNoRoute(reasonNoVhost)
		return
	}
	if t.opts.outbound == RegistryOnly {
		d.Action, d.Status, d.Reason = ActionUnavailable, 502, reasonRegistryOnly
		return
	}
	h, _ := splitAuthority(req.Authority)
	port := requestPort(req)
	d.Action, d.Passthrough = ActionRoute, true
	d.Destination.Host, d.Destination.Port = h, port
	d.Target.Host, d.Target.Port = h, port
	d.Path, d.Authority = req.Path, req.Authority
	d.Retry = t.defaultRule.retry
	if d.Retry.Attempts > 0 {
		d.Retry.IgnorePreviousHosts = true
	}
	if t.opts.perRequestOverride {
		applyOverrides(d, req)
	}
}

// defaultRoute decides for a registry host no VirtualService claims:
// Envoy's default route to the service, with the DestinationRule's
// top-level policy and the table's default timeout and retries.
func (t *Table) defaultRoute(d *Decision, v *view, p *rulePlan, req *match.Request, target string) {
	d.Action, d.DefaultRoute, d.Rule = ActionRoute, true, RuleRef{Index: -1, MatchIndex: -1}
	t.forward(d, v, p, &p.dest0, nil, req, target)
}

// decideRule fills d (zero on entry) with the decision of the rule whose
// clause sl matched; target is the request's normalised path and query.
func (t *Table) decideRule(d *Decision, v *view, sl *slot, req *match.Request, target string) {
	p := sl.plan
	d.Action = p.action
	d.VirtualService = p.vs
	if p.delegate != nil {
		d.Delegate = *p.delegate
	}
	// Fields one by one rather than composite literals: a literal stored
	// through a pointer is built in a temporary and then copied.
	d.Rule.Index, d.Rule.Name = int(p.index), p.name
	d.Rule.MatchIndex, d.Rule.MatchName = int(sl.matchIndex), sl.matchName()
	d.CORS = p.cors
	switch p.action {
	case ActionRedirect:
		r := p.rule
		d.Redirect = Redirect{Location: r.redirect.location(req, sl.rm, target), Code: r.redirect.code}
		d.Status = r.redirect.code
		d.ResponseHeaders = r.respHeaders
		return
	case ActionDirectResponse:
		r := p.rule
		d.DirectResponse = r.direct
		d.Status = r.direct.Status
		d.ResponseHeaders = r.respHeaders
		return
	}
	if p.fault != nil {
		d.Fault = p.fault.Sample(t.opts.rand.Uint64(), t.opts.rand.Uint64())
	}
	dp := &p.dest0
	if p.dests != nil {
		dp = pickPlanDest(p.dests, p.total, t.opts.rand.Uint64())
	}
	t.forward(d, v, p, dp, sl.rm, req, target)
	if p.mirrors {
		d.Mirrors = t.sampleMirrors(p.rule, v)
		d.Mirrors.port = requestPort(req) // the listener port
		d.Mirrors.workload = req.SourceLabels
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

// pickPlanDest is pickWeighted on a plan's destinations.
func pickPlanDest(ds []destPlan, total, rnd uint64) *destPlan {
	x := rnd % total
	for i := range ds {
		if x < ds[i].cum {
			return &ds[i]
		}
	}
	return &ds[len(ds)-1]
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

// setTarget fills d's destination, target and DestinationRule for a
// destination dest resolved to ti. The port is the destination's, else the
// ServiceEntry's only port, else the request's. A destination whose
// subset no DestinationRule defines makes d unavailable with the reason.
// It reports whether the target's policy hashes (consistent hash load
// balancing).
func setTarget(d *Decision, ti *targetInfo, dest Destination, req *match.Request) bool {
	port := dest.Port
	if port == 0 {
		port = ti.sePort
	}
	if port == 0 {
		port = requestPort(req)
	}
	d.Destination = Destination{Host: dest.Host, Subset: dest.Subset, Port: port}
	pol, hash := ti.policyFor(port)
	d.Target = policy.Target{Host: dest.Host, Subset: dest.Subset, Port: port, SubsetLabels: ti.labels, Policy: pol}
	d.DestinationRule = ti.dr
	if ti.undefined {
		d.Action, d.Reason = ActionUnavailable, ti.reason
	}
	return hash
}

// forward fills destination, target, rewrite, timeout, retries and header
// operations of a request forwarded by plan p to its destination dp; rm is
// the clause that matched (nil for none), path the normalised request
// target (path and query).
func (t *Table) forward(d *Decision, v *view, p *rulePlan, dp *destPlan, rm *ruleMatch, req *match.Request, path string) {
	var hash bool
	if dp.fixed {
		d.Destination = dp.dest
		d.Destination.Port = dp.fixedPort
		d.Target.Host, d.Target.Subset, d.Target.Port = dp.dest.Host, dp.dest.Subset, dp.fixedPort
		d.Target.SubsetLabels, d.Target.Policy = dp.fixedLabels, dp.fixedPolicy
		if dp.fixedDR != nil {
			d.DestinationRule = *dp.fixedDR
		}
		hash = dp.fixedHash
		if dp.fixedUndefined {
			d.Action, d.Reason, d.Status = ActionUnavailable, dp.ti.reason, 503
		}
	} else {
		ti := dp.target(v)
		if ti.selected != nil {
			ti = ti.forWorkload(req.SourceLabels)
		}
		hash = setTarget(d, ti, dp.dest, req)
		if ti.undefined {
			d.Status = 503
		}
	}

	d.Path, d.Authority = path, req.Authority
	if p.rewrite != nil {
		if np := p.rewrite.apply(path, rm); np != path {
			d.Path, d.OriginalPath = np, path
		}
	}
	if dp.authority != "" {
		d.Authority = dp.authority
	}
	d.RequestHeaders, d.ResponseHeaders = dp.reqOps, dp.respOps

	switch {
	case p.timeoutSet:
		d.Timeout = p.timeout
		if d.Timeout > 0 {
			d.TimeoutSource = TimeoutRoute
		}
	case t.opts.defaultTimeout > 0 && !isUpgrade(req):
		d.Timeout, d.TimeoutSource = t.opts.defaultTimeout, TimeoutDefault
	}

	d.Retry = *p.retry
	if d.Retry.Attempts > 0 {
		switch p.retryIgnoreHosts {
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
	if d.Retry.On == 0 {
		return // the retry headers need a retry policy: no lookups
	}
	if ms, ok := headerUint(req, hdrPerTryTimeout, hdrPerTryC); ok {
		d.Retry.PerTryTimeout = time.Duration(ms) * time.Millisecond
	}
	if n, ok := headerUint(req, hdrMaxRetries, hdrMaxRetriesC); ok {
		d.Retry.Attempts = int(n)
	}
}

// headerUint parses a header holding one non-negative decimal integer.
func headerUint(req *match.Request, lower, canonical string) (uint64, bool) {
	vs, ok := rawHeader(req, lower, canonical)
	if !ok || len(vs) != 1 || vs[0] == "" || len(vs[0]) > 12 {
		return 0, false
	}
	v := vs[0]
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

// rawHeader returns the values of the ordinary (not pseudo) header whose
// lower-case and canonical names are given, from Header when the request
// has one, else from Metadata: Request.HeaderValues without its checks for
// pseudo-headers, for the fixed names the request path reads on every
// decision.
func rawHeader(req *match.Request, lower, canonical string) ([]string, bool) {
	if req.Header != nil {
		vs, ok := req.Header[canonical]
		return vs, ok
	}
	vs, ok := req.Metadata[lower]
	return vs, ok
}

// isUpgrade reports whether the request asks for a protocol upgrade
// (WebSocket and the like) as Envoy's Utility::isUpgrade sees it: an
// Upgrade header, and "upgrade" among the comma-separated Connection
// tokens (any case). Such requests never get the default timeout.
func isUpgrade(req *match.Request) bool {
	if len(req.Header) == 0 && len(req.Metadata) == 0 {
		return false
	}
	if _, ok := rawHeader(req, "upgrade", "Upgrade"); !ok {
		return false
	}
	vs, _ := rawHeader(req, "connection", "Connection")
	for _, v := range vs {
		if hasTokenFold(v, "upgrade") {
			return true
		}
	}
	return false
}

// hasTokenFold reports whether the comma-separated list s has the
// lower-case token tok, ignoring ASCII case and the spaces and tabs around
// each element.
func hasTokenFold(s, tok string) bool {
	for s != "" {
		elem := s
		if i := strings.IndexByte(s, ','); i >= 0 {
			elem, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		elem = strings.Trim(elem, " \t")
		if len(elem) == len(tok) && containsFold(elem, tok) {
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
