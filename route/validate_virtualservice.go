package route

import (
	"slices"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/internal/host"
)

// meshGateway is the reserved gateway name for all sidecars.
const meshGateway = "mesh"

// virtualService applies Istio's VirtualService rules (virtualservice.md
// §1–15) and the per-object outage warnings.
func (v *validator) virtualService(vs *VirtualService) {
	v.object(&vs.Meta, KindVirtualService)
	v.metaName(&vs.Meta, KindVirtualService)
	s := vs.Spec
	if s == nil {
		v.errf("spec-required", field("spec"), "", "is required")
		return
	}
	delegate := len(s.Hosts) == 0
	if delegate {
		if len(s.Gateways) > 0 {
			v.errf("delegate-gateways", field("spec.gateways"), "", "must be empty: a VirtualService without hosts is a delegate, and delegates take the root's gateways")
		}
		if len(s.Tls) > 0 {
			v.errf("delegate-l4", field("spec.tls"), "", "must be empty: a VirtualService without hosts is a delegate, and only HTTP routes can be delegated")
		}
		if len(s.Tcp) > 0 {
			v.errf("delegate-l4", field("spec.tcp"), "", "must be empty: a VirtualService without hosts is a delegate, and only HTTP routes can be delegated")
		}
	}
	appliesToMesh, appliesToGateway := true, false
	if len(s.Gateways) > 0 {
		v.gatewayNames(field("spec.gateways"), s.Gateways)
		appliesToGateway = !slices.Contains(s.Gateways, meshGateway)
		appliesToMesh = !appliesToGateway
	}
	if !appliesToGateway {
		for i, r := range s.Http {
			for j, m := range r.GetMatch() {
				rf := fieldAt("spec.http", i)
				mf := rf.at(".match", j)
				for _, k := range sortedKeys(m.GetHeaders()) {
					if isJWTClaim(k) {
						v.errf("jwt-claim-mesh", mf.key(".headers", k), "", "matches a JWT claim, which only gateways support; this VirtualService applies to the mesh")
					}
				}
				for _, k := range sortedKeys(m.GetWithoutHeaders()) {
					if isJWTClaim(k) {
						v.errf("jwt-claim-mesh", mf.key(".withoutHeaders", k), "", "matches a JWT claim, which only gateways support; this VirtualService applies to the mesh")
					}
				}
			}
		}
	}
	allValid := true
	sni := hasSNIHosts(s)
	for i, h := range s.Hosts {
		f := fieldAt("spec.hosts", i)
		if appliesToGateway && sni && strings.HasPrefix(h, "outbound_") {
			continue // auto-generated outbound_.<port>_._.<host> SNI names
		}
		if !v.hostName("host", f, h, true) {
			allValid = false
		} else if appliesToMesh && h == "*" {
			v.errf("host-wildcard-mesh", f, q(h), `is not allowed for a VirtualService that applies to the mesh (gateways empty or listing "mesh"); name the hosts`)
			allValid = false
		}
	}
	if allValid {
		for i := range s.Hosts {
			for j := i + 1; j < len(s.Hosts); j++ {
				if host.Matches(s.Hosts[i], s.Hosts[j]) {
					v.errf("host-duplicate", fieldAt("spec.hosts", j), q(s.Hosts[j]), "overlaps %q (spec.hosts[%d]); each host may appear once", s.Hosts[i], i)
				}
			}
		}
	}
	if len(s.Http) == 0 && len(s.Tcp) == 0 && len(s.Tls) == 0 {
		v.errf("no-routes", field("spec"), "", "needs at least one of http, tcp or tls routes")
	}
	for i, r := range s.Http {
		f := fieldAt("spec.http", i)
		if r == nil {
			v.errf("null", f, "", "must not be null")
			continue
		}
		v.httpRoute(f, r, delegate)
	}
	for i, r := range s.Tls {
		v.tlsRoute(fieldAt("spec.tls", i), r, s, appliesToGateway)
	}
	for i, r := range s.Tcp {
		v.tcpRoute(fieldAt("spec.tcp", i), r)
	}
	v.exportTo(field("spec.exportTo"), vs.Namespace, s.ExportTo, false, false)
	v.unreachableHTTP(s.Http)
	v.unreachableL4(s)
	v.semanticsWarnings(s)
}

// hasSNIHosts reports whether any TLS route matches on SNI.
func hasSNIHosts(s *networking.VirtualService) bool {
	for _, t := range s.Tls {
		for _, m := range t.GetMatch() {
			if len(m.GetSniHosts()) > 0 {
				return true
			}
		}
	}
	return false
}

