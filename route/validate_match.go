package route

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/internal/host"
)

// headerToken is an RFC 7230 header name.
var headerToken = regexp.MustCompile("^[!#$%&'*+\\-.^_`|~A-Za-z0-9]+$")

// pseudoHeaders are the HTTP/2 pseudo-headers a header match may name.
var pseudoHeaders = map[string]string{
	":method": "method", ":scheme": "scheme", ":authority": "authority", ":path": "uri", ":status": "",
}

// httpMatches checks the match conditions of an HTTP route.
func (v *validator) httpMatches(f fieldPath, r *networking.HTTPRoute) {
	for i, m := range r.Match {
		mf := f.at(".match", i)
		if m == nil {
			continue // an empty item in YAML ("- ") decodes as an empty match
		}
		for _, k := range sortedKeys(m.Headers) {
			hf := mf.key(".headers", k)
			sm := m.Headers[k]
			if sm == nil {
				v.errf("null", hf, "", "must not be null; write {} to match the header's presence")
			}
			v.matchHeaderName(hf, k)
			v.stringMatch(hf, sm, false)
		}
		for _, k := range sortedKeys(m.WithoutHeaders) {
			hf := mf.key(".withoutHeaders", k)
			v.matchHeaderName(hf, k)
			if sm := m.WithoutHeaders[k]; sm != nil && sm.GetRegex() != "*" {
				v.stringMatch(hf, sm, false)
			}
		}
		v.stringMatch(mf.dot(".uri"), m.Uri, true)
		v.stringMatch(mf.dot(".scheme"), m.Scheme, false)
		v.stringMatch(mf.dot(".method"), m.Method, false)
		v.stringMatch(mf.dot(".authority"), m.Authority, false)
		for _, k := range sortedKeys(m.QueryParams) {
			v.stringMatch(mf.key(".queryParams", k), m.QueryParams[k], false)
		}
		if m.Port != 0 {
			v.port(mf.dot(".port"), m.Port)
		}
		v.labels(mf.dot(".sourceLabels"), m.SourceLabels)
		v.gatewayNames(mf.dot(".gateways"), m.Gateways)
		if m.SourceNamespace != "" && !host.IsDNS1123Label(m.SourceNamespace) {
			v.errf("namespace", mf.dot(".sourceNamespace"), q(m.SourceNamespace), "is not a valid namespace name")
		}
	}
	v.splitConditions(f, r.Match)
}

// stringMatch checks a StringMatch: a non-empty prefix (except for uri),
// a non-empty regex that compiles as RE2.
func (v *validator) stringMatch(f fieldPath, sm *networking.StringMatch, isURI bool) {
	switch t := sm.GetMatchType().(type) {
	case *networking.StringMatch_Prefix:
		if t.Prefix == "" && !isURI {
			v.errf("empty-prefix", f.dot(".prefix"), "", `must not be empty; to match any value (presence) write {}`)
		}
	case *networking.StringMatch_Regex:
		v.matchRegex("regex", f.dot(".regex"), t.Regex)
	}
}

// matchHeaderName checks the name of a header match: an RFC 7230 token, a
// pseudo-header or a JWT claim; and warns about names that do not do what
// they seem to.
func (v *validator) matchHeaderName(f fieldPath, name string) {
	switch {
	case name == "":
		v.errf("header-name", f, "", "a header name must not be empty")
		return
	case isJWTClaim(name):
		return
	case strings.HasPrefix(name, ":"):
		field, ok := pseudoHeaders[name]
		if !ok {
			v.errf("header-name", f, "", "%q is not a valid header name (pseudo-headers are :method, :scheme, :authority, :path, :status)", name)
			return
		}
		switch field {
		case "uri":
			v.warnf("pseudo-header-match", f, "", "matches the raw :path including its query string (\"/a?x=1\" is not exact \"/a\"); use match.uri, which ignores the query")
		case "":
			v.warnf("pseudo-header-match", f, "", ":status is a response pseudo-header; requests never carry it, so this never matches")
		default:
			v.warnf("pseudo-header-match", f, "", "matches the %s pseudo-header; write match.%s instead, which says the same plainly", name, field)
		}
		return
	case !headerToken.MatchString(name):
		v.errf("header-name", f, "", "%q is not a valid header name (RFC 7230 token)", name)
		return
	}
	switch name {
	case "uri", "scheme", "method", "authority":
		v.warnf("header-name-field", f, "", "matches a request header literally named %q, not the request's %s; use match.%s", name, name, name)
	}
	if strings.ToLower(name) != name {
		v.warnf("header-name-case", f, "", "has upper-case letters; Istio requires lower-case header names (matching ignores case, so write %q)", strings.ToLower(name))
	}
}

