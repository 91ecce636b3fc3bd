package route

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/internal/host"
	"github.com/meshroute/meshroute/match"
)

// Validate checks cfg the way Istio's validating webhook (istioctl
// validate) checks each object, and adds meshroute's warnings about
// configurations that load but cause outages or surprises: routes to
// subsets no DestinationRule defines, unreachable rules, weights not adding
// to 100, VirtualServices fighting over a host, header matches that do not
// do what they seem to, "//" from prefix rewrites, unknown gateways, and
// behaviours that differ between the seeds' semantics and today's Istio.
//
// The result starts with cfg.Warnings (found while loading), then the
// problems of each object in the order of cfg, then the problems that
// involve several objects. Errors are the rules Istio enforces (Compile
// refuses them); warnings are accepted. Every Problem has a stable Code.
// Validate never modifies cfg; a nil cfg is valid.
//
// # Codes
//
// Problem.Code names the rule broken; tools may filter on it. Istio's
// rules (errors unless noted): host, host-duplicate, host-wildcard-mesh,
// host-required, host-partial-wildcard (warning), no-routes,
// route-action-missing, route-action-conflict, root-route-action,
// delegate-nested, delegate-gateways, delegate-l4, destination-host,
// destination-required, subset-name, weight-range, weight-total-zero,
// duration, port, percentage, regex, empty-prefix, header-name,
// header-value, jwt-claim-mesh, authority-twice, redirect, redirect-code,
// redirect-scheme, rewrite, retry-attempts, retry-on, mirror-conflict,
// fault-empty, fault-http-status, fault-grpc-status, fault-http2-error,
// fault-exponential-delay, fault-abort-type (warning),
// direct-response-status, direct-response-body, cors-origin, cors-method,
// gateway-name, gateway-legacy-name (warning), export-to, label, selector,
// namespace, name, name-required, spec-required, null, sni-host, sni-ip
// (warning), sni-required, tls-match-required, route-required, subnet,
// subset-duplicate, traffic-policy-empty, traffic-policy-conflict,
// connection-pool, connection-pool-empty, outlier, lb-cookie, lb-hash,
// lb-maglev, lb-locality, lb-locality-outlier (warning), lb-warmup, tls,
// tunnel, proxy-protocol, address, port-duplicate, port-name, protocol,
// endpoint-address, endpoint-port, se-resolution, se-selector-endpoints,
// se-tcp-hosts, servers-required, server-host, server-tls, bind,
// https-redirect (warning), tls-version (warning), tls-cipher (warning),
// deprecated-field (warning), redirect-code (warning for codes Envoy
// does not support).
//
// meshroute's warnings: subset-undefined, unreachable-rule,
// ineffective-match, weight-total, host-conflict, header-name-case,
// pseudo-header-match, header-name-field, match-or, rewrite-double-slash,
// rewrite-join, gateway-undefined, gateway-host-mismatch,
// delegate-undefined, duplicate-object, fault-no-percentage,
// host-not-in-registry, and the notes
// (SeverityInfo) timeout-default and unreachable-skipped (more than 5,000
// match clauses: unreachable rules are not looked for). meshroute's errors
// for values Envoy refuses or that would forward a broken request:
// control-character (CR, LF, NUL, ... in rewrite and redirect paths and
// authorities), uri-path (a rewrite or redirect path not starting with "/"
// or with a broken percent escape), authority (not a host[:port]). The
// loader's codes are listed on
// LoadPaths.
func Validate(cfg *Config) Problems { return validate(cfg, true, nil) }

// validate is Validate; without notes it leaves out the SeverityInfo
// problems, for callers that only act on errors and warnings. A non-nil
// anchoredRegex becomes validator.anchoredRegex.
func validate(cfg *Config, notes bool, anchoredRegex match.RegexCompiler) Problems {
	if cfg == nil {
		return nil
	}
	v := &validator{noNotes: !notes, anchoredRegex: anchoredRegex}
	v.out = append(v.out, cfg.Warnings...)
	for _, vs := range cfg.VirtualServices {
		if vs != nil {
			v.virtualService(vs)
		}
	}
	for _, dr := range cfg.DestinationRules {
		if dr != nil {
			v.destinationRule(dr)
		}
	}
	for _, se := range cfg.ServiceEntries {
		if se != nil {
			v.serviceEntry(se)
		}
	}
	for _, gw := range cfg.Gateways {
		if gw != nil {
			v.gateway(gw)
		}
	}
	for _, we := range cfg.WorkloadEntries {
		if we != nil {
			v.workloadEntryObject(we)
		}
	}
	v.crossObject(cfg)
	return v.out
}

// validator collects problems about the object it is looking at.
type validator struct {
	out Problems
	src Source
	ref ObjectRef
	// validHosts memoises host names that passed hostName: a
	// configuration names the same destination hosts over and over.
	validHosts map[string]struct{}
	// validRegexes memoises regexes that passed regex, for the same
	// reason.
	validRegexes map[string]struct{}
	// noNotes drops SeverityInfo problems (validate).
	noNotes bool
	// anchoredRegex, when not nil, is match.RE2Compiler behind Compile's
	// cache. A regex the matchers will compile anchored (matchRegex) is
	// checked by compiling it with this, so that Compile finds it compiled
	// instead of parsing it a second time: RE2Compiler accepts exactly
	// the patterns that parse, but for ones it cannot anchor (`\Q` quoting
	// the closing parenthesis), which the parse below then judges.
	anchoredRegex match.RegexCompiler
}

