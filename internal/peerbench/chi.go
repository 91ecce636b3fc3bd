package peerbench

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/meshroute/meshroute/internal/routebench"
)

// Chi is github.com/go-chi/chi/v5, looked up with Mux.Find. It routes by
// method and path only: rules of a multi-host workload and header
// conditions are left out. Exact paths become static patterns, prefixes
// ending in "/" become "<prefix>*", and regexes of the shape
// "<literal>/<class>+" become "<literal>/{p:<class>+}" (chi anchors
// parameter regexes and stops them at "/", which is the full match Istio
// asks for).
var Chi = Router{
	Name: "chi",
	Cannot: func(r routebench.Rule, multiHost bool) string {
		switch {
		case multiHost:
			return "no host routing"
		case r.HeaderName != "":
			return "no header conditions"
		case strings.ContainsAny(r.Path, "{}*") && r.PathKind != routebench.Regex:
			return "path contains pattern syntax"
		case r.PathKind == routebench.Prefix && !strings.HasSuffix(r.Path, "/"):
			return "prefix without a trailing /"
		case r.PathKind == routebench.Regex:
			if _, _, ok := splitSegmentRegex(r.Path); !ok {
				return "regex other than <literal>/<class>+"
			}
		}
		return ""
	},
	Build: func(w routebench.Workload) (l Lookup, err error) {
		defer recoverBuild("chi", &err)
		mx := chi.NewRouter()
		cl := &chiLookup{mx: mx, rctx: chi.NewRouteContext(), patterns: map[string]int{}}
		nop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
		for i, r := range w.Rules {
			pattern := r.Path
			switch r.PathKind {
			case routebench.Prefix:
				pattern += "*"
			case routebench.Regex:
				head, tail, _ := splitSegmentRegex(r.Path)
				pattern = head + "{p:" + tail + "}"
			}
			if r.Method != "" {
				mx.Method(r.Method, pattern, nop)
			} else {
				mx.Handle(pattern, nop)
			}
			cl.patterns[r.Method+" "+pattern] = i
		}
		for _, r := range w.Requests {
			cl.method = append(cl.method, r.Method)
			cl.path = append(cl.path, r.PathOnly())
		}
		return cl, nil
	},
}

type chiLookup struct {
	mx           *chi.Mux
	rctx         *chi.Context
	method, path []string
	patterns     map[string]int // "<method> <pattern>" → rule
}

func (l *chiLookup) Hit(i int) bool {
	l.rctx.Reset()
	return l.mx.Find(l.rctx, l.method[i], l.path[i]) != ""
}

func (l *chiLookup) Route(i int) int {
	l.rctx.Reset()
	p := l.mx.Find(l.rctx, l.method[i], l.path[i])
	if p == "" {
		return -1
	}
	if r, ok := l.patterns[l.method[i]+" "+p]; ok {
		return r
	}
	if r, ok := l.patterns[" "+p]; ok {
		return r
	}
	return -2
}
