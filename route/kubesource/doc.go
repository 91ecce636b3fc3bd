// Package kubesource follows live Istio networking configuration in a
// Kubernetes cluster and keeps a meshroute [route.Store] up to date, the way
// istiod follows the same objects for its Envoys.
//
// A [Source] watches VirtualServices, DestinationRules, ServiceEntries,
// Gateways and WorkloadEntries (networking.istio.io/v1, served by Istio 1.22
// and later) through istio.io/client-go informers, limited to the namespaces
// and label selector you choose. Changes are debounced — a burst of edits,
// such as a Helm release, becomes one recompilation — and each new table is
// swapped in atomically, so a request always sees one whole configuration.
//
//	store, _ := route.NewStore(&route.Config{})
//	src, err := kubesource.New(istioClient, store,
//		kubesource.WithNamespaces("shop", "istio-system"),
//		kubesource.WithLabelSelector("team=payments"),
//	)
//	if err != nil { ... }
//	go src.Run(ctx)
//	<-src.Synced()        // the first complete table is in force
//	d := store.Decide(&req)
//
// # Invalid objects
//
// Every object is validated on its own with [route.Validate]. One with
// errors is left out of the table and logged once (with [log/slog], naming
// "Kind namespace/name" and each problem) while the valid rest is applied,
// as istiod's validation would have refused it. [Source.Status] lists the
// objects currently left out, and [WithEventRecorder] also records a
// Kubernetes Warning event on each, so "kubectl describe" shows why.
//
// # Permissions
//
// The Source needs list and watch on virtualservices, destinationrules,
// serviceentries, gateways and workloadentries of networking.istio.io in
// the watched namespaces; an EndpointWatcher needs list and watch on
// endpointslices (discovery.k8s.io) and pods; events need create on
// events.
//
// # Resyncs
//
// Informer resyncs redeliver objects with unchanged resource versions; they
// are ignored, and a rebuild whose set of objects (by resource version) is
// the one already in force does not recompile, so periodic resyncs cause no
// churn.
//
// # Endpoints
//
// Optionally, an [EndpointWatcher] turns Kubernetes EndpointSlices, with the
// labels of the pods behind them, into [subset.Endpoint] lists for each
// service host and hands them to an [EndpointSink], such as the subset
// registry.
package kubesource
