package kubesource

import (
	"cmp"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/meshroute/meshroute/route"
)

// objectKey names one watched object.
type objectKey struct{ kind, namespace, name string }

func (k objectKey) ref() route.ObjectRef {
	return route.ObjectRef{Kind: k.kind, Namespace: k.namespace, Name: k.name}
}

// entry is one version of one object, converted and validated once.
type entry struct {
	key     objectKey
	version string // resource version, "" when the API server gave none
	origin  any    // the informer's object, identifying versions without one
	cfg     *route.Config
	errors  route.Problems // error-severity problems: the object is left out
	blamed  bool           // the compiler's errors named it and that was reported
}

// current reports whether e was made from obj.
func (e *entry) current(obj any, m metav1.Object) bool {
	if e.version != "" {
		return e.version == m.GetResourceVersion()
	}
	return e.origin == obj
}

// Skipped is an object left out of the table, with the reasons.
type Skipped struct {
	Object   route.ObjectRef
	Problems route.Problems
}

// Change describes one rebuild that changed the table in force, or failed.
type Change struct {
	// Table is the table in force after the rebuild.
	Table *route.Table
	// Added, Updated and Removed list the watched objects that appeared,
	// changed (a new resource version) and disappeared since the previous
	// rebuild, valid or not.
	Added, Updated, Removed []route.ObjectRef
	// Skipped lists every object currently left out because it is invalid.
	Skipped []Skipped
	// Err is set when the configuration could not be compiled even without
	// the invalid objects; the previous table then stays in force.
	Err error
}

// Status is a snapshot of a Source's state.
type Status struct {
	// Synced is true once the first table is in force.
	Synced bool
	// Objects is the number of objects in the table in force.
	Objects int
	// Skipped lists the objects left out because they are invalid.
	Skipped []Skipped
	// Rebuilds counts rebuilds after changes, including those that found
	// nothing new; Applied counts tables swapped into the Store.
	Rebuilds, Applied uint64
	// LastApplied is when the last table was swapped in.
	LastApplied time.Time
	// LastError is the error of the last failed rebuild, nil after a
	// successful one.
	LastError error
}

// Status returns the Source's current state.
func (s *Source) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status
	st.Skipped = slices.Clone(st.Skipped)
	return st
}

// maxCompileRetries bounds how many times a rebuild drops objects named by
// compile errors and tries again.
const maxCompileRetries = 3

// rebuild reads every watched object from the informer caches, converts
// and validates what changed, and swaps a new table into the store unless
// the set of object versions is the one already tried.
func (s *Source) rebuild() {
	seen := make(map[objectKey]*entry, len(s.cache))
	for _, ki := range s.informers {
		for _, obj := range ki.informer.GetStore().List() {
			m, ok := obj.(metav1.Object)
			if !ok || !s.selector.Matches(labels.Set(m.GetLabels())) {
				continue
			}
			key := objectKey{ki.kind, m.GetNamespace(), m.GetName()}
			e := s.cache[key]
			if e == nil || !e.current(obj, m) {
				e = s.load(key, obj, m)
			}
			seen[key] = e
		}
	}
	s.cache = seen

	s.mu.Lock()
	s.status.Rebuilds++
	s.mu.Unlock()
	if sameEntries(seen, s.applied) && s.status.Synced {
		return // a resync, or changes that cancelled out
	}
	added, updated, removed := diff(s.applied, seen)
	s.applied = seen

	valid := make([]*entry, 0, len(seen))
	var skipped []Skipped
	for _, e := range seen {
		if len(e.errors) > 0 {
			skipped = append(skipped, Skipped{Object: e.key.ref(), Problems: e.errors})
		} else {
			valid = append(valid, e)
		}
	}
	slices.SortFunc(valid, func(a, b *entry) int { return compareKeys(a.key, b.key) })

	var err error
	for range maxCompileRetries + 1 {
		cfg := &route.Config{}
		for _, e := range valid {
			cfg.Merge(e.cfg)
		}
		err = s.store.Update(cfg)
		if err == nil {
			break
		}
		// A problem that only shows with other objects (a conflict, a
		// delegate): leave out the objects the errors name and try again.
		var probs route.Problems
		if !errors.As(err, &probs) {
			break
		}
		blamed := map[objectKey]route.Problems{}
		for _, p := range probs.Errors() {
			k := objectKey{p.Object.Kind, p.Object.Namespace, p.Object.Name}
			if e := seen[k]; e != nil && len(e.errors) == 0 {
				blamed[k] = append(blamed[k], p)
			}
		}
		if len(blamed) == 0 {
			break
		}
		valid = slices.DeleteFunc(valid, func(e *entry) bool { return blamed[e.key] != nil })
		for k, ps := range blamed {
			if e := seen[k]; !e.blamed {
				e.blamed = true // reported once per version, as invalid objects are
				s.logSkipped(e, ps)
			}
			skipped = append(skipped, Skipped{Object: k.ref(), Problems: ps})
		}
	}
	slices.SortFunc(skipped, func(a, b Skipped) int { return compareRefs(a.Object, b.Object) })

	s.mu.Lock()
	s.status.Skipped = skipped
	s.status.LastError = err
	if err == nil {
		s.status.Applied++
		s.status.Objects = len(valid)
		s.status.LastApplied = time.Now()
	}
	s.mu.Unlock()

	if err != nil {
		s.opts.logger.Error("kubesource: configuration not applied; the previous table stays in force", "error", err)
	} else {
		s.opts.logger.Info("kubesource: configuration applied",
			"objects", len(valid), "skipped", len(skipped), "warnings", len(s.store.Table().Warnings()),
			"added", len(added), "updated", len(updated), "removed", len(removed))
	}
	if s.opts.onApply != nil {
		s.opts.onApply(Change{
			Table: s.store.Table(), Added: added, Updated: updated, Removed: removed,
			Skipped: skipped, Err: err,
		})
	}
}

