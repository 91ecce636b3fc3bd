package route

import (
	"net/http"
	"slices"
	"strings"
	"time"
	"unsafe"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/fault"
	"github.com/meshroute/meshroute/match"
)

// The request path reads compiled rules through two compact forms built
// once per table: a slot per match clause, with the clause's uri and
// method inline when nothing else is tested, and a rulePlan per rule that
// holds every field a decision copies, its destinations inline. Both live
// in a few large arrays, so a decision touches a handful of neighbouring
// cache lines instead of chasing a pointer per field (on a table of 10,000
// hosts the chase, not the comparisons, was most of Decide's time).

// rulePlan is the decide-time form of one HTTP rule (or of a default
// route): what Decision copies, in one record.
type rulePlan struct {
	action           Action
	timeoutSet       bool
	retryIgnoreHosts uint8 // 0 unset, 1 true, 2 false (httpRule.retryIgnoreHosts)
	mirrors          bool  // the rule mirrors (rule.mirrors)
	index            int32
	name             string
	vs               ObjectRef
	delegate         *ObjectRef // nil for the root VirtualService's own rules
	cors             *CORSPolicy
	fault            *fault.Spec
	rewrite          *rewriteSpec
	timeout          time.Duration
	total            uint64
	// retry is the rule's retry policy; rules with the table's default
	// policy share one.
	retry *Retry
	// rule is the compiled rule, for what only redirects, direct
	// responses and mirrors need.
	rule *httpRule
	// dest0 is the first destination, inline: most rules have one.
	// dests are all of them (weight-0 ones dropped, as httpRule.dests)
	// when there are several, else nil.
	dest0 destPlan
	dests []destPlan
}

// destPlan is one destination of a rulePlan.
type destPlan struct {
	dest      Destination // as configured; Port 0 ⇒ decided per request
	cum       uint64
	authority string
	reqOps    HeaderOps
	respOps   HeaderOps
	// ti is the destination's target when every view resolves it alike
	// (no namespace-local DestinationRule tells them apart), else nil and
	// rd.targets holds one per view.
	ti *targetInfo
	rd *routeDest

	// fixed is set when ti is, no workload selector chooses among its
	// targets, and the port does not depend on the request (the
	// destination or its ServiceEntry names it): setTarget's
	// output is then precomputed below, and ti need not be read.
	fixed          bool
	fixedHash      bool
	fixedUndefined bool // the subset is undefined (503; ti.reason says why)
	fixedPort      uint32
	fixedLabels    map[string]string
	fixedPolicy    *networking.TrafficPolicy
	fixedDR        *ObjectRef // nil when no DestinationRule applies; shared by the table's plans
}

// target returns the destination's resolved target in view v.
func (dp *destPlan) target(v *view) *targetInfo {
	if dp.ti != nil {
		return dp.ti
	}
	return dp.rd.targets[v.id]
}

// slot is one match clause that applies in a virtual host, in the host's
// order, in the form the request path tests.
//
// A slot is one cache line (64 bytes on amd64): the method is an index in
// slotMethods and the clause's name, rarely set, is read from rm.
type slot struct {
	kind       slotKind
	method     uint8 // slotExact, slotPrefix: index in slotMethods, 0 for any
	named      bool  // the clause has a name (rm.name)
	matchIndex int32 // the clause's index in its rule; -1 for a rule without clauses
	// uri is the uri value of slotExact and slotPrefix; for slotFull the
	// literal text every matching path starts with ("" when unknown),
	// tested before the clause's HTTPMatch.
	uri  string
	plan *rulePlan
	rm   *ruleMatch // nil for a rule without clauses
	// uriBuf holds uri when it is short enough: then uri points here and
	// comparing it reads the slot's own cache line (packSlotStrings).
	uriBuf [24]byte
}

// slotMethods are the methods a simple slot can require; a clause
// requiring another is tested by its HTTPMatch.
var slotMethods = [...]string{"", http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace}

// methodIndex returns m's index in slotMethods.
func methodIndex(m string) (uint8, bool) {
	for i, c := range slotMethods {
		if m == c {
			return uint8(i), true
		}
	}
	return 0, false
}

// matchName returns the name of the slot's clause.
func (s *slot) matchName() string {
	if !s.named {
		return ""
	}
	return s.rm.name
}

// slotKind says how a slot is tested.
type slotKind uint8

const (
	slotAlways slotKind = iota // a rule without clauses: every request
	slotExact                  // uri exact (and method) only
	slotPrefix                 // uri prefix (and method) only
	slotFull                   // anything else: rm.m decides
)

// matches tests the slot on req, whose normalised path is path.
func (s *slot) matches(req *match.Request, path string) bool {
	return !s.uriFails(path) && s.restMatches(req, path)
}

// uriFails reports whether path fails the slot's uri test (for slotFull,
// its literal prefix), without a call: it is inlined in the loops that
// try slots, where most slots fail it.
func (s *slot) uriFails(path string) bool {
	n := len(s.uri)
	return len(path) < n || s.kind == slotExact && len(path) != n || path[:n] != s.uri
}

