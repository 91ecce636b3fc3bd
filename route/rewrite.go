package route

import (
	"fmt"
	"regexp"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
)

// rewriteSpec is a compiled HTTPRewrite path rewrite (virtualservice.md §5).
type rewriteSpec struct {
	uri    string
	hasURI bool
	re     *regexp.Regexp
	repl   string // Go replacement template ("\1" turned into "${1}")
}

func compileRewrite(rw *networking.HTTPRewrite) (*rewriteSpec, error) {
	spec := &rewriteSpec{uri: rw.GetUri(), hasURI: rw.GetUri() != ""}
	if rr := rw.GetUriRegexRewrite(); rr != nil {
		re, err := regexp.Compile(rr.GetMatch())
		if err != nil {
			return nil, fmt.Errorf("uriRegexRewrite.match: %v", err)
		}
		spec.re, spec.repl = re, envoyToGoTemplate(rr.GetRewrite())
	}
	return spec, nil
}

// envoyToGoTemplate converts an Envoy regex substitution ("\1" refers to
// group 1) into a regexp.Expand template, escaping "$".
func envoyToGoTemplate(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			b.WriteString("${")
			b.WriteByte(s[i+1])
			b.WriteString("}")
			i++
		case c == '$':
			b.WriteString("$$")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// apply returns the rewritten path and query for path (the request's
// path with query) when the rule fired through clause rm (nil for a rule
// without match): "uri" replaces exactly the matched prefix (prefix "/" for
// no uri match) or the whole path for exact and regex matches; the regex
// rewrite replaces every occurrence in the path without the query. The
// query string is kept.
func (s *rewriteSpec) apply(path string, rm *ruleMatch) string {
	p, q := path, ""
	if i := strings.IndexByte(path, '?'); i >= 0 {
		p, q = path[:i], path[i:]
	}
	switch {
	case s.hasURI:
		kind, prefix := match.KindPrefix, "/"
		if rm != nil {
			kind, prefix = rm.uri.Kind, rm.uri.Value
		}
		if kind == match.KindPrefix && len(prefix) <= len(p) {
			return s.uri + p[len(prefix):] + q
		}
		return s.uri + q
	case s.re != nil:
		return requestTarget(s.re.ReplaceAllString(p, s.repl)) + q
	}
	return path
}
