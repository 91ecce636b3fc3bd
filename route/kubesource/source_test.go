package kubesource

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	networking "istio.io/api/networking/v1alpha3"
	istionet "istio.io/client-go/pkg/apis/networking/v1"
	"istio.io/client-go/pkg/clientset/versioned/fake"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"

	"github.com/meshroute/meshroute/route"
)

// istioKinds is how many informers a Source runs per namespace.
const istioKinds = 5

// changeSummary is what a test compares of one applied Change.
type changeSummary struct {
	Added, Updated, Removed []string
	Skipped                 []string
	Objects                 []string
	Route                   string
	Err                     string
}

func summarize(c Change) changeSummary {
	s := changeSummary{
		Added: refs(c.Added), Updated: refs(c.Updated), Removed: refs(c.Removed),
		Objects: objectsIn(c.Table), Route: routeTo(c.Table, reviewsHost),
	}
	for _, sk := range c.Skipped {
		s.Skipped = append(s.Skipped, sk.Object.String())
	}
	if c.Err != nil {
		s.Err = c.Err.Error()
	}
	return s
}

func nextChange(t *testing.T, changes <-chan Change) Change {
	t.Helper()
	select {
	case c := <-changes:
		return c
	case <-time.After(testTimeout):
		t.Fatalf("no change applied within %v", testTimeout)
		return Change{}
	}
}

// startSource runs a Source over cs until the test ends and returns it
// once it has synced and every informer is watching.
func startSource(t *testing.T, cs *fake.Clientset, watches <-chan string, namespaces int, opts ...Option) (*Source, *route.Store, <-chan Change) {
	t.Helper()
	store, err := route.NewStore(&route.Config{})
	if err != nil {
		t.Fatal(err)
	}
	changes := make(chan Change, 100)
	opts = append([]Option{
		WithDebounce(5*time.Millisecond, 100*time.Millisecond),
		WithLogger(discardLogger()),
		WithOnApply(func(c Change) { changes <- c }),
	}, opts...)
	src, err := New(cs, store, opts...)
	if err != nil {
		t.Fatal(err)
	}
	runInBackground(t, src.Run)
	waitClosed(t, src.Synced(), "first sync")
	waitWatches(t, watches, namespaces*istioKinds)
	return src, store, changes
}