// restMatches tests the rest of the slot on a request whose path passed
// uriFails.
func (s *slot) restMatches(req *match.Request, path string) bool {
	switch s.kind {
	case slotAlways:
		return true
	case slotFull:
		return s.rm.m.MatchNormalized(req, path)
	}
	return s.method == 0 || req.Method == slotMethods[s.method]
}

// newSlot makes the slot of clause rm (nil: a rule without clauses).
func newSlot(p *rulePlan, rm *ruleMatch) slot {
	if rm == nil {
		return slot{kind: slotAlways, matchIndex: -1, plan: p}
	}
	s := slot{kind: slotFull, matchIndex: int32(rm.index), named: rm.name != "", plan: p, rm: rm}
	full := rm.uri
	s.uri = full.LiteralPrefix()
	uri, method, ok := rm.m.Simple()
	if ok {
		s.method, ok = methodIndex(method)
	}
	if ok {
		s.uri = uri.Value
		s.kind = slotExact
		if uri.Kind == match.KindPrefix {
			s.kind = slotPrefix
		}
	}
	return s
}

// buildSlots lists the clauses of routes that apply, in order: rule by
// rule, clause by clause, a rule without clauses as one slot (only the
// first such rule, as nothing after it is reachable).
func buildSlots(routes []routeEntry) []slot {
	out := make([]slot, 0, countClauses(routes))
	for i := range routes {
		e := &routes[i]
		p := e.rule.plan
		if len(e.rule.matches) == 0 {
			if e.vsLevel {
				return append(out, newSlot(p, nil))
			}
			continue
		}
		for _, rm := range e.rule.matches {
			if !e.vsLevel && rm.gateways == nil {
				continue // the clause never applies in this view
			}
			out = append(out, newSlot(p, rm))
		}
	}
	packSlotStrings(out)
	return out
}

// packSlotStrings moves the slots' uris next to the slots, so that
// trying a host's slots reads neighbouring memory rather than a string
// allocated with each configuration object: a short uri into the slot
// itself, the others into one string. The slots must be in their
// final array.
func packSlotStrings(slots []slot) {
	n := 0
	for i := range slots {
		if len(slots[i].uri) > len(slots[i].uriBuf) {
			n += len(slots[i].uri)
		}
	}
	var b strings.Builder
	b.Grow(n)
	for i := range slots {
		if len(slots[i].uri) > len(slots[i].uriBuf) {
			b.WriteString(slots[i].uri)
		}
	}
	long, off := b.String(), 0
	for i := range slots {
		s := &slots[i]
		switch n := len(s.uri); {
		case n == 0:
		case n <= len(s.uriBuf):
			copy(s.uriBuf[:], s.uri)
			s.uri = unsafe.String(&s.uriBuf[0], n)
		default:
			s.uri, off = long[off:off+n], off+n
		}
	}
}

// planner builds the rule plans of a table in one array each for plans and
// destinations.
type planner struct {
	plans        []rulePlan
	dests        []destPlan
	defaultRetry *Retry
	// drRefs interns the DestinationRule references of fixed targets.
	drRefs map[ObjectRef]*ObjectRef
}

func newPlanner(rules, dests int, defaultRetry *Retry) *planner {
	return &planner{
		defaultRetry: defaultRetry,
		drRefs:       map[ObjectRef]*ObjectRef{},
		plans:        make([]rulePlan, 0, rules),
		dests:        make([]destPlan, 0, dests),
	}
}

// add builds the plan of rule r of vs (vs nil for a default route), with
// dests its destinations. The arrays are sized beforehand: add never
// reallocates them, so the pointers it returns stay valid.
func (pl *planner) add(vs *compiledVS, r *httpRule, dests []*routeDest) *rulePlan {
	pl.plans = append(pl.plans, basePlan(vs, r))
	p := &pl.plans[len(pl.plans)-1]
	if sameRetry(&r.retry, pl.defaultRetry) {
		p.retry = pl.defaultRetry
	}
	if len(dests) > 0 {
		p.dest0 = pl.destPlan(dests[0])
	}
	if len(dests) > 1 {
		lo := len(pl.dests)
		for _, rd := range dests {
			pl.dests = append(pl.dests, pl.destPlan(rd))
		}
		p.dests = pl.dests[lo:len(pl.dests):len(pl.dests)]
	}
	return p
}

// basePlan is the plan of rule r of vs (nil for a default route) without
// destinations.
func basePlan(vs *compiledVS, r *httpRule) rulePlan {
	p := rulePlan{
		action: r.action, timeoutSet: r.timeoutSet, retryIgnoreHosts: r.retryIgnoreHosts,
		index: int32(r.index), name: r.name,
		cors: r.cors, fault: r.fault, rewrite: r.rewrite,
		timeout: r.timeout, total: r.total, retry: &r.retry, rule: r, mirrors: len(r.mirrors) > 0,
	}
	if vs != nil {
		p.vs = vs.ref
	}
	if r.delegate != (ObjectRef{}) {
		p.delegate = &r.delegate
	}
	return p
}

