package route

import (
	"net/url"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
)

// uriFields rejects rewrite and redirect values that would put a broken
// request target or Location on the wire. Envoy refuses NUL, CR and LF in
// prefix_rewrite, path_redirect, host_redirect and host_rewrite_literal
// (its HTTP_HEADER_VALUE rule), so such a config never applies there; a
// path that does not start with "/" or carries a broken percent escape
// would be forwarded as an invalid request target, which upstream servers
// answer with 400.
func (v *validator) uriFields(f fieldPath, r *networking.HTTPRoute) {
	if rw := r.GetRewrite(); rw != nil {
		v.uriPath(f.dot(".rewrite.uri"), rw.Uri)
		v.noControl(f.dot(".rewrite.uriRegexRewrite.rewrite"), rw.GetUriRegexRewrite().GetRewrite())
		v.authorityValue(f.dot(".rewrite.authority"), rw.Authority)
	}
	if rd := r.GetRedirect(); rd != nil {
		v.uriPath(f.dot(".redirect.uri"), rd.Uri)
		v.uriPath(f.dot(".redirect.prefixRewrite"), rd.PrefixRewrite)
		v.authorityValue(f.dot(".redirect.authority"), rd.Authority)
	}
}

// hasControl reports whether s has a control character (tab included:
// none of these fields may carry one).
func hasControl(s string) bool {
	return strings.IndexFunc(s, func(c rune) bool { return c < 0x20 || c == 0x7f }) >= 0
}

// noControl rejects control characters in val.
func (v *validator) noControl(f fieldPath, val string) bool {
	if hasControl(val) {
		v.errf("control-character", f, q(val), "contains a control character (CR, LF, NUL, ...), which must never reach a request line or header")
		return false
	}
	return true
}

// uriPath checks a path (with optional query) that replaces the request's.
func (v *validator) uriPath(f fieldPath, val string) {
	if val == "" || !v.noControl(f, val) {
		return
	}
	if !strings.HasPrefix(val, "/") {
		v.errf("uri-path", f, q(val), `must start with "/": it becomes the path sent upstream`)
		return
	}
	if _, err := url.ParseRequestURI(val); err != nil {
		v.errf("uri-path", f, q(val), "is not a valid request path (write %%25 for a literal %%)")
	}
}

// authorityValue checks a host[:port] written into Host or Location.
func (v *validator) authorityValue(f fieldPath, val string) {
	if val == "" || !v.noControl(f, val) {
		return
	}
	if u, err := url.Parse("http://" + val + "/"); err != nil || u.Host != val || u.User != nil || u.Path != "/" {
		v.errf("authority", f, q(val), "is not a host[:port]")
	}
}