// load converts and validates one object version, logging it if invalid.
func (s *Source) load(key objectKey, obj any, m metav1.Object) *entry {
	e := &entry{key: key, version: m.GetResourceVersion(), origin: obj}
	cfg, _, ok := Convert(obj)
	if !ok {
		e.errors = route.Problems{{Object: key.ref(), Rule: "is not a type kubesource knows", Code: "unknown-type"}}
	} else {
		e.cfg = cfg
		// Only errors count here: warnings about other objects (a subset
		// no DestinationRule defines) are artefacts of validating alone;
		// the table's own Warnings hold the real ones.
		e.errors = validate(cfg).Errors()
	}
	if len(e.errors) > 0 {
		s.logSkipped(e, e.errors)
	}
	return e
}

// logSkipped reports that e is left out: a log line, and an event on the
// object when a recorder is set.
func (s *Source) logSkipped(e *entry, probs route.Problems) {
	msgs := make([]string, len(probs))
	for i, p := range probs {
		msgs[i] = p.Error()
	}
	s.opts.logger.Warn("kubesource: skipping invalid object",
		slog.String("object", e.key.ref().String()), slog.Any("problems", msgs))
	if obj, ok := e.origin.(runtime.Object); ok && s.opts.recorder != nil {
		s.opts.recorder.Event(obj, corev1.EventTypeWarning, EventReasonInvalid,
			"meshroute leaves this object out: "+strings.Join(msgs, "; "))
	}
}

// validate finds the problems of a one-object configuration.
var validate = route.Validate

// sameEntries reports whether a and b hold the same object versions.
func sameEntries(a, b map[objectKey]*entry) bool {
	if len(a) != len(b) {
		return false
	}
	for k, e := range a {
		if b[k] != e {
			return false
		}
	}
	return true
}

// diff lists the objects added, changed and removed from before to after,
// each sorted.
func diff(before, after map[objectKey]*entry) (added, updated, removed []route.ObjectRef) {
	for k, e := range after {
		switch old := before[k]; {
		case old == nil:
			added = append(added, k.ref())
		case old != e:
			updated = append(updated, k.ref())
		}
	}
	for k := range before {
		if after[k] == nil {
			removed = append(removed, k.ref())
		}
	}
	for _, l := range [][]route.ObjectRef{added, updated, removed} {
		slices.SortFunc(l, compareRefs)
	}
	return added, updated, removed
}

var kindOrder = map[string]int{
	route.KindVirtualService: 0, route.KindDestinationRule: 1, route.KindServiceEntry: 2,
	route.KindGateway: 3, route.KindWorkloadEntry: 4,
}

func compareKeys(a, b objectKey) int { return compareRefs(a.ref(), b.ref()) }

func compareRefs(a, b route.ObjectRef) int {
	return cmp.Or(
		cmp.Compare(kindOrder[a.Kind], kindOrder[b.Kind]),
		cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.Namespace, b.Namespace),
		cmp.Compare(a.Name, b.Name),
	)
}