// splitConditions warns when a route's match list has an item with only a
// uri and another with only headers: OR semantics where one item (AND) was
// likely meant.
func (v *validator) splitConditions(f fieldPath, ms []*networking.HTTPMatchRequest) {
	uriOnly, headersOnly := -1, -1
	for i, m := range ms {
		if m == nil {
			continue
		}
		rest := m.Scheme == nil && m.Method == nil && m.Authority == nil && len(m.QueryParams) == 0 &&
			len(m.WithoutHeaders) == 0 && m.Port == 0 && len(m.SourceLabels) == 0 && len(m.Gateways) == 0 && m.SourceNamespace == ""
		switch {
		case rest && m.Uri != nil && len(m.Headers) == 0 && uriOnly < 0:
			uriOnly = i
		case rest && m.Uri == nil && len(m.Headers) > 0 && headersOnly < 0:
			headersOnly = i
		}
	}
	if uriOnly >= 0 && headersOnly >= 0 {
		v.warnf("match-or", f.dot(".match"), "",
			"item [%d] has only a uri and item [%d] only headers: separate items are ORed, so any request matching either is routed here; to require both, put uri and headers in one item (drop the \"-\" before headers)",
			uriOnly, headersOnly)
	}
}

// headerOps checks header manipulation names and values.
func (v *validator) headerOps(f fieldPath, h *networking.Headers) {
	if h == nil {
		return
	}
	check := func(sideOp string, m map[string]string, allowAuthority bool) {
		for _, k := range sortedKeys(m) {
			kf := f.key(sideOp, k)
			v.headerOpName(kf, k, allowAuthority)
			v.headerValue(kf, m[k])
		}
	}
	check(".request.set", h.GetRequest().GetSet(), true)
	check(".request.add", h.GetRequest().GetAdd(), true)
	check(".response.set", h.GetResponse().GetSet(), false)
	check(".response.add", h.GetResponse().GetAdd(), false)
	for i, k := range h.GetRequest().GetRemove() {
		v.headerOpName(f.at(".request.remove", i), k, false)
	}
	for i, k := range h.GetResponse().GetRemove() {
		v.headerOpName(f.at(".response.remove", i), k, false)
	}
}

// headerOpName checks a header name to set, add or remove: not empty, not
// a pseudo-header, not Host (except request set/add, where host and
// :authority rewrite the authority).
func (v *validator) headerOpName(f fieldPath, name string, allowAuthority bool) {
	switch {
	case name == "":
		v.errf("header-name", f, "", "a header name must not be empty")
	case allowAuthority && isAuthorityHeader(name):
	case strings.EqualFold(name, "host"):
		v.errf("header-name", f, q(name), "cannot be changed here; the Host header is set only by a request set/add or rewrite.authority")
	case strings.HasPrefix(name, ":"):
		v.errf("header-name", f, q(name), `is a pseudo-header, which cannot be changed (":authority" only in request set/add)`)
	}
}

// headerValue checks a header value: no control characters but tab, and
// "%" only as "%%" or an Envoy "%VARIABLE%".
func (v *validator) headerValue(f fieldPath, val string) {
	for _, c := range val {
		if c < 0x20 && c != '\t' || c == 0x7f {
			v.errf("header-value", f, q(val), "contains a control character")
			return
		}
	}
	if err := checkEnvoyHeaderFormat(val); err != "" {
		v.errf("header-value", f, q(val), "%s (write %%%% for a literal %%)", err)
	}
}

// checkEnvoyHeaderFormat checks the "%VAR%" / "%VAR(args)%" syntax of
// Envoy custom header values; it returns "" when the value is well-formed.
func checkEnvoyHeaderFormat(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		if i+1 < len(s) && s[i+1] == '%' {
			i++
			continue
		}
		end := strings.IndexByte(s[i+1:], '%')
		if end < 0 {
			return "has an unescaped %"
		}
		name := s[i+1 : i+1+end]
		if p := strings.IndexByte(name, '('); p >= 0 {
			if !strings.HasSuffix(name, ")") {
				// the argument list may itself contain "%": find the ")%".
				close := strings.Index(s[i+1:], ")%")
				if close < 0 {
					return "has an unterminated %VARIABLE(...)% expression"
				}
				end = close + 1
				name = s[i+1 : i+1+end]
			}
			name = name[:p]
		}
		if name == "" {
			return "has an empty %VARIABLE%"
		}
		for _, c := range name {
			if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
				return "has an invalid %VARIABLE% name " + strconv.Quote(name)
			}
		}
		i += end + 1
	}
	return ""
}

