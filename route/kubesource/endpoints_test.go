package kubesource

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sfake "k8s.io/client-go/kubernetes/fake"

	"github.com/meshroute/meshroute/subset"
)

func ptr[T any](v T) *T { return &v }

func podRef(name string) *corev1.ObjectReference {
	return &corev1.ObjectReference{Kind: "Pod", Name: name}
}

func slice(ns, name, service, rv string, ports []discoveryv1.EndpointPort, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: name, ResourceVersion: rv,
			Labels: map[string]string{discoveryv1.LabelServiceName: service},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       ports,
		Endpoints:   eps,
	}
}

func endpoint(addr string, pod string) discoveryv1.Endpoint {
	ep := discoveryv1.Endpoint{Addresses: []string{addr}}
	if pod != "" {
		ep.TargetRef = podRef(pod)
	}
	return ep
}

func pod(ns, name, rv string, labels map[string]string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, ResourceVersion: rv, Labels: labels}}
}

var httpPort = []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(9080))}}

func TestEndpointsFromSlices(t *testing.T) {
	pods := map[string]map[string]string{
		"shop/reviews-v1": {"app": "reviews", "version": "v1"},
		"shop/reviews-v2": {"app": "reviews", "version": "v2", NetworkLabel: "net-2"},
	}
	podLabels := func(ns, name string) map[string]string { return pods[ns+"/"+name] }
	tests := []struct {
		name   string
		slices []*discoveryv1.EndpointSlice
		want   []subset.Endpoint
	}{
		{
			name:   "a pod's labels become its endpoint's labels, so subsets select it",
			slices: []*discoveryv1.EndpointSlice{slice("shop", "s1", "reviews", "1", httpPort, endpoint("10.0.0.1", "reviews-v1"))},
			want: []subset.Endpoint{{
				Address: "10.0.0.1", Port: 9080, Ports: map[string]uint32{"http": 9080},
				Labels: map[string]string{"app": "reviews", "version": "v1"},
			}},
		},
		{
			name:   "the pod's network label becomes the endpoint's network",
			slices: []*discoveryv1.EndpointSlice{slice("shop", "s1", "reviews", "1", httpPort, endpoint("10.0.0.2", "reviews-v2"))},
			want: []subset.Endpoint{{
				Address: "10.0.0.2", Port: 9080, Ports: map[string]uint32{"http": 9080},
				Labels:  map[string]string{"app": "reviews", "version": "v2", NetworkLabel: "net-2"},
				Network: "net-2",
			}},
		},
		{
			name: "not-ready and terminating endpoints receive no traffic",
			slices: []*discoveryv1.EndpointSlice{slice("shop", "s1", "reviews", "1", httpPort,
				discoveryv1.Endpoint{Addresses: []string{"10.0.0.3"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(false)}},
				discoveryv1.Endpoint{Addresses: []string{"10.0.0.4"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true), Terminating: ptr(true)}},
				discoveryv1.Endpoint{Addresses: []string{"10.0.0.5"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)}},
			)},
			want: []subset.Endpoint{{Address: "10.0.0.5", Port: 9080, Ports: map[string]uint32{"http": 9080}}},
		},
		{
			name: "a multi-port service maps each port name and sets no single port",
			slices: []*discoveryv1.EndpointSlice{slice("shop", "s1", "reviews", "1",
				[]discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(9080))}, {Name: ptr("grpc"), Port: ptr(int32(9090))}},
				endpoint("10.0.0.6", ""))},
			want: []subset.Endpoint{{Address: "10.0.0.6", Ports: map[string]uint32{"http": 9080, "grpc": 9090}}},
		},
		{
			name: "an address in two slices (during a handover) is one endpoint, and endpoints are sorted",
			slices: []*discoveryv1.EndpointSlice{
				slice("shop", "s1", "reviews", "1", httpPort, endpoint("10.0.0.9", ""), endpoint("10.0.0.7", "")),
				slice("shop", "s2", "reviews", "1", httpPort, endpoint("10.0.0.7", ""), endpoint("10.0.0.8", "")),
			},
			want: []subset.Endpoint{
				{Address: "10.0.0.7", Port: 9080, Ports: map[string]uint32{"http": 9080}},
				{Address: "10.0.0.8", Port: 9080, Ports: map[string]uint32{"http": 9080}},
				{Address: "10.0.0.9", Port: 9080, Ports: map[string]uint32{"http": 9080}},
			},
		},
		{
			name:   "a pod not (yet) known leaves the endpoint unlabelled",
			slices: []*discoveryv1.EndpointSlice{slice("shop", "s1", "reviews", "1", httpPort, endpoint("10.0.0.10", "reviews-unknown"))},
			want:   []subset.Endpoint{{Address: "10.0.0.10", Port: 9080, Ports: map[string]uint32{"http": 9080}}},
		},
		{
			name: "an endpoint without addresses is ignored",
			slices: []*discoveryv1.EndpointSlice{slice("shop", "s1", "reviews", "1", httpPort,
				discoveryv1.Endpoint{})},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EndpointsFromSlices(tt.slices, podLabels)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("EndpointsFromSlices (-want +got):\n%s", diff)
			}
		})
	}
}

