package routehttp

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
)

// hdrOriginalPath is Envoy's header carrying the path before a rewrite.
const hdrOriginalPath = "X-Envoy-Original-Path"

// pathRewritten reports whether the decision sends a different path than
// the request view had.
func pathRewritten(d *route.Decision, view *match.Request) bool {
	return d.Path != "" && d.Path != view.Path
}

// authorityRewritten reports whether the decision sends a different
// authority than the request view had.
func authorityRewritten(d *route.Decision, view *match.Request) bool {
	return d.Authority != "" && d.Authority != view.Authority
}

// originalPath is the x-envoy-original-path value for a rewritten request.
func originalPath(d *route.Decision, view *match.Request) string {
	if d.OriginalPath != "" {
		return d.OriginalPath
	}
	return view.Path
}

// setRequestTarget points u at pathAndQuery (a raw request target such as
// "/a%2Fb?x=1"), keeping Path, RawPath and RawQuery consistent.
func setRequestTarget(u *url.URL, pathAndQuery string) {
	p, q, hasQuery := strings.Cut(pathAndQuery, "?")
	u.RawQuery = ""
	if hasQuery {
		u.RawQuery = q
	}
	u.ForceQuery = hasQuery && q == ""
	dec, err := url.PathUnescape(p)
	if err != nil {
		// Not a valid escaping: keep the bytes as they are.
		u.Path, u.RawPath = p, ""
		return
	}
	u.Path, u.RawPath = dec, ""
	if u.EscapedPath() != p {
		u.RawPath = p
	}
}

// rewriteInbound applies the decision's path and authority rewrite to an
// inbound request that the middleware passes on: URL.Path, URL.RawPath,
// URL.RawQuery, RequestURI, Host and x-envoy-original-path. r must be the
// middleware's own shallow copy; its URL is copied before it is changed.
func rewriteInbound(r *http.Request, d *route.Decision, view *match.Request) {
	if pathRewritten(d, view) {
		u := new(url.URL)
		if r.URL != nil {
			*u = *r.URL
		}
		setRequestTarget(u, d.Path)
		r.URL = u
		r.RequestURI = d.Path
		r.Header[hdrOriginalPath] = []string{originalPath(d, view)}
	}
	if authorityRewritten(d, view) {
		r.Host = d.Authority
	}
}
