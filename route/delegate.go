package route

import (
	"strings"

	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"
)

// expandDelegate replaces root route r (index i of vs) by the delegate
// VirtualService's routes merged with it (virtualservice.md §13). A
// delegate that does not exist or is not exported to the root's namespace
// drops the root route; the rest of the root still works.
func (c *compiler) expandDelegate(vs *VirtualService, cvs *compiledVS, i int, r *networking.HTTPRoute) {
	ns := r.GetDelegate().GetNamespace()
	if ns == "" {
		ns = vs.Namespace
	}
	del := c.delegates[ns+"/"+r.GetDelegate().GetName()]
	if del == nil || !newExportSet(del.Spec.GetExportTo(), del.Namespace).visibleTo(vs.Namespace) {
		return
	}
	root := expandRouteHosts(r, vs.Namespace, c.opts.domain)
	for j, dr := range del.Spec.GetHttp() {
		if dr == nil || dr.GetDelegate() != nil {
			continue // only one level of delegation
		}
		merged := mergeDelegateRoute(root, expandRouteHosts(dr, del.Namespace, c.opts.domain))
		if merged == nil {
			continue
		}
		rule, err := c.compileHTTPRule(cvs, i, merged, ruleField{index: i, delegate: del, delIndex: j})
		if err != nil {
			c.problem(vs, "", err.Error())
			continue
		}
		rule.delegate = del.Ref(KindVirtualService)
		cvs.http = append(cvs.http, rule)
	}
}

// joinNames joins root and delegate names with "-", or returns whichever
// is set.
func joinNames(root, leaf string) string {
	switch {
	case root == "":
		return leaf
	case leaf == "":
		return root
	}
	return root + "-" + leaf
}

// mergeDelegateRoute merges a delegate route into its root route; nil when
// a delegate match conflicts with every root match.
func mergeDelegateRoute(root, leaf *networking.HTTPRoute) *networking.HTTPRoute {
	out := proto.Clone(leaf).(*networking.HTTPRoute)
	out.Name = joinNames(root.GetName(), leaf.GetName())
	out.Delegate = nil
	switch {
	case len(root.GetMatch()) == 0:
	case len(leaf.GetMatch()) == 0:
		out.Match = root.GetMatch()
	default:
		out.Match = nil
		for _, lm := range leaf.GetMatch() {
			any := false
			for _, rm := range root.GetMatch() {
				if matchConflict(rm, lm) {
					continue
				}
				any = true
				out.Match = append(out.Match, mergeMatch(rm, lm))
			}
			if !any {
				return nil
			}
		}
	}
	if out.Rewrite == nil {
		out.Rewrite = root.GetRewrite()
	}
	if out.DirectResponse == nil {
		out.DirectResponse = root.GetDirectResponse()
	}
	if out.Timeout == nil {
		out.Timeout = root.GetTimeout()
	}
	if out.Retries == nil {
		out.Retries = root.GetRetries()
	}
	if out.Fault == nil {
		out.Fault = root.GetFault()
	}
	// Each mirror field is inherited on its own, as Istio does.
	if out.Mirror == nil {
		out.Mirror = root.GetMirror()
	}
	//lint:ignore SA1019 the deprecated mirrorPercent is inherited like every mirror field
	if out.MirrorPercent == nil {
		out.MirrorPercent = root.MirrorPercent //lint:ignore SA1019 inherited as is
	}
	if out.MirrorPercentage == nil {
		out.MirrorPercentage = root.GetMirrorPercentage()
	}
	if out.Mirrors == nil {
		out.Mirrors = root.GetMirrors()
	}
	if out.CorsPolicy == nil {
		out.CorsPolicy = root.GetCorsPolicy()
	}
	if out.Headers == nil {
		out.Headers = root.GetHeaders()
	}
	return out
}