// isJWTClaim reports whether a header key names a JWT claim
// ("@request.auth.claims.a.b" or "@request.auth.claims[a][b]").
func isJWTClaim(k string) bool {
	rest, ok := strings.CutPrefix(k, "@request.auth.claims")
	return ok && (strings.HasPrefix(rest, ".") && len(rest) > 1 || strings.HasPrefix(rest, "[") && strings.HasSuffix(rest, "]"))
}

// httpRoute applies the HTTPRoute rules.
func (v *validator) httpRoute(f fieldPath, r *networking.HTTPRoute, inDelegate bool) {
	root := r.Delegate != nil && !inDelegate
	switch {
	case root:
		if r.Redirect != nil {
			v.errf("root-route-action", f.dot(".redirect"), "", "must not be set on a route that delegates")
		}
		if r.Route != nil {
			v.errf("root-route-action", f.dot(".route"), "", "must not be set on a route that delegates")
		}
	default:
		if inDelegate && r.Delegate != nil {
			v.errf("delegate-nested", f.dot(".delegate"), "", "is not allowed in a delegate VirtualService: only one level of delegation")
		}
		v.routeActions(f, r)
	}
	v.httpMatches(f, r)
	v.headerOps(f.dot(".headers"), r.Headers)
	v.cors(f.dot(".corsPolicy"), r.CorsPolicy)
	v.fault(f.dot(".fault"), r.Fault)
	//lint:ignore SA1019 validation checks and warns about the deprecated field
	if mp := r.MirrorPercent; mp != nil {
		if mp.GetValue() > 100 {
			v.errf("percentage", f.dot(".mirrorPercent"), num(mp.GetValue()), "is out of range [0, 100]")
		}
		v.warnf("deprecated-field", f.dot(".mirrorPercent"), "", `is deprecated; use "mirrorPercentage: {value: N}"`)
	}
	if p := r.MirrorPercentage; p != nil && (p.Value < 0 || p.Value > 100) {
		v.errf("percentage", f.dot(".mirrorPercentage.value"), float(p.Value), "is out of range [0, 100]")
	}
	if r.Mirror != nil {
		v.destination(f.dot(".mirror"), r.Mirror)
	}
	if r.Mirror != nil && len(r.Mirrors) > 0 {
		v.errf("mirror-conflict", f.dot(".mirrors"), "", "cannot be set together with mirror; move the mirror into mirrors")
	}
	for i, m := range r.Mirrors {
		mf := f.at(".mirrors", i)
		switch {
		case m == nil:
			v.errf("null", mf, "", "must not be null")
		case m.Destination == nil:
			v.errf("destination-required", mf.dot(".destination"), "", "is required")
		default:
			v.destination(mf.dot(".destination"), m.Destination)
			if p := m.Percentage; p != nil && (p.Value < 0 || p.Value > 100) {
				v.errf("percentage", mf.dot(".percentage.value"), float(p.Value), "is out of range [0, 100]")
			}
		}
	}
	v.redirect(f.dot(".redirect"), r.Redirect, r.Match)
	v.directResponse(f.dot(".directResponse"), r.DirectResponse)
	v.retries(f.dot(".retries"), r.Retries)
	v.rewrite(f.dot(".rewrite"), r.Rewrite)
	v.authorityOnce(f, r.Rewrite, r.Headers)
	v.httpDestinations(f.dot(".route"), r.Route)
	if r.Timeout != nil {
		v.duration(f.dot(".timeout"), r.Timeout)
	}
	v.rewriteSlashes(f, r)
	v.uriFields(f, r)
}

// routeActions checks that a route has exactly one action.
func (v *validator) routeActions(f fieldPath, r *networking.HTTPRoute) {
	conflict := func(a, b string) {
		v.errf("route-action-conflict", f, "", "cannot set both %s and %s: a route forwards, redirects or responds directly", a, b)
	}
	switch {
	case r.Redirect != nil:
		if len(r.Route) > 0 {
			conflict("route", "redirect")
		}
		if r.Fault != nil {
			conflict("fault", "redirect")
		}
		if r.Rewrite != nil {
			conflict("rewrite", "redirect")
		}
		if r.DirectResponse != nil {
			conflict("directResponse", "redirect")
		}
	case r.DirectResponse != nil:
		if len(r.Route) > 0 {
			conflict("route", "directResponse")
		}
		if r.Fault != nil {
			conflict("fault", "directResponse")
		}
		if r.Rewrite != nil {
			conflict("rewrite", "directResponse")
		}
	case len(r.Route) == 0:
		v.errf("route-action-missing", f, "", "needs one of route, redirect or directResponse")
	}
}

