package peerbench

import (
	"net/http"
	"strings"

	"github.com/julienschmidt/httprouter"

	"github.com/meshroute/meshroute/internal/routebench"
)

// HTTPRouter is github.com/julienschmidt/httprouter, looked up with
// Router.Lookup. It routes by method and path only, with one tree per
// method: a rule without a method is registered under every method the
// workload uses. Exact paths become static routes and prefixes ending in
// "/" catch-alls "<prefix>*rest". It has no host routing, no header
// conditions and no regexes (a ":param" matches any segment), so those
// rules are left out.
var HTTPRouter = Router{
	Name: "httprouter",
	Cannot: func(r routebench.Rule, multiHost bool) string {
		switch {
		case multiHost:
			return "no host routing"
		case r.HeaderName != "":
			return "no header conditions"
		case r.PathKind == routebench.Regex:
			return "no regex parameters"
		case strings.ContainsAny(r.Path, ":*"):
			return "path contains pattern syntax"
		case r.PathKind == routebench.Prefix && !strings.HasSuffix(r.Path, "/"):
			return "prefix without a trailing /"
		}
		return ""
	},
	Build: func(w routebench.Workload) (l Lookup, err error) {
		defer recoverBuild("httprouter", &err)
		hl := &httprouterLookup{rt: httprouter.New()}
		methods := requestMethods(w)
		for i, r := range w.Rules {
			path := r.Path
			if r.PathKind == routebench.Prefix {
				path += "*rest"
			}
			h := func(http.ResponseWriter, *http.Request, httprouter.Params) { hl.last = i }
			if r.Method != "" {
				hl.rt.Handle(r.Method, path, h)
				continue
			}
			for _, m := range methods {
				hl.rt.Handle(m, path, h)
			}
		}
		for _, r := range w.Requests {
			hl.method = append(hl.method, r.Method)
			hl.path = append(hl.path, r.PathOnly())
		}
		return hl, nil
	},
}

type httprouterLookup struct {
	rt           *httprouter.Router
	method, path []string
	last         int
}

func (l *httprouterLookup) Hit(i int) bool {
	h, _, _ := l.rt.Lookup(l.method[i], l.path[i])
	return h != nil
}

func (l *httprouterLookup) Route(i int) int {
	h, ps, _ := l.rt.Lookup(l.method[i], l.path[i])
	if h == nil {
		return -1
	}
	l.last = -2
	h(nil, nil, ps) // records its rule in l.last
	return l.last
}
