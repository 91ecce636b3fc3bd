package kubesource

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"istio.io/client-go/pkg/clientset/versioned"
	"istio.io/client-go/pkg/informers/externalversions"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"

	"github.com/meshroute/meshroute/route"
)

// Source follows Istio networking objects in a cluster and keeps a
// route.Store compiled from them. Create it with New, start it with Run.
// Its methods are safe for concurrent use.
type Source struct {
	store     *route.Store
	opts      options
	selector  labels.Selector // checked again on every object, as the server does
	factories []externalversions.SharedInformerFactory
	informers []kindInformer

	dirty   chan struct{} // capacity 1: "something changed since the last rebuild"
	synced  chan struct{} // closed after the first rebuild
	started atomic.Bool

	// Owned by the Run goroutine.
	cache   map[objectKey]*entry // every object seen, converted and validated
	applied map[objectKey]*entry // the objects of the last configuration tried

	mu     sync.Mutex
	status Status
}

// kindInformer is one informer and the kind of the objects it holds.
type kindInformer struct {
	kind     string
	informer cache.SharedIndexInformer
}

// New returns a Source that watches the networking.istio.io/v1 objects
// reachable through client and feeds store. Nothing is watched until Run.
func New(client versioned.Interface, store *route.Store, opts ...Option) (*Source, error) {
	if client == nil {
		return nil, errors.New("kubesource: nil Istio clientset")
	}
	if store == nil {
		return nil, errors.New("kubesource: nil route.Store")
	}
	o := defaultOptions()
	for _, f := range opts {
		f(&o)
	}
	selector, err := labels.Parse(o.labelSelector)
	if err != nil {
		return nil, fmt.Errorf("kubesource: label selector %q: %w", o.labelSelector, err)
	}
	if o.debounce < 0 || o.maxDelay < 0 || o.resync < 0 {
		return nil, errors.New("kubesource: debounce, max delay and resync must not be negative")
	}
	s := &Source{
		store:    store,
		opts:     o,
		selector: selector,
		dirty:    make(chan struct{}, 1),
		synced:   make(chan struct{}),
		cache:    map[objectKey]*entry{},
		applied:  map[objectKey]*entry{},
	}
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { s.markDirty() },
		UpdateFunc: func(oldObj, newObj any) {
			if !sameVersion(oldObj, newObj) {
				s.markDirty()
			}
		},
		DeleteFunc: func(any) { s.markDirty() },
	}
	for _, ns := range watchedNamespaces(o.namespaces) {
		selector := o.labelSelector
		f := externalversions.NewSharedInformerFactoryWithOptions(client, o.resync,
			externalversions.WithNamespace(ns),
			externalversions.WithTweakListOptions(func(lo *metav1.ListOptions) { lo.LabelSelector = selector }))
		nv := f.Networking().V1()
		for _, ki := range []kindInformer{
			{route.KindVirtualService, nv.VirtualServices().Informer()},
			{route.KindDestinationRule, nv.DestinationRules().Informer()},
			{route.KindServiceEntry, nv.ServiceEntries().Informer()},
			{route.KindGateway, nv.Gateways().Informer()},
			{route.KindWorkloadEntry, nv.WorkloadEntries().Informer()},
		} {
			if _, err := ki.informer.AddEventHandler(handler); err != nil {
				return nil, fmt.Errorf("kubesource: watching %ss: %w", ki.kind, err)
			}
			s.informers = append(s.informers, ki)
		}
		s.factories = append(s.factories, f)
	}
	return s, nil
}

// watchedNamespaces returns the namespaces to run informers for, without
// duplicates; "" (metav1.NamespaceAll) when none are named.
func watchedNamespaces(names []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		if n == metav1.NamespaceAll {
			return []string{metav1.NamespaceAll}
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return []string{metav1.NamespaceAll}
	}
	return out
}

// sameVersion reports whether an informer update carries the object it
// already had: a resync. Objects without a resource version (as some fake
// clients make) are the same only if they are the same pointer.
func sameVersion(oldObj, newObj any) bool {
	if oldObj == newObj {
		return true
	}
	om, ok1 := oldObj.(metav1.Object)
	nm, ok2 := newObj.(metav1.Object)
	return ok1 && ok2 && om.GetResourceVersion() != "" && om.GetResourceVersion() == nm.GetResourceVersion() &&
		om.GetUID() == nm.GetUID()
}

func (s *Source) markDirty() {
	select {
	case s.dirty <- struct{}{}:
	default:
	}
}

// Synced returns a channel closed once the informers have listed every
// watched object and the first table built from them is in force.
func (s *Source) Synced() <-chan struct{} { return s.synced }

// Run starts the informers, waits for them to sync, applies the first
// table and then follows changes until ctx is done. It returns nil when ctx
// ends after the first sync and ctx's error if it ends before. Run may be
// called once.
func (s *Source) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("kubesource: Run called twice")
	}
	for _, f := range s.factories {
		f.Start(ctx.Done())
	}
	defer func() {
		for _, f := range s.factories {
			f.Shutdown() // waits for the informers' goroutines to end
		}
	}()
	hasSynced := make([]cache.InformerSynced, len(s.informers))
	for i, ki := range s.informers {
		hasSynced[i] = ki.informer.HasSynced
	}
	if !cache.WaitForCacheSync(ctx.Done(), hasSynced...) {
		return fmt.Errorf("kubesource: informers did not sync: %w", context.Cause(ctx))
	}
	// Everything so far is in the caches: drop the pending signal.
	select {
	case <-s.dirty:
	default:
	}
	s.rebuild()
	s.mu.Lock()
	s.status.Synced = true
	s.mu.Unlock()
	close(s.synced)

	settle := settler{debounce: s.opts.debounce, maxDelay: s.opts.maxDelay, signal: s.dirty}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.dirty:
		}
		if !settle.settle(ctx) {
			return nil
		}
		s.rebuild()
	}
}