// corsMethods are the methods a CORS policy may allow.
var corsMethods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true,
	"CONNECT": true, "OPTIONS": true, "TRACE": true, "*": true,
}

// cors checks a CorsPolicy.
func (v *validator) cors(f fieldPath, c *networking.CorsPolicy) {
	if c == nil {
		return
	}
	for i, o := range c.AllowOrigins {
		of := f.at(".allowOrigins", i)
		if o.GetExact() == "" && o.GetPrefix() == "" && o.GetRegex() == "" {
			v.errf("cors-origin", of, "", "must set a non-empty exact, prefix or regex")
			continue
		}
		if re := o.GetRegex(); re != "" {
			v.regex("regex", of.dot(".regex"), re)
		}
	}
	for i, m := range c.AllowMethods {
		if !corsMethods[m] {
			v.errf("cors-method", f.at(".allowMethods", i), q(m), "is not a supported method (GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, OPTIONS, TRACE or *; upper case)")
		}
	}
	for _, l := range []struct {
		name  string
		names []string
	}{{".allowHeaders", c.AllowHeaders}, {".exposeHeaders", c.ExposeHeaders}} {
		for i, h := range l.names {
			if h != "*" && !headerToken.MatchString(h) {
				v.errf("header-name", f.at(l.name, i), q(h), "is not a valid header name")
			}
		}
	}
	if c.MaxAge != nil {
		v.duration(f.dot(".maxAge"), c.MaxAge)
		if c.MaxAge.Nanos > 0 {
			v.errf("duration", f.dot(".maxAge"), c.MaxAge.AsDuration().String(), "must be whole seconds (Access-Control-Max-Age is in seconds)")
		}
	}
}

// grpcStatuses are the gRPC status names a fault abort may use.
var grpcStatuses = map[string]bool{
	"OK": true, "CANCELLED": true, "UNKNOWN": true, "INVALID_ARGUMENT": true, "DEADLINE_EXCEEDED": true,
	"NOT_FOUND": true, "ALREADY_EXISTS": true, "PERMISSION_DENIED": true, "RESOURCE_EXHAUSTED": true,
	"FAILED_PRECONDITION": true, "ABORTED": true, "OUT_OF_RANGE": true, "UNIMPLEMENTED": true,
	"INTERNAL": true, "UNAVAILABLE": true, "DATA_LOSS": true, "UNAUTHENTICATED": true,
}

// fault checks an HTTPFaultInjection.
func (v *validator) fault(f fieldPath, ft *networking.HTTPFaultInjection) {
	if ft == nil {
		return
	}
	if ft.Abort == nil && ft.Delay == nil {
		v.errf("fault-empty", f, "", "must have an abort and/or a delay")
	}
	if a := ft.Abort; a != nil {
		v.percentage(f.dot(".abort.percentage"), a.Percentage)
		switch t := a.ErrorType.(type) {
		case *networking.HTTPFaultInjection_Abort_GrpcStatus:
			if !grpcStatuses[t.GrpcStatus] {
				v.errf("fault-grpc-status", f.dot(".abort.grpcStatus"), q(t.GrpcStatus), "is not a gRPC status name such as \"UNAVAILABLE\" or \"NOT_FOUND\" (upper case, not a number)")
			}
		case *networking.HTTPFaultInjection_Abort_Http2Error:
			v.errf("fault-http2-error", f.dot(".abort.http2Error"), "", "is not supported by Istio")
		case *networking.HTTPFaultInjection_Abort_HttpStatus:
			v.httpStatus("fault-http-status", f.dot(".abort.httpStatus"), int64(t.HttpStatus))
		default:
			v.warnf("fault-abort-type", f.dot(".abort"), "", "sets no httpStatus or grpcStatus, so it aborts nothing")
		}
	}
	if d := ft.Delay; d != nil {
		v.percentage(f.dot(".delay.percentage"), d.Percentage)
		//lint:ignore SA1019 validation checks the deprecated field's range
		v.intPercent(f.dot(".delay.percent"), d.Percent)
		switch t := d.HttpDelayType.(type) {
		case *networking.HTTPFaultInjection_Delay_FixedDelay:
			v.duration(f.dot(".delay.fixedDelay"), t.FixedDelay)
		case *networking.HTTPFaultInjection_Delay_ExponentialDelay:
			v.duration(f.dot(".delay.exponentialDelay"), t.ExponentialDelay)
			v.errf("fault-exponential-delay", f.dot(".delay.exponentialDelay"), "", "is not supported by Istio; use fixedDelay")
		}
	}
}

// isHTTPStatusCode reports whether s is a number with a known HTTP status.
func isHTTPStatusCode(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && http.StatusText(n) != ""
}
