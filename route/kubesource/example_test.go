package kubesource_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	networking "istio.io/api/networking/v1alpha3"
	istionet "istio.io/client-go/pkg/apis/networking/v1"
	"istio.io/client-go/pkg/clientset/versioned/fake"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
	"github.com/meshroute/meshroute/route/kubesource"
)

// A Source keeps a Store in step with the cluster. Here a fake clientset
// holding one VirtualService and its DestinationRule stands in for the
// cluster; a program would pass versioned.NewForConfig(restConfig).
func Example() {
	client := fake.NewSimpleClientset(
		&istionet.DestinationRule{
			ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "reviews", ResourceVersion: "1"},
			Spec: networking.DestinationRule{
				Host:    "reviews.shop.svc.cluster.local",
				Subsets: []*networking.Subset{{Name: "v1", Labels: map[string]string{"version": "v1"}}},
			},
		},
		&istionet.VirtualService{
			ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "reviews", ResourceVersion: "1"},
			Spec: networking.VirtualService{
				Hosts: []string{"reviews.shop.svc.cluster.local"},
				Http: []*networking.HTTPRoute{{Route: []*networking.HTTPRouteDestination{{
					Destination: &networking.Destination{Host: "reviews.shop.svc.cluster.local", Subset: "v1"},
				}}}},
			},
		},
	)
	store, err := route.NewStore(&route.Config{})
	if err != nil {
		panic(err)
	}
	src, err := kubesource.New(client, store,
		kubesource.WithNamespaces("shop"),
		kubesource.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- src.Run(ctx) }()
	<-src.Synced()

	req := match.Request{Method: "GET", Authority: "reviews.shop.svc.cluster.local", Path: "/", SourceNamespace: "shop"}
	d := store.Decide(&req)
	fmt.Println(d.Action, d.Destination.Host, d.Destination.Subset)
	fmt.Println("objects:", src.Status().Objects)

	cancel()
	<-done
	// Output:
	// route reviews.shop.svc.cluster.local v1
	// objects: 2
}

// EndpointsFromSlices turns a service's EndpointSlices into endpoints,
// labelled with their pods' labels.
func ExampleEndpointsFromSlices() {
	port, ready := int32(9080), true
	slices := []*discoveryv1.EndpointSlice{{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "reviews-x7f2"},
		Ports:      []discoveryv1.EndpointPort{{Port: &port}},
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{"10.1.0.7"},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: "reviews-v2-5d8f"},
		}},
	}}
	pods := func(namespace, name string) map[string]string { return map[string]string{"version": "v2"} }
	for _, ep := range kubesource.EndpointsFromSlices(slices, pods) {
		fmt.Println(ep.HostPort(0), ep.Labels)
	}
	// Output:
	// 10.1.0.7:9080 map[version:v2]
}