// destination checks a Destination (route, mirror).
func (v *validator) destination(f fieldPath, d *networking.Destination) {
	if d == nil {
		return
	}
	if d.Host == "*" {
		v.errf("destination-host", f.dot(".host"), q(d.Host), `is not allowed: a destination names one host`)
	} else {
		v.hostName("destination-host", f.dot(".host"), d.Host, false)
	}
	if d.Subset != "" && !host.IsDNS1123Label(d.Subset) {
		v.errf("subset-name", f.dot(".subset"), q(d.Subset), "is not a valid subset name: a DNS-1123 label")
	}
	if d.Port != nil {
		v.port(f.dot(".port.number"), d.Port.Number)
	}
}

// httpDestinations checks weighted HTTP destinations.
func (v *validator) httpDestinations(f fieldPath, ds []*networking.HTTPRouteDestination) {
	var total int64
	for i, d := range ds {
		df := f.at("", i)
		if d == nil {
			v.errf("null", df, "", "must not be null")
			continue
		}
		if d.Destination == nil {
			v.errf("destination-required", df.dot(".destination"), "", "is required")
		}
		v.headerOps(df.dot(".headers"), d.Headers)
		v.destination(df.dot(".destination"), d.Destination)
		v.weight(df.dot(".weight"), d.Weight)
		total += int64(d.Weight)
	}
	v.weightTotal(f, len(ds), total)
}

// weight checks one destination weight.
func (v *validator) weight(f fieldPath, w int32) {
	if w < 0 {
		v.errf("weight-range", f, num(w), "is out of range: a weight must be 0 or more (weights are relative)")
	}
}

// weightTotal checks the weights of a destination list: more than one
// destination with a total of 0 is rejected; a total other than 100 is
// allowed (weights are relative since Istio 1.15) but warned, as the seeds
// require 100.
func (v *validator) weightTotal(f fieldPath, n int, total int64) {
	switch {
	case n > 1 && total == 0:
		v.errf("weight-total-zero", f, "", "has %d destinations whose weights add up to 0: no destination can be picked", n)
	case n > 1 && total != 100:
		v.warnf("weight-total", f, "", "weights add up to %d, not 100: each destination gets weight/%d of the traffic (relative weights, Istio ≥ 1.15; older Istio rejects this)", total, total)
	}
}

// redirect checks an HTTPRedirect.
func (v *validator) redirect(f fieldPath, r *networking.HTTPRedirect, matches []*networking.HTTPMatchRequest) {
	if r == nil {
		return
	}
	if r.Uri != "" && r.PrefixRewrite != "" {
		v.errf("redirect", f, "", "may set only one of uri and prefixRewrite")
	}
	if r.PrefixRewrite != "" {
		for i, m := range matches {
			if _, isPrefix := m.GetUri().GetMatchType().(*networking.StringMatch_Prefix); m.GetUri() != nil && !isPrefix {
				v.errf("redirect", f.dot(".prefixRewrite"), "", "needs every uri match of the route to be a prefix match, but match[%d].uri is not", i)
			}
		}
	}
	if r.Uri == "" && r.PrefixRewrite == "" && r.Authority == "" && r.RedirectPort == nil && r.Scheme == "" {
		v.errf("redirect", f, "", "must set at least one of uri, prefixRewrite, authority, scheme or port")
	}
	if r.RedirectCode != 0 && (r.RedirectCode < 300 || r.RedirectCode > 399) {
		v.errf("redirect-code", f.dot(".redirectCode"), num(r.RedirectCode), "is not a redirect status: it must be 3xx")
	} else if r.RedirectCode != 0 && !slices.Contains([]uint32{301, 302, 303, 307, 308}, r.RedirectCode) {
		v.warnf("redirect-code", f.dot(".redirectCode"), num(r.RedirectCode), "is not supported by Envoy (301, 302, 303, 307, 308 are); Istio emits a broken route")
	}
	if r.Scheme != "" && r.Scheme != "http" && r.Scheme != "https" {
		v.errf("redirect-scheme", f.dot(".scheme"), q(r.Scheme), `must be "http" or "https"`)
	}
	if p := r.GetPort(); p > 0 {
		v.port(f.dot(".port"), p)
	}
}