func TestSourceFollowsTheCluster(t *testing.T) {
	ctx := t.Context()
	cs := fake.NewSimpleClientset(reviewsDR("1"), reviewsSE("1"), reviewsVS("shop", "reviews", "1", reviewsHost, "v1", nil))
	watches := serveWatches(cs)
	logs := &logBuffer{}
	src, store, changes := startSource(t, cs, watches, 1, WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	vss := cs.NetworkingV1().VirtualServices("shop")

	want := changeSummary{
		Added:   []string{"VirtualService shop/reviews", "DestinationRule shop/reviews", "ServiceEntry shop/reviews"},
		Objects: []string{"VirtualService shop/reviews", "DestinationRule shop/reviews", "ServiceEntry shop/reviews"},
		Route:   "route " + reviewsHost + " subset v1",
	}
	if diff := cmp.Diff(want, summarize(nextChange(t, changes))); diff != "" {
		t.Fatalf("first table (-want +got):\n%s", diff)
	}

	steps := []struct {
		name string
		do   func() error
		want changeSummary
	}{
		{
			name: "a new resource version of a VirtualService replaces the old one",
			do: func() error {
				_, err := vss.Update(ctx, reviewsVS("shop", "reviews", "2", reviewsHost, "v2", nil), metav1.UpdateOptions{})
				return err
			},
			want: changeSummary{
				Updated: []string{"VirtualService shop/reviews"},
				Objects: []string{"VirtualService shop/reviews", "DestinationRule shop/reviews", "ServiceEntry shop/reviews"},
				Route:   "route " + reviewsHost + " subset v2",
			},
		},
		{
			name: "an invalid object is skipped and the valid rest still applies",
			do: func() error {
				_, err := vss.Create(ctx, brokenVS("shop", "broken", "3"), metav1.CreateOptions{})
				return err
			},
			want: changeSummary{
				Added:   []string{"VirtualService shop/broken"},
				Skipped: []string{"VirtualService shop/broken"},
				Objects: []string{"VirtualService shop/reviews", "DestinationRule shop/reviews", "ServiceEntry shop/reviews"},
				Route:   "route " + reviewsHost + " subset v2",
			},
		},
		{
			name: "a deleted VirtualService leaves the table and its host takes the default route",
			do:   func() error { return vss.Delete(ctx, "reviews", metav1.DeleteOptions{}) },
			want: changeSummary{
				Removed: []string{"VirtualService shop/reviews"},
				Skipped: []string{"VirtualService shop/broken"},
				Objects: []string{"DestinationRule shop/reviews", "ServiceEntry shop/reviews"},
				Route:   "route " + reviewsHost,
			},
		},
		{
			name: "an invalid object once fixed enters the table",
			do: func() error {
				_, err := vss.Update(ctx, reviewsVS("shop", "broken", "4", reviewsHost, "v1", nil), metav1.UpdateOptions{})
				return err
			},
			want: changeSummary{
				Updated: []string{"VirtualService shop/broken"},
				Objects: []string{"VirtualService shop/broken", "DestinationRule shop/reviews", "ServiceEntry shop/reviews"},
				Route:   "route " + reviewsHost + " subset v1",
			},
		},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if diff := cmp.Diff(st.want, summarize(nextChange(t, changes))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", st.name, diff)
		}
		if diff := cmp.Diff(st.want.Objects, objectsIn(store.Table())); diff != "" {
			t.Errorf("%s: store's table (-want +got):\n%s", st.name, diff)
		}
		if got := len(src.Status().Skipped); got != len(st.want.Skipped) {
			t.Errorf("%s: Status().Skipped has %d objects, want %d", st.name, got, len(st.want.Skipped))
		}
	}

	log := logs.String()
	for _, want := range []string{`level=WARN msg="kubesource: skipping invalid object"`, `object="VirtualService shop/broken"`} {
		if !strings.Contains(log, want) {
			t.Errorf("log does not name the invalid object with %q; log:\n%s", want, log)
		}
	}
	if n := strings.Count(log, "skipping invalid object"); n != 1 {
		t.Errorf("the invalid object was logged %d times, want once per resource version", n)
	}
}

func TestInvalidObjectStatusNamesTheProblem(t *testing.T) {
	cs := fake.NewSimpleClientset(brokenVS("shop", "broken", "1"))
	events := record.NewFakeRecorder(10)
	src, store, _ := startSource(t, cs, serveWatches(cs), 1, WithEventRecorder(events))
	st := src.Status()
	if len(st.Skipped) != 1 {
		t.Fatalf("Status().Skipped = %v, want the broken VirtualService", st.Skipped)
	}
	if got, want := st.Skipped[0].Object.String(), "VirtualService shop/broken"; got != want {
		t.Errorf("skipped object = %q, want %q", got, want)
	}
	if len(st.Skipped[0].Problems) == 0 || !strings.Contains(st.Skipped[0].Problems.Error(), "needs at least one of http, tcp or tls routes") {
		t.Errorf("problems = %v, want the missing routes", st.Skipped[0].Problems)
	}
	if got := objectsIn(store.Table()); len(got) != 0 {
		t.Errorf("table holds %v, want nothing", got)
	}
	select {
	case ev := <-events.Events:
		want := "Warning InvalidConfiguration meshroute leaves this object out: VirtualService shop/broken: spec: needs at least one of http, tcp or tls routes"
		if ev != want {
			t.Errorf("event on the invalid object:\n got %q\nwant %q", ev, want)
		}
	default:
		t.Error("no Kubernetes event was recorded on the invalid object")
	}
}

// resyncCounter counts the updates an informer delivers.
func countUpdates(t *testing.T, inf cache.SharedIndexInformer) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{UpdateFunc: func(any, any) { n.Add(1) }}); err != nil {
		t.Fatal(err)
	}
	return &n
}

