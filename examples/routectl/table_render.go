package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
)

// httpMatches renders a rule's match clauses: AND inside a clause (", "),
// OR across clauses (" | "); "*" for a rule that matches every request.
func httpMatches(ms []*networking.HTTPMatchRequest) string {
	var clauses []string
	for _, m := range ms {
		var c []string
		add := func(name string, sm *networking.StringMatch) {
			if sm != nil {
				c = append(c, name+" "+stringMatch(sm))
			}
		}
		add("uri", m.GetUri())
		add("scheme", m.GetScheme())
		add("method", m.GetMethod())
		add("authority", m.GetAuthority())
		for _, k := range sortedKeys(m.GetHeaders()) {
			add("header "+k, m.GetHeaders()[k])
		}
		for _, k := range sortedKeys(m.GetWithoutHeaders()) {
			add("!header "+k, m.GetWithoutHeaders()[k])
		}
		for _, k := range sortedKeys(m.GetQueryParams()) {
			add("query "+k, m.GetQueryParams()[k])
		}
		if m.GetIgnoreUriCase() {
			c = append(c, "ignoreUriCase")
		}
		c = appendL4(c, nil, nil, m.GetPort(), m.GetSourceLabels(), m.GetSourceNamespace(), m.GetGateways())
		clauses = append(clauses, andList(c))
	}
	return orList(clauses)
}

// l4Match renders one TCP or TLS match clause.
func l4Match(sni, subnets []string, port uint32, labels map[string]string, ns string, gws []string) string {
	return andList(appendL4(nil, sni, subnets, port, labels, ns, gws))
}

func appendL4(c, sni, subnets []string, port uint32, labels map[string]string, ns string, gws []string) []string {
	if len(sni) > 0 {
		c = append(c, "sni "+strings.Join(sni, ","))
	}
	if len(subnets) > 0 {
		c = append(c, "dst "+strings.Join(subnets, ","))
	}
	if port != 0 {
		c = append(c, fmt.Sprintf("port %d", port))
	}
	if len(labels) > 0 {
		var kv []string
		for _, k := range sortedKeys(labels) {
			kv = append(kv, k+"="+labels[k])
		}
		c = append(c, "source "+strings.Join(kv, ","))
	}
	if ns != "" {
		c = append(c, "source ns "+ns)
	}
	if len(gws) > 0 {
		c = append(c, "gateways "+strings.Join(gws, ","))
	}
	return c
}

func stringMatch(sm *networking.StringMatch) string {
	switch {
	case sm.GetExact() != "":
		return "= " + sm.GetExact()
	case sm.GetPrefix() != "":
		return "prefix " + sm.GetPrefix()
	case sm.GetRegex() != "":
		return "~ " + sm.GetRegex()
	}
	return "present"
}

// httpActions renders everything a rule does besides choosing a
// destination.
func httpActions(h *networking.HTTPRoute) string {
	var a []string
	if r := h.GetRewrite(); r != nil {
		if r.GetUri() != "" {
			a = append(a, "rewrite uri "+r.GetUri())
		}
		if rr := r.GetUriRegexRewrite(); rr != nil {
			a = append(a, "rewrite uri ~ "+rr.GetMatch()+" → "+rr.GetRewrite())
		}
		if r.GetAuthority() != "" {
			a = append(a, "rewrite authority "+r.GetAuthority())
		}
	}
	if r := h.GetRedirect(); r != nil {
		code := r.GetRedirectCode()
		if code == 0 {
			code = 301
		}
		target := r.GetScheme()
		if target != "" {
			target += "://"
		}
		target += r.GetAuthority()
		if p := r.GetPort(); p != 0 {
			target += fmt.Sprintf(":%d", p)
		}
		target += r.GetUri() + r.GetPrefixRewrite()
		a = append(a, fmt.Sprintf("redirect %d %s", code, target))
	}
	if d := h.GetDirectResponse(); d != nil {
		a = append(a, fmt.Sprintf("direct response %d", d.GetStatus()))
	}
	if t := h.GetTimeout(); t != nil {
		a = append(a, "timeout "+t.AsDuration().String())
	}
	if r := h.GetRetries(); r != nil {
		s := fmt.Sprintf("retries %d", r.GetAttempts())
		if r.GetPerTryTimeout() != nil {
			s += " × " + r.GetPerTryTimeout().AsDuration().String()
		}
		if r.GetRetryOn() != "" {
			s += " on " + r.GetRetryOn()
		}
		a = append(a, s)
	}
	if f := h.GetFault(); f != nil {
		if d := f.GetDelay(); d != nil {
			//lint:ignore SA1019 the legacy integer percent is still honoured
			a = append(a, "fault delay "+d.GetFixedDelay().AsDuration().String()+percentOf(d.GetPercentage(), d.GetPercent()))
		}
		if ab := f.GetAbort(); ab != nil {
			what := fmt.Sprint(ab.GetHttpStatus())
			if ab.GetGrpcStatus() != "" {
				what = ab.GetGrpcStatus()
			}
			a = append(a, "fault abort "+what+percentOf(ab.GetPercentage(), 0))
		}
	}
	if m := h.GetMirror(); m != nil {
		a = append(a, "mirror "+destination(m, 0, 1))
	}
	for _, m := range h.GetMirrors() {
		a = append(a, "mirror "+destination(m.GetDestination(), 0, 1))
	}
	if hd := h.GetHeaders(); hd != nil {
		a = append(a, "headers")
	}
	if h.GetCorsPolicy() != nil {
		a = append(a, "cors")
	}
	return listOr(a, "-")
}

func percentOf(p *networking.Percent, legacy int32) string {
	switch {
	case p != nil:
		return fmt.Sprintf(" %v%%", p.GetValue())
	case legacy != 0:
		return fmt.Sprintf(" %d%%", legacy)
	}
	return ""
}

func listOr(s []string, empty string) string {
	if len(s) == 0 {
		return empty
	}
	return strings.Join(s, ", ")
}

func andList(c []string) string {
	if len(c) == 0 {
		return "*"
	}
	return strings.Join(c, " & ")
}

func orList(clauses []string) string {
	if len(clauses) == 0 {
		return "*"
	}
	return strings.Join(clauses, " | ")
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
