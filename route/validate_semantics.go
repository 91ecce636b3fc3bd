package route

import (
	"strings"

	networking "istio.io/api/networking/v1alpha3"
)

// semanticsWarnings tells where a VirtualService behaves differently under
// the seeds' semantics (meshroute's default) and today's Istio
// (IstioSemantics), per seeds-vs-istio.md, naming both behaviours.
func (v *validator) semanticsWarnings(s *networking.VirtualService) {
	untimed := -1
	for i, r := range s.Http {
		if r == nil {
			continue
		}
		f := fieldAt("spec.http", i)
		//lint:ignore SA1019 the deprecated percent still sets a delay's chance
		if d := r.GetFault().GetDelay(); d != nil && d.Percentage == nil && d.Percent == 0 {
			v.warnf("fault-no-percentage", f.dot(".fault.delay"), "",
				"sets no percentage: it delays 100%% of requests here (the seeds' behaviour) but none in today's Istio (0%%); set percentage.value to be explicit")
		}
		if a := r.GetFault().GetAbort(); a != nil && a.Percentage == nil && a.ErrorType != nil {
			v.warnf("fault-no-percentage", f.dot(".fault.abort"), "",
				"sets no percentage: it aborts 100%% of requests here (the seeds' behaviour) but none in today's Istio (0%%); set percentage.value to be explicit")
		}
		if untimed < 0 && r.Timeout == nil && len(r.Route) > 0 && r.Redirect == nil && r.DirectResponse == nil {
			untimed = i
		}
	}
	if untimed >= 0 {
		rf := fieldAt("spec.http", untimed)
		v.add(SeverityInfo, "timeout-default", rf.dot(".timeout"), "",
			"is unset (here and on any other forwarding route): requests time out after 15s here (the seeds' default) but never in today's Istio; set timeout to be explicit (streaming gRPC and upgraded connections get no default)")
	}
}

// rewriteSlashes warns when a prefix rewrite joins the rest of the path
// badly: prefix "/common" rewritten to "/" turns /common/x into //x, and
// prefix "/foo/" rewritten to "/bar" turns /foo/x into /barx.
func (v *validator) rewriteSlashes(f fieldPath, r *networking.HTTPRoute) {
	rw := r.GetRewrite().GetUri()
	if rw == "" {
		return
	}
	matches := r.Match
	if len(matches) == 0 {
		matches = []*networking.HTTPMatchRequest{{}}
	}
	for i, m := range matches {
		prefix := "/" // no uri match: Envoy matches prefix "/"
		if u := m.GetUri(); u != nil {
			p, isPrefix := u.GetMatchType().(*networking.StringMatch_Prefix)
			if !isPrefix {
				continue // exact and regex replace the whole path
			}
			prefix = p.Prefix
		}
		if prefix == "" {
			prefix = "/"
		}
		mf := f.dot(".rewrite.uri")
		switch {
		case !strings.HasSuffix(prefix, "/") && strings.HasSuffix(rw, "/"):
			v.warnf("rewrite-double-slash", mf, q(rw),
				"replaces the matched prefix %q (match [%d]), so %s/x is forwarded as %sx with a double slash; match the prefix %q instead (and exact %q for the bare path)",
				prefix, i, prefix, rw+"/", prefix+"/", prefix)
		case strings.HasSuffix(prefix, "/") && !strings.HasSuffix(rw, "/") && len(prefix) > 0:
			v.warnf("rewrite-join", mf, q(rw),
				"replaces the matched prefix %q (match [%d]), which ends in \"/\", so %sx is forwarded as %sx without a slash between; write %q",
				prefix, i, prefix, rw, rw+"/")
		}
	}
}
