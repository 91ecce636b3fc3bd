package kubesource

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/meshroute/meshroute/subset"
)

// EndpointSink receives the endpoints of Kubernetes services.
// *subset.Registry is one.
type EndpointSink interface {
	// Set replaces the endpoints of host.
	Set(host string, endpoints []subset.Endpoint)
	// Delete forgets host.
	Delete(host string)
}

// NetworkLabel is the pod label Istio reads a workload's network from.
const NetworkLabel = "topology.istio.io/network"

// Indexes of EndpointSlices: by "namespace/service", and by the
// "namespace/name" of each pod they point at.
const (
	byServiceIndex = "kubesource/service"
	byPodIndex     = "kubesource/pod"
)

// EndpointWatcher follows the EndpointSlices of Kubernetes services, and
// the labels of the pods behind them, and keeps an EndpointSink up to
// date: each service "name.namespace.svc.<cluster domain>" gets its ready
// endpoints, labelled with their pod's labels so DestinationRule subsets
// select them. Options that apply: WithNamespaces, WithDebounce,
// WithResync, WithLogger, WithClusterDomain (WithLabelSelector concerns
// Istio objects only and is ignored here).
type EndpointWatcher struct {
	sink      EndpointSink
	opts      options
	factories []informers.SharedInformerFactory
	slices    []cache.SharedIndexInformer
	pods      []cache.SharedIndexInformer

	started atomic.Bool
	synced  chan struct{}
	wake    chan struct{}

	mu    sync.Mutex
	dirty map[string]bool // "namespace/service" keys to recompute

	sent map[string][]subset.Endpoint // by host; owned by Run
	sets atomic.Uint64
}

// NewEndpointWatcher returns a watcher reading EndpointSlices and pods
// through client and writing endpoints to sink. Nothing is watched until
// Run.
func NewEndpointWatcher(client kubernetes.Interface, sink EndpointSink, opts ...Option) (*EndpointWatcher, error) {
	if client == nil {
		return nil, errors.New("kubesource: nil Kubernetes clientset")
	}
	if sink == nil {
		return nil, errors.New("kubesource: nil endpoint sink")
	}
	o := defaultOptions()
	for _, f := range opts {
		f(&o)
	}
	if o.debounce < 0 || o.maxDelay < 0 || o.resync < 0 {
		return nil, errors.New("kubesource: debounce, max delay and resync must not be negative")
	}
	w := &EndpointWatcher{
		sink:   sink,
		opts:   o,
		synced: make(chan struct{}),
		wake:   make(chan struct{}, 1),
		dirty:  map[string]bool{},
		sent:   map[string][]subset.Endpoint{},
	}
	sliceHandler := cache.ResourceEventHandlerFuncs{
		AddFunc: w.sliceChanged,
		UpdateFunc: func(oldObj, newObj any) {
			if !sameVersion(oldObj, newObj) {
				w.sliceChanged(oldObj)
				w.sliceChanged(newObj)
			}
		},
		DeleteFunc: w.sliceChanged,
	}
	podHandler := cache.ResourceEventHandlerFuncs{
		// A pod matters only once it is behind a service; its labels
		// reach the endpoints when they change.
		AddFunc: w.podChanged,
		UpdateFunc: func(oldObj, newObj any) {
			op, ok1 := oldObj.(*corev1.Pod)
			np, ok2 := newObj.(*corev1.Pod)
			if ok1 && ok2 && !maps.Equal(op.Labels, np.Labels) {
				w.podChanged(newObj)
			}
		},
	}
	for _, ns := range watchedNamespaces(o.namespaces) {
		f := informers.NewSharedInformerFactoryWithOptions(client, o.resync, informers.WithNamespace(ns))
		si := f.Discovery().V1().EndpointSlices().Informer()
		if err := si.AddIndexers(cache.Indexers{byServiceIndex: sliceServiceIndex, byPodIndex: slicePodIndex}); err != nil {
			return nil, fmt.Errorf("kubesource: indexing EndpointSlices: %w", err)
		}
		pi := f.Core().V1().Pods().Informer()
		if _, err := si.AddEventHandler(sliceHandler); err != nil {
			return nil, fmt.Errorf("kubesource: watching EndpointSlices: %w", err)
		}
		if _, err := pi.AddEventHandler(podHandler); err != nil {
			return nil, fmt.Errorf("kubesource: watching pods: %w", err)
		}
		w.factories = append(w.factories, f)
		w.slices = append(w.slices, si)
		w.pods = append(w.pods, pi)
	}
	return w, nil
}

