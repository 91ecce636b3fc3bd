package peerbench

import (
	"net/http"
	"strings"

	"github.com/meshroute/meshroute/internal/routebench"
)

// ServeMux is net/http's ServeMux (Go 1.22 patterns), looked up with
// ServeMux.Handler. Patterns are "[METHOD ][HOST]/path": exact paths stay
// as they are ("{$}" appended when they end in "/"), prefixes ending in
// "/" are subtree patterns, exact hosts are pattern hosts. It has no
// wildcard hosts, no header conditions and no regexes, and a GET pattern
// also matches HEAD, so those rules are left out.
var ServeMux = Router{
	Name: "servemux",
	Cannot: func(r routebench.Rule, multiHost bool) string {
		switch {
		case multiHost && strings.HasPrefix(r.Host, "*"):
			return "no wildcard hosts"
		case r.HeaderName != "":
			return "no header conditions"
		case r.PathKind == routebench.Regex:
			return "no regexes ({name} matches any segment)"
		case r.Method == http.MethodGet:
			return "GET also matches HEAD"
		case strings.ContainsAny(r.Path, "{} "):
			return "path contains pattern syntax"
		case r.PathKind == routebench.Prefix && !strings.HasSuffix(r.Path, "/"):
			return "prefix without a trailing /"
		}
		return ""
	},
	Build: func(w routebench.Workload) (l Lookup, err error) {
		defer recoverBuild("servemux", &err)
		sl := &serveMuxLookup{mux: http.NewServeMux(), reqs: w.HTTPRequests(), patterns: map[string]int{}}
		multi := multiHost(w)
		nop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
		for i, r := range w.Rules {
			pattern := r.Path
			if r.PathKind == routebench.Exact && strings.HasSuffix(pattern, "/") {
				pattern += "{$}"
			}
			if multi {
				pattern = r.Host + pattern
			}
			if r.Method != "" {
				pattern = r.Method + " " + pattern
			}
			sl.mux.Handle(pattern, nop)
			sl.patterns[pattern] = i
		}
		return sl, nil
	},
}

type serveMuxLookup struct {
	mux      *http.ServeMux
	reqs     []*http.Request
	patterns map[string]int
}

func (l *serveMuxLookup) Hit(i int) bool {
	_, p := l.mux.Handler(l.reqs[i])
	return p != ""
}

func (l *serveMuxLookup) Route(i int) int {
	_, p := l.mux.Handler(l.reqs[i])
	if p == "" {
		return -1
	}
	if r, ok := l.patterns[p]; ok {
		return r
	}
	return -2
}
