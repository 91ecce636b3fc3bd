package peerbench

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/meshroute/meshroute/internal/routebench"
)

// GorillaMux is github.com/gorilla/mux, looked up with Router.Match. It
// expresses every rule of the workloads: exact hosts with Host, suffix
// wildcards "*.foo.com" as Host("{w:.+}.foo.com"), Path, PathPrefix,
// Methods, Headers, and regexes of the shape "<literal>/<class>+" as
// Path("<literal>/{p:<class>+}"). It tries routes in order, like Envoy, so
// its cost grows with the number of rules. On a one-host workload routes
// carry no Host matcher.
var GorillaMux = Router{
	Name: "gorilla/mux",
	Cannot: func(r routebench.Rule, multiHost bool) string {
		switch {
		case multiHost && strings.ContainsAny(strings.TrimPrefix(r.Host, "*"), "*{}"):
			return "host pattern other than exact or *.suffix"
		case strings.ContainsAny(r.Path, "{}") && r.PathKind != routebench.Regex:
			return "path contains pattern syntax"
		case r.PathKind == routebench.Regex:
			if _, _, ok := splitSegmentRegex(r.Path); !ok {
				return "regex other than <literal>/<class>+"
			}
		}
		return ""
	},
	Build: func(w routebench.Workload) (l Lookup, err error) {
		defer recoverBuild("gorilla/mux", &err)
		rt := mux.NewRouter()
		multi := multiHost(w)
		nop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
		for i, r := range w.Rules {
			route := rt.NewRoute().Name(strconv.Itoa(i)).Handler(nop)
			if multi {
				if suffix, ok := strings.CutPrefix(r.Host, "*"); ok {
					route.Host("{w:.+}" + suffix)
				} else {
					route.Host(r.Host)
				}
			}
			switch r.PathKind {
			case routebench.Exact:
				route.Path(r.Path)
			case routebench.Prefix:
				route.PathPrefix(r.Path)
			case routebench.Regex:
				head, tail, _ := splitSegmentRegex(r.Path)
				route.Path(head + "{p:" + tail + "}")
			}
			if r.Method != "" {
				route.Methods(r.Method)
			}
			if r.HeaderName != "" {
				route.Headers(r.HeaderName, r.HeaderValue)
			}
			if err := route.GetError(); err != nil {
				return nil, err
			}
		}
		return &muxLookup{rt: rt, reqs: w.HTTPRequests()}, nil
	},
}

type muxLookup struct {
	rt   *mux.Router
	reqs []*http.Request
	m    mux.RouteMatch
}

func (l *muxLookup) Hit(i int) bool {
	l.m = mux.RouteMatch{}
	return l.rt.Match(l.reqs[i], &l.m) && l.m.MatchErr == nil
}

func (l *muxLookup) Route(i int) int {
	if !l.Hit(i) {
		return -1
	}
	r, err := strconv.Atoi(l.m.Route.GetName())
	if err != nil {
		return -2
	}
	return r
}