// sliceServiceIndex indexes an EndpointSlice by the service it belongs to.
func sliceServiceIndex(obj any) ([]string, error) {
	if k := serviceKeyOf(obj); k != "" {
		return []string{k}, nil
	}
	return nil, nil
}

// slicePodIndex indexes an EndpointSlice by the pods it points at.
func slicePodIndex(obj any) ([]string, error) {
	s, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok {
		return nil, nil
	}
	var keys []string
	for _, ep := range s.Endpoints {
		if r := ep.TargetRef; r != nil && r.Kind == "Pod" {
			keys = append(keys, cmp.Or(r.Namespace, s.Namespace)+"/"+r.Name)
		}
	}
	return keys, nil
}

// serviceKeyOf returns "namespace/service" of an EndpointSlice (or its
// tombstone), "" when it belongs to no service.
func serviceKeyOf(obj any) string {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	s, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok {
		return ""
	}
	svc := s.Labels[discoveryv1.LabelServiceName]
	if svc == "" {
		return ""
	}
	return s.Namespace + "/" + svc
}

func (w *EndpointWatcher) sliceChanged(obj any) {
	if k := serviceKeyOf(obj); k != "" {
		w.markDirty(k)
	}
}

// podChanged marks the services whose slices point at the pod.
func (w *EndpointWatcher) podChanged(obj any) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	for _, si := range w.slices {
		objs, err := si.GetIndexer().ByIndex(byPodIndex, p.Namespace+"/"+p.Name)
		if err != nil {
			continue
		}
		for _, o := range objs {
			w.sliceChanged(o)
		}
	}
}

func (w *EndpointWatcher) markDirty(key string) {
	w.mu.Lock()
	w.dirty[key] = true
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Synced returns a channel closed once every service found in the first
// listing has been written to the sink.
func (w *EndpointWatcher) Synced() <-chan struct{} { return w.synced }

// Sets returns how many times the watcher has written a host's endpoints
// to the sink (a measure of churn: unchanged endpoints are never written).
func (w *EndpointWatcher) Sets() uint64 { return w.sets.Load() }

// Run starts the informers and follows EndpointSlices until ctx is done.
// It returns nil when ctx ends after the first sync and ctx's error if it
// ends before. Run may be called once.
func (w *EndpointWatcher) Run(ctx context.Context) error {
	if !w.started.CompareAndSwap(false, true) {
		return errors.New("kubesource: Run called twice")
	}
	for _, f := range w.factories {
		f.Start(ctx.Done())
	}
	defer func() {
		for _, f := range w.factories {
			f.Shutdown()
		}
	}()
	var hasSynced []cache.InformerSynced
	for i := range w.slices {
		hasSynced = append(hasSynced, w.slices[i].HasSynced, w.pods[i].HasSynced)
	}
	if !cache.WaitForCacheSync(ctx.Done(), hasSynced...) {
		return fmt.Errorf("kubesource: informers did not sync: %w", context.Cause(ctx))
	}
	w.flush()
	close(w.synced)
	s := settler{debounce: w.opts.debounce, maxDelay: w.opts.maxDelay, signal: w.wake}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.wake:
		}
		if !s.settle(ctx) {
			return nil
		}
		w.flush()
	}
}