// mergeMatch merges a delegate match into a root match: the delegate's
// scalar fields win when set, maps are unioned with delegate keys winning.
func mergeMatch(root, leaf *networking.HTTPMatchRequest) *networking.HTTPMatchRequest {
	out := proto.Clone(leaf).(*networking.HTTPMatchRequest)
	out.Name = joinNames(root.GetName(), leaf.GetName())
	if out.Uri == nil {
		out.Uri = root.GetUri()
	}
	if out.Scheme == nil {
		out.Scheme = root.GetScheme()
	}
	if out.Method == nil {
		out.Method = root.GetMethod()
	}
	if out.Authority == nil {
		out.Authority = root.GetAuthority()
	}
	if out.Port == 0 {
		out.Port = root.GetPort()
	}
	if out.SourceNamespace == "" {
		out.SourceNamespace = root.GetSourceNamespace()
	}
	if len(out.Gateways) == 0 {
		out.Gateways = root.GetGateways()
	}
	if out.StatPrefix == "" {
		out.StatPrefix = root.GetStatPrefix()
	}
	out.Headers = unionMatches(root.GetHeaders(), leaf.GetHeaders())
	out.WithoutHeaders = unionMatches(root.GetWithoutHeaders(), leaf.GetWithoutHeaders())
	out.QueryParams = unionMatches(root.GetQueryParams(), leaf.GetQueryParams())
	if len(root.GetSourceLabels()) > 0 {
		labels := map[string]string{}
		for k, v := range root.GetSourceLabels() {
			labels[k] = v
		}
		for k, v := range leaf.GetSourceLabels() {
			labels[k] = v
		}
		out.SourceLabels = labels
	}
	return out
}

func unionMatches(root, leaf map[string]*networking.StringMatch) map[string]*networking.StringMatch {
	if len(root) == 0 {
		return leaf
	}
	out := map[string]*networking.StringMatch{}
	for k, v := range root {
		out[k] = v
	}
	for k, v := range leaf {
		out[k] = v
	}
	return out
}

// matchConflict reports whether a delegate match is not a refinement of a
// root match (virtualservice.md §13).
func matchConflict(root, leaf *networking.HTTPMatchRequest) bool {
	if stringConflict(root.GetUri(), leaf.GetUri()) || stringConflict(root.GetScheme(), leaf.GetScheme()) ||
		stringConflict(root.GetMethod(), leaf.GetMethod()) || stringConflict(root.GetAuthority(), leaf.GetAuthority()) {
		return true
	}
	if root.GetIgnoreUriCase() != leaf.GetIgnoreUriCase() {
		return true
	}
	for _, pair := range [][2]map[string]*networking.StringMatch{
		{root.GetHeaders(), leaf.GetHeaders()},
		{root.GetWithoutHeaders(), leaf.GetWithoutHeaders()},
		{root.GetQueryParams(), leaf.GetQueryParams()},
	} {
		for k, rv := range pair[0] {
			if lv, ok := pair[1][k]; ok && stringConflict(rv, lv) {
				return true
			}
		}
	}
	if root.GetPort() != 0 && leaf.GetPort() != 0 && root.GetPort() != leaf.GetPort() {
		return true
	}
	// As Istio: a root sourceNamespace must be repeated by the delegate.
	if root.GetSourceNamespace() != "" && leaf.GetSourceNamespace() != root.GetSourceNamespace() {
		return true
	}
	for k, v := range leaf.GetSourceLabels() {
		if rv, ok := root.GetSourceLabels()[k]; ok && rv != v {
			return true
		}
	}
	if len(root.GetGateways()) > 0 && len(leaf.GetGateways()) > 0 {
		for _, g := range leaf.GetGateways() {
			if !contains(root.GetGateways(), g) {
				return true
			}
		}
	}
	return false
}

// stringConflict reports whether a delegate string match is not a
// refinement of the root's, exactly as Istio's stringMatchConflict: no
// conflict when either is unset; a regex on either side conflicts with
// anything; a root exact needs the same exact; a root prefix needs a
// delegate prefix or exact starting with it; any other root (an empty
// match) conflicts.
func stringConflict(root, leaf *networking.StringMatch) bool {
	if root == nil || leaf == nil {
		return false
	}
	if root.GetRegex() != "" && (leaf.GetRegex() != "" || leaf.GetPrefix() != "" || leaf.GetExact() != "") {
		return true
	}
	if leaf.GetRegex() != "" && (root.GetRegex() != "" || root.GetPrefix() != "" || root.GetExact() != "") {
		return true
	}
	if exact := root.GetExact(); exact != "" {
		return leaf.GetPrefix() != "" || leaf.GetExact() != exact
	}
	if prefix := root.GetPrefix(); prefix != "" {
		if leaf.GetPrefix() != "" {
			return !strings.HasPrefix(leaf.GetPrefix(), prefix)
		}
		if leaf.GetExact() != "" {
			return !strings.HasPrefix(leaf.GetExact(), prefix)
		}
	}
	return true
}