func TestResyncCausesNoRecompilation(t *testing.T) {
	tests := []struct {
		name string
		objs []runtime.Object
	}{
		{"objects with resource versions are not recompiled on resync",
			[]runtime.Object{reviewsDR("1"), reviewsSE("1"), reviewsVS("shop", "reviews", "1", reviewsHost, "v1", nil)}},
		{"objects without resource versions are not recompiled on resync",
			[]runtime.Object{reviewsDR(""), reviewsSE(""), reviewsVS("shop", "reviews", "", reviewsHost, "v1", nil)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := fake.NewSimpleClientset(tt.objs...)
			t.Parallel()
			// One second is the shortest resync client-go allows.
			src, _, _ := startSource(t, cs, serveWatches(cs), 1, WithResync(time.Second))
			resyncs := countUpdates(t, src.informers[0].informer)
			before := src.Status()
			eventually(t, "two resyncs", func() bool { return resyncs.Load() >= 2 })
			time.Sleep(50 * time.Millisecond) // past any debounce a resync could have started
			after := src.Status()
			if after.Applied != before.Applied || after.Rebuilds != before.Rebuilds {
				t.Errorf("after %d resyncs: applied %d→%d, rebuilt %d→%d; want no change",
					resyncs.Load(), before.Applied, after.Applied, before.Rebuilds, after.Rebuilds)
			}
		})
	}
}

func TestRebuildWithUnchangedVersionsDoesNotSwapTheTable(t *testing.T) {
	cs := fake.NewSimpleClientset(reviewsDR("1"), reviewsVS("shop", "reviews", "1", reviewsHost, "v1", nil))
	src, store, _ := startSource(t, cs, serveWatches(cs), 1)
	tbl := store.Table()
	before := src.Status()
	src.markDirty() // as an event that changed nothing would
	eventually(t, "a rebuild", func() bool { return src.Status().Rebuilds > before.Rebuilds })
	if store.Table() != tbl {
		t.Error("a rebuild over the same object versions swapped in a new table")
	}
	if after := src.Status(); after.Applied != before.Applied {
		t.Errorf("Applied went from %d to %d, want no new table", before.Applied, after.Applied)
	}
}