// directResponse checks an HTTPDirectResponse.
func (v *validator) directResponse(f fieldPath, d *networking.HTTPDirectResponse) {
	if d == nil {
		return
	}
	if b := d.Body; b != nil {
		size := len(b.GetString_()) + len(b.GetBytes())
		switch {
		case size > 1<<20:
			v.errf("direct-response-body", f.dot(".body"), "", "is %d bytes; Istio accepts at most 1 MiB", size)
		case size > 100<<10:
			v.warnf("direct-response-body", f.dot(".body"), "", "is %d bytes; large bodies burden the control plane (warned above 100 KiB)", size)
		}
	}
	v.httpStatus("direct-response-status", f.dot(".status"), int64(d.Status))
}

// httpStatus checks a status code is within 200..600.
func (v *validator) httpStatus(code string, f fieldPath, s int64) {
	if s < 200 || s > 600 {
		v.errf(code, f, num(s), "is out of range [200, 599] for an HTTP status")
	}
}

// rewrite checks an HTTPRewrite.
func (v *validator) rewrite(f fieldPath, r *networking.HTTPRewrite) {
	if r == nil {
		return
	}
	if r.Uri != "" && r.UriRegexRewrite != nil {
		v.errf("rewrite", f, "", "may set only one of uri and uriRegexRewrite")
	}
	if r.Uri == "" && r.UriRegexRewrite == nil && r.Authority == "" {
		v.errf("rewrite", f, "", "must set at least one of uri, uriRegexRewrite or authority")
	}
	if rr := r.UriRegexRewrite; rr != nil {
		if rr.Match == "" || rr.Rewrite == "" {
			v.errf("rewrite", f.dot(".uriRegexRewrite"), "", "needs both match and rewrite")
		}
		if rr.Match != "" {
			v.regex("regex", f.dot(".uriRegexRewrite.match"), rr.Match)
		}
	}
}

// authorityOnce checks the authority is rewritten in one place only.
func (v *validator) authorityOnce(f fieldPath, rw *networking.HTTPRewrite, h *networking.Headers) {
	current := rw.GetAuthority()
	for _, op := range []struct {
		name string
		m    map[string]string
	}{{"set", h.GetRequest().GetSet()}, {"add", h.GetRequest().GetAdd()}} {
		for _, k := range sortedKeys(op.m) {
			if !isAuthorityHeader(k) {
				continue
			}
			if current != "" {
				v.errf("authority-twice", f.key(".headers.request."+op.name, k), q(op.m[k]),
					"sets the authority, which is already set to %q; set it in one place", current)
				return
			}
			current = op.m[k]
		}
	}
}

func isAuthorityHeader(k string) bool {
	return strings.EqualFold(k, ":authority") || strings.EqualFold(k, "host")
}

// retryOnPolicies are the retryOn tokens Istio accepts besides status codes.
var retryOnPolicies = map[string]bool{
	"5xx": true, "gateway-error": true, "reset": true, "reset-before-request": true, "connect-failure": true,
	"retriable-4xx": true, "refused-stream": true, "retriable-status-codes": true, "retriable-headers": true,
	"envoy-ratelimited": true, "http3-post-connect-failure": true, "cancelled": true, "deadline-exceeded": true,
	"internal": true, "resource-exhausted": true, "unavailable": true,
}

// retries checks an HTTPRetry.
func (v *validator) retries(f fieldPath, r *networking.HTTPRetry) {
	if r == nil {
		return
	}
	if r.Attempts < 0 {
		v.errf("retry-attempts", f.dot(".attempts"), num(r.Attempts), "must not be negative")
	}
	if r.Attempts == 0 && (r.PerTryTimeout != nil || r.RetryOn != "" || r.RetryRemoteLocalities != nil) {
		v.errf("retry-attempts", f.dot(".attempts"), "0", "disables retries, so perTryTimeout, retryOn and retryRemoteLocalities must not be set")
	}
	v.duration(f.dot(".perTryTimeout"), r.PerTryTimeout)
	if r.RetryOn != "" {
		for _, tok := range strings.Split(r.RetryOn, ",") {
			if !retryOnPolicies[tok] && !isHTTPStatusCode(tok) {
				hint := ""
				if strings.TrimSpace(tok) != tok && retryOnPolicies[strings.TrimSpace(tok)] {
					hint = " (remove the spaces around commas)"
				}
				v.errf("retry-on", f.dot(".retryOn"), q(tok), "is not a retry policy%s; use 5xx, gateway-error, reset, connect-failure, retriable-4xx, refused-stream, retriable-status-codes, cancelled, deadline-exceeded, internal, resource-exhausted, unavailable, ... or an HTTP status code", hint)
			}
		}
	}
	v.duration(f.dot(".backoff"), r.Backoff)
}