// countingSink is a subset.Registry that counts writes.
type countingSink struct {
	*subset.Registry
	mu     sync.Mutex
	writes int
}

func (c *countingSink) Set(host string, eps []subset.Endpoint) {
	c.mu.Lock()
	c.writes++
	c.mu.Unlock()
	c.Registry.Set(host, eps)
}

func (c *countingSink) Delete(host string) {
	c.mu.Lock()
	c.writes++
	c.mu.Unlock()
	c.Registry.Delete(host)
}

func (c *countingSink) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes
}

// labelsOf returns the "address version" pairs the registry holds for host.
func versionsOf(r *subset.Registry, host string) []string {
	svc := r.Lookup(host)
	if svc == nil {
		return nil
	}
	var out []string
	for _, e := range svc.Endpoints {
		out = append(out, e.Address+" "+e.Labels["version"])
	}
	return out
}

func TestEndpointWatcherFollowsSlicesAndPods(t *testing.T) {
	ctx := t.Context()
	cs := k8sfake.NewClientset(
		pod("shop", "reviews-a", "1", map[string]string{"version": "v1"}),
		slice("shop", "reviews-abc", "reviews", "1", httpPort, endpoint("10.0.0.1", "reviews-a")),
	)
	watches := serveWatches(cs)
	sink := &countingSink{Registry: subset.NewRegistry()}
	w, err := NewEndpointWatcher(cs, sink, WithNamespaces("shop"), WithDebounce(5*time.Millisecond, 50*time.Millisecond),
		WithResync(time.Second), WithLogger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	runInBackground(t, w.Run)
	waitClosed(t, w.Synced(), "first sync")
	waitWatches(t, watches, 2)

	if diff := cmp.Diff([]string{"10.0.0.1 v1"}, versionsOf(sink.Registry, reviewsHost)); diff != "" {
		t.Fatalf("after sync (-want +got):\n%s", diff)
	}
	steps := []struct {
		name string
		do   func() error
		want []string
	}{
		{
			name: "a new endpoint in the slice is added",
			do: func() error {
				if _, err := cs.CoreV1().Pods("shop").Create(ctx, pod("shop", "reviews-b", "2", map[string]string{"version": "v2"}), metav1.CreateOptions{}); err != nil {
					return err
				}
				_, err := cs.DiscoveryV1().EndpointSlices("shop").Update(ctx, slice("shop", "reviews-abc", "reviews", "3", httpPort,
					endpoint("10.0.0.1", "reviews-a"), endpoint("10.0.0.2", "reviews-b")), metav1.UpdateOptions{})
				return err
			},
			want: []string{"10.0.0.1 v1", "10.0.0.2 v2"},
		},
		{
			name: "relabelling a pod relabels its endpoint",
			do: func() error {
				_, err := cs.CoreV1().Pods("shop").Update(ctx, pod("shop", "reviews-a", "4", map[string]string{"version": "v3"}), metav1.UpdateOptions{})
				return err
			},
			want: []string{"10.0.0.1 v3", "10.0.0.2 v2"},
		},
		{
			name: "deleting the service's last slice removes the host",
			do: func() error {
				return cs.DiscoveryV1().EndpointSlices("shop").Delete(ctx, "reviews-abc", metav1.DeleteOptions{})
			},
			want: nil,
		},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		var got []string
		deadline := time.Now().Add(testTimeout)
		for {
			got = versionsOf(sink.Registry, reviewsHost)
			if cmp.Equal(st.want, got) || time.Now().After(deadline) {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		if diff := cmp.Diff(st.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", st.name, diff)
		}
	}

	// Resyncs redeliver the pods and slices; nothing is rewritten.
	if _, err := cs.DiscoveryV1().EndpointSlices("shop").Create(ctx, slice("shop", "ratings-x", "ratings", "5", httpPort, endpoint("10.0.1.1", "")), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "ratings registered", func() bool { return sink.Lookup("ratings.shop.svc.cluster.local") != nil })
	before := sink.count()
	time.Sleep(2500 * time.Millisecond) // two resync periods
	if after := sink.count(); after != before {
		t.Errorf("resyncs wrote the sink %d times, want none", after-before)
	}
}

func TestNewEndpointWatcherRefusesBadArguments(t *testing.T) {
	cs := k8sfake.NewClientset()
	if _, err := NewEndpointWatcher(nil, subset.NewRegistry()); err == nil {
		t.Error("a nil clientset was accepted")
	}
	if _, err := NewEndpointWatcher(cs, nil); err == nil {
		t.Error("a nil sink was accepted")
	}
	if _, err := NewEndpointWatcher(cs, subset.NewRegistry(), WithDebounce(-time.Second, 0)); err == nil {
		t.Error("a negative debounce was accepted")
	}
}