func TestDebounceCoalescesABurst(t *testing.T) {
	ctx := t.Context()
	cs := fake.NewSimpleClientset()
	src, _, changes := startSource(t, cs, serveWatches(cs), 1, WithDebounce(time.Second, 10*time.Second))
	nextChange(t, changes) // the first, empty table
	for i := range 20 {
		vs := reviewsVS("shop", "vs-"+string(rune('a'+i)), "1", reviewsHost, "v1", nil)
		if _, err := cs.NetworkingV1().VirtualServices("shop").Create(ctx, vs, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	c := nextChange(t, changes)
	if len(c.Added) != 20 {
		t.Errorf("first change after a burst of 20 creations added %d objects, want all 20 at once", len(c.Added))
	}
	if st := src.Status(); st.Applied != 2 || st.Objects != 20 {
		t.Errorf("Status: applied %d tables with %d objects, want 2 tables (first and burst) with 20", st.Applied, st.Objects)
	}
}

func TestMaxDelayBoundsAStreamOfChanges(t *testing.T) {
	ctx := t.Context()
	cs := fake.NewSimpleClientset()
	_, _, changes := startSource(t, cs, serveWatches(cs), 1, WithDebounce(time.Hour, 50*time.Millisecond))
	nextChange(t, changes)
	if _, err := cs.NetworkingV1().VirtualServices("shop").Create(ctx, reviewsVS("shop", "a", "1", reviewsHost, "v1", nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c := nextChange(t, changes)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("change applied after %v despite a 50ms max delay", took)
	}
	if diff := cmp.Diff([]string{"VirtualService shop/a"}, refs(c.Added)); diff != "" {
		t.Errorf("added (-want +got):\n%s", diff)
	}
}

func TestNamespacesAndLabelSelectorLimitTheWatch(t *testing.T) {
	ctx := t.Context()
	on := map[string]string{"mesh": "on"}
	cs := fake.NewSimpleClientset(
		reviewsVS("shop", "listed-match", "1", reviewsHost, "v1", on),
		reviewsVS("shop", "listed-unlabelled", "1", reviewsHost, "v1", nil),
		reviewsVS("other", "listed-other-namespace", "1", reviewsHost, "v1", on),
		reviewsVS("pay", "listed-second-namespace", "1", reviewsHost, "v1", on),
	)
	src, store, changes := startSource(t, cs, serveWatches(cs), 2, WithNamespaces("shop", "pay", "shop"), WithLabelSelector("mesh=on"))
	want := []string{"VirtualService pay/listed-second-namespace", "VirtualService shop/listed-match"}
	if diff := cmp.Diff(want, objectsIn(store.Table())); diff != "" {
		t.Errorf("first table (-want +got):\n%s", diff)
	}
	vss := cs.NetworkingV1()
	for _, vs := range []struct {
		ns, name string
		labels   map[string]string
	}{
		{"other", "watched-other-namespace", on},
		{"shop", "watched-unlabelled", nil},
		{"shop", "watched-match", on},
	} {
		if _, err := vss.VirtualServices(vs.ns).Create(ctx, reviewsVS(vs.ns, vs.name, "2", reviewsHost, "v1", vs.labels), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the matching object arrives", func() bool { return src.Status().Objects == 3 })
	want = []string{"VirtualService pay/listed-second-namespace", "VirtualService shop/listed-match", "VirtualService shop/watched-match"}
	if diff := cmp.Diff(want, objectsIn(store.Table())); diff != "" {
		t.Errorf("after watch events (-want +got):\n%s", diff)
	}
	_ = changes
	for _, a := range cs.Actions() {
		if lw, ok := a.(k8stesting.ListActionImpl); ok {
			if got := lw.ListRestrictions.Labels.String(); got != "mesh=on" {
				t.Errorf("%s of %s asked the server for labels %q, want %q", a.GetVerb(), a.GetResource().Resource, got, "mesh=on")
			}
		}
	}
}

func TestNewRefusesBadArguments(t *testing.T) {
	store, err := route.NewStore(&route.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cs := fake.NewSimpleClientset()
	tests := []struct {
		name    string
		new     func() (*Source, error)
		wantErr string
	}{
		{"a nil clientset is refused", func() (*Source, error) { return New(nil, store) }, "nil Istio clientset"},
		{"a nil store is refused", func() (*Source, error) { return New(cs, nil) }, "nil route.Store"},
		{"an unparsable label selector is refused", func() (*Source, error) { return New(cs, store, WithLabelSelector("a in (")) }, `label selector "a in ("`},
		{"a negative debounce is refused", func() (*Source, error) { return New(cs, store, WithDebounce(-1, 0)) }, "must not be negative"},
		{"a negative resync is refused", func() (*Source, error) { return New(cs, store, WithResync(-time.Second)) }, "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.new()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New: (%v, %v), want an error containing %q", s, err, tt.wantErr)
			}
		})
	}
}

func TestRunEndsWithTheContextBeforeSync(t *testing.T) {
	cs := fake.NewSimpleClientset()
	cs.PrependReactor("list", "*", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("the API server is unreachable")
	})
	store, _ := route.NewStore(&route.Config{})
	src, err := New(cs, store, WithLogger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = src.Run(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run = %v, want an error wrapping context.DeadlineExceeded", err)
	}
	select {
	case <-src.Synced():
		t.Error("Synced is closed though the informers never synced")
	default:
	}
}

func TestRunTwiceIsRefused(t *testing.T) {
	cs := fake.NewSimpleClientset()
	src, _, _ := startSource(t, cs, serveWatches(cs), 1)
	if err := src.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "Run called twice") {
		t.Errorf("second Run = %v, want an error saying Run was called twice", err)
	}
}

func TestObjectsTheCompilerRefusesAreLeftOutAndTheRestApplies(t *testing.T) {
	// Let every object past the one-at-a-time check, as an error that only
	// shows among several objects would: the compiler's errors then name
	// the culprit, which is left out on a second try.
	validate = func(*route.Config) route.Problems { return nil }
	t.Cleanup(func() { validate = route.Validate })

	cs := fake.NewSimpleClientset(reviewsDR("1"), reviewsSE("1"),
		reviewsVS("shop", "reviews", "1", reviewsHost, "v1", nil), brokenVS("shop", "broken", "1"))
	src, store, changes := startSource(t, cs, serveWatches(cs), 1)
	want := changeSummary{
		Added: []string{
			"VirtualService shop/broken", "VirtualService shop/reviews",
			"DestinationRule shop/reviews", "ServiceEntry shop/reviews",
		},
		Skipped: []string{"VirtualService shop/broken"},
		Objects: []string{"VirtualService shop/reviews", "DestinationRule shop/reviews", "ServiceEntry shop/reviews"},
		Route:   "route " + reviewsHost + " subset v1",
	}
	if diff := cmp.Diff(want, summarize(nextChange(t, changes))); diff != "" {
		t.Errorf("first table (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.Objects, objectsIn(store.Table())); diff != "" {
		t.Errorf("store's table (-want +got):\n%s", diff)
	}
	if st := src.Status(); st.LastError != nil || len(st.Skipped) != 1 {
		t.Errorf("Status: LastError %v, Skipped %v; want no error and the broken object skipped", st.LastError, st.Skipped)
	}
}

func TestEveryWatchedKindReachesTheTable(t *testing.T) {
	ctx := t.Context()
	cs := fake.NewSimpleClientset()
	_, store, changes := startSource(t, cs, serveWatches(cs), 1)
	nextChange(t, changes)
	nv := cs.NetworkingV1()
	gw := &istionet.Gateway{
		ObjectMeta: objectMeta("shop", "ingress", "1", nil),
		Spec: networking.Gateway{
			Selector: map[string]string{"istio": "ingressgateway"},
			Servers: []*networking.Server{{
				Port:  &networking.Port{Number: 80, Name: "http", Protocol: "HTTP"},
				Hosts: []string{"shop.example.com"},
			}},
		},
	}
	we := &istionet.WorkloadEntry{
		ObjectMeta: objectMeta("shop", "vm-1", "1", nil),
		Spec:       networking.WorkloadEntry{Address: "10.9.0.1", Labels: map[string]string{"app": "reviews"}},
	}
	if _, err := nv.Gateways("shop").Create(ctx, gw, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := nv.WorkloadEntries("shop").Create(ctx, we, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []func() error{
		func() error {
			_, err := nv.VirtualServices("shop").Create(ctx, reviewsVS("shop", "r", "1", reviewsHost, "", nil), metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := nv.DestinationRules("shop").Create(ctx, reviewsDR("1"), metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := nv.ServiceEntries("shop").Create(ctx, reviewsSE("1"), metav1.CreateOptions{})
			return err
		},
	} {
		if err := c(); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"VirtualService shop/r", "DestinationRule shop/reviews", "ServiceEntry shop/reviews",
		"Gateway shop/ingress", "WorkloadEntry shop/vm-1",
	}
	eventually(t, "all five objects in the table", func() bool { return len(objectsIn(store.Table())) == len(want) })
	if diff := cmp.Diff(want, objectsIn(store.Table())); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}
