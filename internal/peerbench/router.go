package peerbench

import (
	"regexp"
	"strings"

	"github.com/meshroute/meshroute/internal/routebench"
)

// Router is one router under comparison: what of a workload it can
// express, and how to build its lookup.
type Router struct {
	// Name is the router's name in benchmark names and the table.
	Name string
	// Cannot returns why the router cannot express rule r, or "" when it
	// can. multiHost is true when the workload has more than one host, so
	// the router must choose by host as well as by path.
	Cannot func(r routebench.Rule, multiHost bool) string
	// Build builds the router's lookup for w, whose rules the router can
	// all express.
	Build func(w routebench.Workload) (Lookup, error)
}

// Lookup finds routes for a workload's requests, by index.
type Lookup interface {
	// Hit looks request i up the way the benchmark measures it and
	// reports whether a route matched.
	Hit(i int) bool
	// Route returns the index in the workload's Rules of the rule that
	// request i reaches, or -1 for none; tests compare it with Expected.
	Route(i int) int
}

// Routers lists the routers compared, meshroute first.
var Routers = []Router{Meshroute, Chi, GorillaMux, HTTPRouter, ServeMux}

// RouterNamed returns the router called name.
func RouterNamed(name string) (Router, bool) {
	for _, r := range Routers {
		if r.Name == name {
			return r, true
		}
	}
	return Router{}, false
}

// multiHost reports whether w's rules span more than one host.
func multiHost(w routebench.Workload) bool {
	return len(w.Hosts()) > 1
}

// segmentTail matches the regexes the path routers can express: a
// character class that cannot contain "/" repeated once or more (or zero
// or more), standing for one path segment.
var segmentTail = regexp.MustCompile(`^\[[^\]^/\\]+\][+*]$`)

// splitSegmentRegex splits a regex path such as "/re/r1/[0-9]+" into the
// literal head "/re/r1/" and the one-segment pattern "[0-9]+", when it has
// that shape: a head without regex syntax ending in "/" and a tail that
// matches within one segment. Routers with segment parameters constrained
// by a regex (chi, gorilla/mux) express exactly these.
func splitSegmentRegex(path string) (head, tail string, ok bool) {
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return "", "", false
	}
	head, tail = path[:i+1], path[i+1:]
	if regexp.QuoteMeta(head) != head || strings.ContainsAny(head, "{}:") || !segmentTail.MatchString(tail) {
		return "", "", false
	}
	return head, tail, true
}

// requestMethods returns the distinct methods of w's requests and rules.
func requestMethods(w routebench.Workload) []string {
	seen := map[string]bool{}
	var out []string
	add := func(m string) {
		if m != "" && !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	for _, r := range w.Requests {
		add(r.Method)
	}
	for _, r := range w.Rules {
		add(r.Method)
	}
	return out
}