// object sets the object the next problems are about.
func (v *validator) object(m *Meta, kind string) {
	v.src, v.ref = m.Source, m.Ref(kind)
}

// add records a problem; only here does the field path become a string.
func (v *validator) add(sev Severity, code string, f fieldPath, value, rule string) {
	if sev == SeverityInfo && v.noNotes {
		return
	}
	v.out = append(v.out, &Problem{
		Severity: sev, Source: v.src, Object: v.ref, Field: f.String(), Value: value, Rule: rule, Code: code,
	})
}

// errf records an error: Istio rejects the object.
func (v *validator) errf(code string, f fieldPath, value, format string, args ...any) {
	v.add(SeverityError, code, f, value, fmt.Sprintf(format, args...))
}

// warnf records a warning: accepted, but likely not what was meant.
func (v *validator) warnf(code string, f fieldPath, value, format string, args ...any) {
	v.add(SeverityWarning, code, f, value, fmt.Sprintf(format, args...))
}

// q quotes a string value for a message.
func q(s string) string { return strconv.Quote(s) }

// num formats a number value for a message.
func num[T int | int32 | int64 | uint32 | uint64](n T) string { return strconv.FormatInt(int64(n), 10) }

// float formats a float value for a message.
func float(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// sortedKeys returns the keys of m in order, so problems come out in a
// stable order. It allocates nothing for an empty map, which most are: the
// validator asks for the keys of every optional map of every match.
func sortedKeys[V any](m map[string]V) []string {
	switch len(m) {
	case 0:
		return nil
	case 1:
		for k := range m {
			return []string{k}
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// metaName checks metadata.name: present and a DNS-1123 subdomain
// (Kubernetes object names); Gateways need a label (no dots).
func (v *validator) metaName(m *Meta, kind string) {
	switch {
	case m.Name == "":
		v.errf("name-required", field("metadata.name"), "", "is required")
	case kind == KindGateway && !host.IsDNS1123Label(m.Name):
		v.errf("name", field("metadata.name"), q(m.Name), "is not a valid Gateway name: a DNS-1123 label (letters, digits, '-'; no dots)")
	case !host.IsDNS1123Subdomain(m.Name):
		v.errf("name", field("metadata.name"), q(m.Name), "is not a valid object name: lower-case letters, digits, '-' and '.'")
	}
	if m.Namespace != "" && !host.IsLowerDNS1123Label(m.Namespace) {
		v.errf("namespace", field("metadata.namespace"), q(m.Namespace), "is not a valid namespace name: a lower-case DNS-1123 label")
	}
}

// duration checks a duration field: at least 1ms, whole milliseconds.
func (v *validator) duration(f fieldPath, d *durationpb.Duration) {
	if d == nil {
		return
	}
	if err := d.CheckValid(); err != nil {
		v.errf("duration", f, "", "is not a valid duration: %v", err)
		return
	}
	dur := d.AsDuration()
	switch {
	case dur < time.Millisecond:
		v.errf("duration", f, dur.String(), "is too short: durations must be at least 1ms")
	case dur%time.Millisecond != 0:
		v.errf("duration", f, dur.String(), "has sub-millisecond precision, which Istio does not support")
	}
}

// port checks a port number is in 1..65535.
func (v *validator) port(f fieldPath, n uint32) {
	if n < 1 || n > 65535 {
		v.errf("port", f, num(n), "is out of range [1, 65535]")
	}
}

// percentage checks a Percent: 0, or within [0.0001, 100].
func (v *validator) percentage(f fieldPath, p *networking.Percent) {
	if p == nil {
		return
	}
	if p.Value < 0 || p.Value > 100 || (p.Value > 0 && p.Value < 0.0001) {
		v.errf("percentage", f.dot(".value"), float(p.Value), "is out of range: a percentage is 0 or within [0.0001, 100]")
	}
}

// intPercent checks an integer percentage in 0..100.
func (v *validator) intPercent(f fieldPath, n int32) {
	if n < 0 || n > 100 {
		v.errf("percentage", f, num(n), "is out of range [0, 100]")
	}
}

var (
	labelKey   = regexp.MustCompile(`^([a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)*/)?((?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$`)
	labelValue = regexp.MustCompile(`^((?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)
)

// labels checks Kubernetes label keys ("[prefix/]name") and values.
func (v *validator) labels(f fieldPath, m map[string]string) {
	for _, k := range sortedKeys(m) {
		kf := f.key("", k)
		if g := labelKey.FindStringSubmatch(k); g == nil || len(g[1]) > 254 || len(g[2]) > 63 {
			v.errf("label", kf, "", "is not a valid label key: [DNS prefix/]name, the name at most 63 letters, digits, '-', '_' or '.'")
		}
		if !labelValue.MatchString(m[k]) {
			v.errf("label", kf, q(m[k]), "is not a valid label value: letters, digits, '-', '_' or '.', starting and ending with a letter or digit")
		}
	}
}

// exportTo checks an exportTo list: no duplicates ("." counts as the
// object's namespace), "*" alone, valid namespace names; "~" (no one) only
// for ServiceEntries and only alone; a DestinationRule with a workload
// selector may export only to its own namespace.
func (v *validator) exportTo(f fieldPath, ns string, list []string, isServiceEntry, drWithSelector bool) {
	seen := map[string]bool{}
	for i, e := range list {
		ef := f.at("", i)
		key := e
		if e == "." {
			key = ns
		}
		switch {
		case seen[key] && key != e:
			v.errf("export-to", ef, q(e), "duplicates the object's own namespace %q", ns)
			continue
		case seen[key]:
			v.errf("export-to", ef, q(e), "is listed twice")
			continue
		case e == "~" && isServiceEntry, e == "*":
		case e == "~":
			v.errf("export-to", ef, q(e), "(visible to no one) is allowed only on ServiceEntries")
			continue
		case !host.IsDNS1123Label(key):
			v.errf("export-to", ef, q(e), `is not a namespace name, "." or "*"`)
			continue
		}
		seen[key] = true
	}
	if drWithSelector && len(seen) > 0 {
		if !seen[ns] {
			v.errf("export-to", f, "", "a DestinationRule with a workloadSelector cannot be exported beyond its own namespace %q", ns)
		} else if len(seen) > 1 {
			v.errf("export-to", f, "", "a DestinationRule with a workloadSelector may list only its own namespace")
		}
	}
	if seen["*"] && len(list) > 1 {
		v.errf("export-to", f, "", `"*" (all namespaces) cannot be combined with other entries`)
	}
	if seen["~"] && len(list) > 1 {
		v.errf("export-to", f, "", `"~" (no one) cannot be combined with other entries`)
	}
}

// hostName checks a host that may start with a wildcard; IP addresses are
// accepted when allowIP.
func (v *validator) hostName(code string, f fieldPath, h string, allowIP bool) bool {
	if _, ok := v.validHosts[h]; ok {
		return true
	}
	if err := host.ValidateWildcardDomain(h); err != nil {
		if allowIP && host.IsIP(h) {
			return true
		}
		v.errf(code, f, q(h), "%v", err)
		return false
	}
	if v.validHosts == nil {
		v.validHosts = map[string]struct{}{}
	}
	v.validHosts[h] = struct{}{}
	return true
}

// matchRegex checks a regular expression the matchers compile anchored
// (StringMatch), as regex does.
func (v *validator) matchRegex(code string, f fieldPath, re string) {
	if v.anchoredRegex != nil && re != "" && len(re) <= 1024 {
		if _, err := v.anchoredRegex(re); err == nil {
			return // RE2Compiler accepts only patterns that parse
		}
	}
	v.regex(code, f, re)
}

// regex checks a regular expression: at most 1024 characters, valid RE2.
func (v *validator) regex(code string, f fieldPath, re string) {
	if re == "" {
		v.errf(code, f, "", "must not be empty")
		return
	}
	if len(re) > 1024 {
		v.errf(code, f, "", "is %d characters long; Istio accepts at most 1024", len(re))
		return
	}
	if _, ok := v.validRegexes[re]; ok {
		return
	}
	// Parsing is all regexp.Compile can fail at (same errors), at a third
	// of the cost; Compile compiles the regex itself later.
	if _, err := syntax.Parse(re, syntax.Perl); err != nil {
		msg := err.Error()
		if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "error parsing regexp") {
			msg = msg[i+2:]
		}
		v.errf(code, f, q(re), "is not a valid RE2 regular expression (%s); RE2 has no lookarounds or backreferences", msg)
		return
	}
	if v.validRegexes == nil {
		v.validRegexes = map[string]struct{}{}
	}
	v.validRegexes[re] = struct{}{}
}

// gatewayNames checks gateway references: "mesh", "name", "ns/name", or
// the legacy "name.ns.svc.cluster.local" (warned).
func (v *validator) gatewayNames(f fieldPath, names []string) {
	for i, g := range names {
		gf := f.at("", i)
		ns, name, slash := strings.Cut(g, "/")
		if !slash {
			if strings.Contains(g, ".") {
				parts := strings.Split(g, ".")
				v.warnf("gateway-legacy-name", gf, q(g), "uses the legacy gateway name format; write %q", parts[1]+"/"+parts[0])
			}
			if err := host.ValidateFQDN(g); err != nil {
				v.errf("gateway-name", gf, q(g), "is not a valid gateway name: %v", err)
			}
			continue
		}
		switch {
		case ns == "" || name == "":
			v.errf("gateway-name", gf, q(g), `must be "namespace/name" with both parts set`)
		case !host.IsDNS1123Label(ns):
			v.errf("gateway-name", gf, q(g), "has an invalid namespace %q", ns)
		case !host.IsDNS1123Label(name):
			v.errf("gateway-name", gf, q(g), "has an invalid gateway name %q", name)
		}
	}
}