// referencePlan is the plan of rule r of vs (nil for a default route) to
// destinations rds, built without the request path's shortcuts (targets
// shared across views, fixed ports, the shared retry policy):
// decideLinear decides with it, so that the differential tests check the
// shortcuts too.
func referencePlan(vs *compiledVS, r *httpRule, rds []*routeDest) rulePlan {
	p := basePlan(vs, r)
	if len(rds) > 0 {
		p.dest0 = plainDestPlan(rds[0])
	}
	if len(rds) > 1 {
		p.dests = make([]destPlan, 0, len(rds))
		for _, rd := range rds {
			p.dests = append(p.dests, plainDestPlan(rd))
		}
	}
	return p
}

// plainDestPlan is the plan of destination rd that resolves its target
// per view and request.
func plainDestPlan(rd *routeDest) destPlan {
	return destPlan{dest: rd.dest, cum: rd.cum, authority: rd.authority, reqOps: rd.reqOps, respOps: rd.respOps, rd: rd}
}

// destPlan is the plan of destination rd with what can be resolved now:
// the target every view shares and, for a fixed port, what setTarget
// would fill in.
func (pl *planner) destPlan(rd *routeDest) destPlan {
	dp := plainDestPlan(rd)
	if sharedTarget(rd.targets) {
		dp.ti = rd.targets[0]
	}
	if ti := dp.ti; ti != nil && ti.selected == nil && (rd.dest.Port != 0 || ti.sePort != 0) {
		var d Decision
		dp.fixedHash = setTarget(&d, ti, rd.dest, nil)
		dp.fixed, dp.fixedUndefined = true, ti.undefined
		dp.fixedPort, dp.fixedLabels, dp.fixedPolicy = d.Target.Port, d.Target.SubsetLabels, d.Target.Policy
		if dr := d.DestinationRule; dr != (ObjectRef{}) {
			dp.fixedDR = pl.drRefs[dr]
			if dp.fixedDR == nil {
				dp.fixedDR = new(ObjectRef)
				*dp.fixedDR = dr
				pl.drRefs[dr] = dp.fixedDR
			}
		}
	}
	return dp
}

// sameRetry reports whether two retry policies are equal
// (TestSameRetryComparesEveryField keeps it complete).
func sameRetry(a, b *Retry) bool {
	return a.Attempts == b.Attempts && a.PerTryTimeout == b.PerTryTimeout && a.On == b.On &&
		slices.Equal(a.StatusCodes, b.StatusCodes) && a.Backoff == b.Backoff && a.MaxBackoff == b.MaxBackoff &&
		a.RetryRemoteLocalities == b.RetryRemoteLocalities && a.IgnorePreviousHosts == b.IgnorePreviousHosts &&
		a.FromDefault == b.FromDefault && a.RetryOnText == b.RetryOnText
}

// sharedTarget reports whether every view resolved the destination to the
// same target (canonicalTargets makes equal ones identical).
func sharedTarget(ts []*targetInfo) bool {
	if len(ts) == 0 {
		return false
	}
	for _, t := range ts[1:] {
		if t != ts[0] {
			return false
		}
	}
	return true
}

// canonicalTargets makes the targets that views resolved like the first
// view's one pointer: views differ only by the caller namespace's
// DestinationRules, so two targets of a host and subset under the same
// rules, merged alike, are the same.
func canonicalTargets(ts []*targetInfo) {
	for i := 1; i < len(ts); i++ {
		if sameTarget(ts[i], ts[0]) {
			ts[i] = ts[0]
		}
	}
}

func sameTarget(a, b *targetInfo) bool {
	return a == b || (a.host == b.host && a.subset == b.subset && a.noCluster == b.noCluster && sameMerge(a.from, b.from) && a.selected == nil && b.selected == nil)
}

// buildPlans builds the plan of every HTTP rule and every default route,
// then every virtual host's slots; hosts with the same rules share one
// list (as they share a ruleIndex).
func (t *Table) buildPlans() {
	rules, dests := 0, 0
	for _, vs := range t.vss {
		for _, r := range vs.http {
			rules++
			if len(r.dests) > 1 {
				dests += len(r.dests)
			}
		}
	}
	for _, v := range t.views {
		for _, vh := range v.vhosts {
			if vh.defaultRoute != nil {
				rules++
			}
		}
	}
	pl := newPlanner(rules, dests, &t.defaultRule.retry)
	for _, vs := range t.vss {
		for _, r := range vs.http {
			r.plan = pl.add(vs, r, r.dests)
		}
	}
	type key struct {
		vs      *compiledVS
		vsLevel bool
	}
	shared := map[key][]slot{}
	for _, v := range t.views {
		for _, vh := range v.vhosts {
			if vh.defaultRoute != nil {
				vh.defaultPlan = pl.add(nil, t.defaultRule, []*routeDest{vh.defaultRoute})
				continue
			}
			if len(vh.routes) == 0 {
				continue
			}
			vs, vsLevel, ok := singleVS(vh)
			if !ok {
				vh.slots = buildSlots(vh.routes)
				continue
			}
			k := key{vs, vsLevel}
			if _, done := shared[k]; !done {
				shared[k] = buildSlots(vh.routes)
			}
			vh.slots = shared[k]
		}
	}
}