// flush recomputes the dirty services and writes those whose endpoints
// changed.
func (w *EndpointWatcher) flush() {
	w.mu.Lock()
	keys := slices.Sorted(maps.Keys(w.dirty))
	clear(w.dirty)
	w.mu.Unlock()
	for _, key := range keys {
		ns, name, _ := cache.SplitMetaNamespaceKey(key)
		host := name + "." + ns + ".svc." + w.opts.domain
		var found []*discoveryv1.EndpointSlice
		for _, si := range w.slices {
			objs, err := si.GetIndexer().ByIndex(byServiceIndex, key)
			if err != nil {
				continue
			}
			for _, o := range objs {
				found = append(found, o.(*discoveryv1.EndpointSlice))
			}
		}
		prev, had := w.sent[host]
		if len(found) == 0 {
			if had {
				delete(w.sent, host)
				w.sink.Delete(host)
				w.sets.Add(1)
				w.opts.logger.Info("kubesource: service endpoints removed", "host", host)
			}
			continue
		}
		eps := EndpointsFromSlices(found, w.podLabels)
		if had && endpointsEqual(prev, eps) {
			continue
		}
		w.sent[host] = eps
		w.sink.Set(host, eps)
		w.sets.Add(1)
		w.opts.logger.Info("kubesource: service endpoints updated", "host", host, "endpoints", len(eps))
	}
}

// podLabels returns the labels of pod namespace/name, nil when unknown.
func (w *EndpointWatcher) podLabels(namespace, name string) map[string]string {
	for _, pi := range w.pods {
		if o, ok, err := pi.GetStore().GetByKey(namespace + "/" + name); err == nil && ok {
			return o.(*corev1.Pod).Labels
		}
	}
	return nil
}

// EndpointsFromSlices converts the EndpointSlices of one service to
// endpoints: one per ready, non-terminating address (the first of each
// endpoint, as Kubernetes advises), deduplicated across slices and sorted
// by address. Each endpoint's Ports maps the slice's port names to port
// numbers (one map shared by the endpoints of a slice: do not modify it),
// and Port is set when the slice has a single port. podLabels
// (which may be nil) gives the labels of the pod an endpoint points at;
// they become the endpoint's labels, and NetworkLabel its network.
func EndpointsFromSlices(slicesOfService []*discoveryv1.EndpointSlice, podLabels func(namespace, name string) map[string]string) []subset.Endpoint {
	var out []subset.Endpoint
	seen := map[string]bool{}
	for _, s := range slicesOfService {
		ports := map[string]uint32{}
		var single uint32
		for _, p := range s.Ports {
			if p.Port == nil || *p.Port <= 0 {
				continue
			}
			name := ""
			if p.Name != nil {
				name = *p.Name
			}
			ports[name] = uint32(*p.Port)
		}
		if len(ports) == 1 {
			for _, n := range ports {
				single = n
			}
		}
		for _, ep := range s.Endpoints {
			if len(ep.Addresses) == 0 || !ready(ep.Conditions) || seen[ep.Addresses[0]] {
				continue
			}
			seen[ep.Addresses[0]] = true
			e := subset.Endpoint{Address: ep.Addresses[0], Port: single}
			if len(ports) > 0 {
				e.Ports = ports // shared by the slice's endpoints; never modified
			}
			if ep.TargetRef != nil && ep.TargetRef.Kind == "Pod" && podLabels != nil {
				ns := cmp.Or(ep.TargetRef.Namespace, s.Namespace)
				if l := podLabels(ns, ep.TargetRef.Name); len(l) > 0 {
					e.Labels = maps.Clone(l)
					e.Network = l[NetworkLabel]
				}
			}
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b subset.Endpoint) int { return cmp.Compare(a.Address, b.Address) })
	return out
}

// ready reports whether an endpoint should receive traffic: ready (unknown
// counts as ready) and not terminating.
func ready(c discoveryv1.EndpointConditions) bool {
	return (c.Ready == nil || *c.Ready) && (c.Terminating == nil || !*c.Terminating)
}

func endpointsEqual(a, b []subset.Endpoint) bool {
	return slices.EqualFunc(a, b, func(x, y subset.Endpoint) bool {
		return x.Address == y.Address && x.Port == y.Port && maps.Equal(x.Ports, y.Ports) &&
			maps.Equal(x.Labels, y.Labels) && x.Locality == y.Locality && x.Weight == y.Weight &&
			x.Network == y.Network
	})
}

var _ EndpointSink = (*subset.Registry)(nil)
