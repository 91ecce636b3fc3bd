package route

import (
	"strconv"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
)

// redirectSpec is a compiled HTTPRedirect (virtualservice.md §6).
type redirectSpec struct {
	uri           string
	hasURI        bool
	prefixRewrite string
	hasPrefix     bool
	authority     string
	port          uint32
	derive        networking.HTTPRedirect_RedirectPortSelection
	deriveSet     bool
	scheme        string
	code          int
}

func compileRedirect(r *networking.HTTPRedirect) *redirectSpec {
	s := &redirectSpec{
		uri: r.GetUri(), hasURI: r.GetUri() != "",
		prefixRewrite: r.GetPrefixRewrite(), hasPrefix: r.GetPrefixRewrite() != "",
		authority: r.GetAuthority(), scheme: r.GetScheme(), code: int(r.GetRedirectCode()),
	}
	switch p := r.GetRedirectPort().(type) {
	case *networking.HTTPRedirect_Port:
		s.port = p.Port
	case *networking.HTTPRedirect_DerivePort:
		s.derive, s.deriveSet = p.DerivePort, true
	}
	if s.code == 0 {
		s.code = 301
	}
	return s
}

func defaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}

// location builds the Location header as Envoy's redirect action does;
// target is the request's normalised path and query.
func (s *redirectSpec) location(req *match.Request, rm *ruleMatch, target string) string {
	reqScheme := req.Scheme
	if reqScheme == "" {
		reqScheme = "http"
	}
	scheme := reqScheme
	if s.scheme != "" {
		scheme = s.scheme
	}

	// Port: configured, derived from the request, or the protocol default
	// (no port); 80 for http and 443 for https are never written.
	newPort := ""
	switch {
	case s.port != 0:
		newPort = strconv.FormatUint(uint64(s.port), 10)
	case s.deriveSet && s.derive == networking.HTTPRedirect_FROM_REQUEST_PORT:
		if p := requestPort(req); p != 0 {
			newPort = strconv.FormatUint(uint64(p), 10)
		}
	}
	dropOriginal := newPort != "" || (s.deriveSet && s.derive == networking.HTTPRedirect_FROM_PROTOCOL_DEFAULT)
	if newPort == defaultPort(scheme) {
		newPort = ""
	}

	var hostPart string
	if s.authority != "" {
		hostPart = s.authority
	} else {
		h, p := splitAuthority(req.Authority)
		hostPart = req.Authority
		if p != "" && (dropOriginal || (scheme != reqScheme && p == defaultPort(reqScheme))) {
			hostPart = h
		}
	}
	if newPort != "" {
		h, _ := splitAuthority(hostPart)
		hostPart = h + ":" + newPort
	}

	path, query := target, ""
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i:]
	}
	switch {
	case s.hasURI:
		if i := strings.IndexByte(s.uri, '?'); i >= 0 {
			path, query = s.uri[:i], s.uri[i:]
		} else {
			path = s.uri
		}
	case s.hasPrefix:
		prefix := "/"
		if rm != nil && rm.uri.Kind == match.KindPrefix {
			prefix = rm.uri.Value
		}
		if len(prefix) <= len(path) {
			path = s.prefixRewrite + path[len(prefix):]
		}
	}
	return scheme + "://" + hostPart + path + query
}
