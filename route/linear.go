package route

import (
	"strings"

	"github.com/meshroute/meshroute/match"
)

// decideLinear is the reference matcher: the plainest walk of the same
// compiled rules. It finds the virtual host by scanning every domain of the
// view with Envoy's precedence (exact, longest suffix wildcard, longest
// prefix wildcard, "*"), then tries every rule and clause in order. Decide
// must agree with it on every request (TestDecideMatchesLinear); indexes
// added to Decide later are checked against it.
func (t *Table) decideLinear(req *match.Request) (d Decision) {
	v := t.viewFor(req)
	if v == nil {
		return noRoute(reasonUnknownGW)
	}
	if len(v.httpsRedirects) > 0 && req.Scheme != "https" {
		if d, ok := v.redirectToHTTPS(req); ok {
			return d
		}
	}
	refs := t.referencePlans()
	h, _ := splitAuthority(req.Authority)
	vh := linearVhost(v, strings.ToLower(h))
	if vh != nil && vh.portScoped {
		if l := v.listenerFor(req, vh); l != listenHTTP {
			t.decideOpaque(&d, v, req, l)
			return d
		}
	}
	if vh == nil {
		t.unknownHost(&d, v, req)
		return d
	}
	if vh.defaultRoute != nil {
		t.defaultRoute(&d, v, refs.defaults[vh], req, match.NormalizePath(req.Path))
		return d
	}
	for i := range vh.routes {
		e := &vh.routes[i]
		if len(e.rule.matches) == 0 {
			if e.vsLevel {
				sl := newSlot(refs.rules[e.rule], nil)
				t.decideRule(&d, v, &sl, req, match.NormalizePath(req.Path))
				return d
			}
			continue
		}
		for _, rm := range e.rule.matches {
			applies := e.vsLevel || rm.gateways != nil
			if applies && rm.m.Match(req) {
				sl := newSlot(refs.rules[e.rule], rm)
				t.decideRule(&d, v, &sl, req, match.NormalizePath(req.Path))
				return d
			}
		}
	}
	return noRoute(reasonNoRoute)
}

// referencePlans are the plans decideLinear decides with, built on its
// first use (referencePlan).
type referencePlans struct {
	rules    map[*httpRule]*rulePlan
	defaults map[*vhost]*rulePlan
}

func (t *Table) referencePlans() *referencePlans {
	t.refsOnce.Do(func() {
		refs := &referencePlans{rules: map[*httpRule]*rulePlan{}, defaults: map[*vhost]*rulePlan{}}
		for _, vs := range t.vss {
			for _, r := range vs.http {
				p := referencePlan(vs, r, r.dests)
				refs.rules[r] = &p
			}
		}
		for _, v := range t.views {
			for _, vh := range v.vhosts {
				if vh.defaultRoute != nil {
					p := referencePlan(nil, t.defaultRule, []*routeDest{vh.defaultRoute})
					refs.defaults[vh] = &p
				}
			}
		}
		t.refs = refs
	})
	return t.refs
}

// linearVhost scans the view's domains for host name h (lower case).
func linearVhost(v *view, h string) *vhost {
	for _, e := range v.domains {
		if e.domain == h {
			return e.vh
		}
	}
	var best *vhost
	bestLen := -1
	for _, e := range v.domains {
		if len(e.domain) < 2 || e.domain[0] != '*' {
			continue
		}
		s := e.domain[1:]
		if len(h) > len(s) && strings.HasSuffix(h, s) && len(s) > bestLen {
			best, bestLen = e.vh, len(s)
		}
	}
	if best != nil {
		return best
	}
	for _, e := range v.domains {
		if len(e.domain) < 2 || e.domain[len(e.domain)-1] != '*' || e.domain[0] == '*' {
			continue
		}
		p := e.domain[:len(e.domain)-1]
		if len(h) > len(p) && strings.HasPrefix(h, p) && len(p) > bestLen {
			best, bestLen = e.vh, len(p)
		}
	}
	if best != nil {
		return best
	}
	for _, e := range v.domains {
		if e.domain == "*" {
			return e.vh
		}
	}
	return nil
}
