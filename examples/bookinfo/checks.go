package main

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// outcome is what one request of a batch saw.
type outcome struct {
	version string // reviews version that answered, "" when none did
	status  int    // status of the batch's hop; 0 when the call failed
	latency time.Duration
	// ratingsTime is how long reviews' call to ratings took.
	ratingsTime time.Duration
	path        string // path reviews received
	location    string // redirect Location
}

// result gathers a batch's outcomes.
type result struct {
	outs []outcome
	// ratingsHits counts the requests ratings served during the batch,
	// retries included.
	ratingsHits int64
}

func (r *result) n() int { return len(r.outs) }

// versions counts outcomes per reviews version.
func (r *result) versions() map[string]int {
	m := map[string]int{}
	for _, o := range r.outs {
		if o.version != "" {
			m[o.version]++
		}
	}
	return m
}

// statuses counts outcomes per status.
func (r *result) statuses() map[int]int {
	m := map[int]int{}
	for _, o := range r.outs {
		m[o.status]++
	}
	return m
}

// latencies returns the sorted latencies.
func (r *result) latencies() []time.Duration {
	l := make([]time.Duration, len(r.outs))
	for i, o := range r.outs {
		l[i] = o.latency
	}
	slices.Sort(l)
	return l
}

// p50 and max of the latencies (0 for an empty batch).
func (r *result) p50() time.Duration {
	l := r.latencies()
	if len(l) == 0 {
		return 0
	}
	return l[(len(l)-1)/2]
}

func (r *result) max() time.Duration {
	l := r.latencies()
	if len(l) == 0 {
		return 0
	}
	return l[len(l)-1]
}

// check is what a batch must show: want describes it for the table, and
// verify returns "" when the result shows it, else what differed.
type check struct {
	want   string
	verify func(r *result) string
	// observed, when set, says what the table's other columns do not show.
	observed func(r *result) string
}

// allVersion: every request served by reviews version v with 200.
func allVersion(v string) check {
	return check{want: "all " + v, verify: func(r *result) string {
		if bad := notStatus(r, 200); bad != "" {
			return bad
		}
		if got := r.versions()[v]; got != r.n() {
			return fmt.Sprintf("%d of %d served by %s", got, r.n(), v)
		}
		return ""
	}}
}

// split: each version's share within tol percentage points of its weight,
// and no other version, all with 200.
func split(weights map[string]float64, tol float64) check {
	var parts []string
	for _, v := range sortedKeys(weights) {
		parts = append(parts, fmt.Sprintf("%s %.0f%%", v, weights[v]))
	}
	return check{want: strings.Join(parts, ", ") + fmt.Sprintf(" ±%.0f", tol), verify: func(r *result) string {
		if bad := notStatus(r, 200); bad != "" {
			return bad
		}
		got := r.versions()
		for v, n := range got {
			if _, ok := weights[v]; !ok {
				return fmt.Sprintf("%d served by %s, which has no weight", n, v)
			}
		}
		for _, v := range sortedKeys(weights) {
			if bad := share(got[v], r.n(), weights[v], tol, v); bad != "" {
				return bad
			}
		}
		return ""
	}}
}

// statusAfter: every request answered with status, none sooner than lo.
// (Only a lower bound: a loaded machine makes anything slower, never
// faster, so an upper bound would test the machine, not the routing.)
func statusAfter(status int, lo time.Duration) check {
	want := fmt.Sprintf("all %d", status)
	if lo > 0 {
		want = fmt.Sprintf("all %d after ≥ %v", status, lo)
	}
	return check{want: want, verify: func(r *result) string {
		if bad := notStatus(r, status); bad != "" {
			return bad
		}
		if l := r.latencies(); len(l) > 0 && l[0] < lo {
			return fmt.Sprintf("fastest took %v, before %v", l[0], lo)
		}
		return ""
	}}
}

