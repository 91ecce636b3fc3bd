package peerbench

import (
	"github.com/meshroute/meshroute/internal/routebench"
	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
)

// Meshroute is meshroute itself: the workload's Config compiled into a
// route.Table and looked up with Table.Decide. It expresses every rule.
var Meshroute = Router{
	Name:   "meshroute",
	Cannot: func(routebench.Rule, bool) string { return "" },
	Build: func(w routebench.Workload) (Lookup, error) {
		t, err := route.Compile(w.Config())
		if err != nil {
			return nil, err
		}
		l := &meshrouteLookup{t: t, reqs: w.MatchRequests(), rules: map[ruleKey]int{}}
		for i, r := range w.Rules {
			l.rules[ruleKey{r.VirtualService, r.Index}] = i
		}
		return l, nil
	},
}

type ruleKey struct {
	vs    string
	index int
}

type meshrouteLookup struct {
	t     *route.Table
	reqs  []match.Request
	rules map[ruleKey]int
}

func (l *meshrouteLookup) Hit(i int) bool {
	d := l.t.Decide(&l.reqs[i])
	return d.Rule.Index >= 0
}

func (l *meshrouteLookup) Route(i int) int {
	d := l.t.Decide(&l.reqs[i])
	if d.Rule.Index < 0 {
		return -1
	}
	if r, ok := l.rules[ruleKey{d.VirtualService.Name, d.Rule.Index}]; ok {
		return r
	}
	return -2 // a rule the workload does not have
}