// slowShare: the share of requests whose ratings call took at least slow
// within tol points of pct, all with 200.
func slowShare(slow time.Duration, pct, tol float64) check {
	return check{want: fmt.Sprintf("%.0f%% ±%.0f of ratings calls take ≥ %v", pct, tol, slow), verify: func(r *result) string {
		if bad := notStatus(r, 200); bad != "" {
			return bad
		}
		return share(countSlow(r, slow), r.n(), pct, tol, "delayed")
	}, observed: func(r *result) string {
		return fmt.Sprintf("%d delayed", countSlow(r, slow))
	}}
}

func countSlow(r *result, slow time.Duration) int {
	n := 0
	for _, o := range r.outs {
		if o.ratingsTime >= slow {
			n++
		}
	}
	return n
}

// statusShare: the share of requests answered with status within tol
// points of pct, the rest with 200.
func statusShare(status int, pct, tol float64) check {
	return check{want: fmt.Sprintf("%.0f%% ±%.0f get %d, rest 200", pct, tol, status), verify: func(r *result) string {
		st := r.statuses()
		if st[status]+st[200] != r.n() {
			return fmt.Sprintf("statuses %s, want only %d and 200", formatStatuses(st), status)
		}
		return share(st[status], r.n(), pct, tol, fmt.Sprint(status))
	}}
}

// servedAt: every request served by version v, which received path.
func servedAt(v, path string) check {
	return check{want: "all " + v + " at " + path, verify: func(r *result) string {
		if bad := allVersion(v).verify(r); bad != "" {
			return bad
		}
		for _, o := range r.outs {
			if o.path != path {
				return fmt.Sprintf("%s received %q", o.version, o.path)
			}
		}
		return ""
	}}
}

// redirectTo: every request answered with code and Location loc, served
// by no version.
func redirectTo(code int, loc string) check {
	return check{want: fmt.Sprintf("all %d → %s", code, loc), verify: func(r *result) string {
		if bad := notStatus(r, code); bad != "" {
			return bad
		}
		for _, o := range r.outs {
			if o.location != loc {
				return fmt.Sprintf("Location %q", o.location)
			}
			if o.version != "" {
				return "served by " + o.version
			}
		}
		return ""
	}}
}

// both: a and b.
func both(a, b check) check {
	return check{want: a.want + "; " + b.want, verify: func(r *result) string {
		if bad := a.verify(r); bad != "" {
			return bad
		}
		return b.verify(r)
	}}
}

// ratingsHits: ratings served exactly n requests (so none was retried
// after reaching it).
func ratingsHits(n int64) check {
	return check{want: fmt.Sprintf("ratings hit %d×", n), verify: func(r *result) string {
		if r.ratingsHits != n {
			return fmt.Sprintf("ratings hit %d×", r.ratingsHits)
		}
		return ""
	}}
}

// notStatus returns "" when every outcome has status, else the statuses.
func notStatus(r *result, status int) string {
	st := r.statuses()
	if st[status] == r.n() {
		return ""
	}
	return fmt.Sprintf("statuses %s, want all %d", formatStatuses(st), status)
}

// share returns "" when n of total is within tol points of pct.
func share(n, total int, pct, tol float64, what string) string {
	if total == 0 {
		return "no requests"
	}
	got := 100 * float64(n) / float64(total)
	if got < pct-tol || got > pct+tol {
		return fmt.Sprintf("%s %.1f%%, want %.0f%% ±%.0f", what, got, pct, tol)
	}
	return ""
}

func formatStatuses(st map[int]int) string {
	codes := make([]int, 0, len(st))
	for c := range st {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		name := fmt.Sprint(c)
		if c == 0 {
			name = "error"
		}
		parts[i] = fmt.Sprintf("%s×%d", name, st[c])
	}
	return strings.Join(parts, " ")
}

func formatVersions(vs map[string]int) string {
	if len(vs) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(vs))
	for _, v := range sortedKeys(vs) {
		parts = append(parts, fmt.Sprintf("%s×%d", v, vs[v]))
	}
	return strings.Join(parts, " ")
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
