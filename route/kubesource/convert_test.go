package kubesource

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	networking "istio.io/api/networking/v1alpha3"
	istionet "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshroute/meshroute/route"
)

func TestConvertKeepsMetadataAndSpec(t *testing.T) {
	labels := map[string]string{"app": "reviews"}
	om := objectMeta("shop", "reviews", "7", labels)
	wantMeta := route.Meta{
		Name: "reviews", Namespace: "shop", Labels: map[string]string{"app": "reviews"},
		CreationTimestamp: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC),
	}
	tests := []struct {
		name     string
		obj      any
		wantKind string
		want     *route.Config
	}{
		{
			name:     "a VirtualService keeps name, namespace, labels, creation time and spec",
			obj:      &istionet.VirtualService{ObjectMeta: om, Spec: networking.VirtualService{Hosts: []string{"reviews"}}},
			wantKind: route.KindVirtualService,
			want: &route.Config{VirtualServices: []*route.VirtualService{{
				Meta: wantMeta, Spec: &networking.VirtualService{Hosts: []string{"reviews"}},
			}}},
		},
		{
			name:     "a DestinationRule keeps its metadata and spec",
			obj:      &istionet.DestinationRule{ObjectMeta: om, Spec: networking.DestinationRule{Host: "reviews"}},
			wantKind: route.KindDestinationRule,
			want: &route.Config{DestinationRules: []*route.DestinationRule{{
				Meta: wantMeta, Spec: &networking.DestinationRule{Host: "reviews"},
			}}},
		},
		{
			name:     "a ServiceEntry keeps its metadata and spec",
			obj:      &istionet.ServiceEntry{ObjectMeta: om, Spec: networking.ServiceEntry{Hosts: []string{"api.example.com"}}},
			wantKind: route.KindServiceEntry,
			want: &route.Config{ServiceEntries: []*route.ServiceEntry{{
				Meta: wantMeta, Spec: &networking.ServiceEntry{Hosts: []string{"api.example.com"}},
			}}},
		},
		{
			name:     "a Gateway keeps its metadata and spec",
			obj:      &istionet.Gateway{ObjectMeta: om, Spec: networking.Gateway{Selector: map[string]string{"istio": "ingressgateway"}}},
			wantKind: route.KindGateway,
			want: &route.Config{Gateways: []*route.Gateway{{
				Meta: wantMeta, Spec: &networking.Gateway{Selector: map[string]string{"istio": "ingressgateway"}},
			}}},
		},
		{
			name:     "a WorkloadEntry keeps its metadata and spec",
			obj:      &istionet.WorkloadEntry{ObjectMeta: om, Spec: networking.WorkloadEntry{Address: "10.0.0.7"}},
			wantKind: route.KindWorkloadEntry,
			want: &route.Config{WorkloadEntries: []*route.WorkloadEntry{{
				Meta: wantMeta, Spec: &networking.WorkloadEntry{Address: "10.0.0.7"},
			}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, kind, ok := Convert(tt.obj)
			if !ok || kind != tt.wantKind {
				t.Fatalf("Convert: kind %q ok %v, want %q true", kind, ok, tt.wantKind)
			}
			if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("Convert (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConvertCopiesSoTheCacheCannotChangeTheTable(t *testing.T) {
	in := reviewsVS("shop", "reviews", "1", reviewsHost, "v1", map[string]string{"app": "reviews"})
	out := ConvertVirtualService(in)
	want := proto.Clone(out.Spec)
	in.Spec.Http[0].Route[0].Destination.Subset = "v9"
	in.Labels["app"] = "changed"
	if diff := cmp.Diff(want, out.Spec, protocmp.Transform()); diff != "" {
		t.Errorf("changing the informer's object changed the converted spec (-want +got):\n%s", diff)
	}
	if out.Labels["app"] != "reviews" {
		t.Errorf("changing the informer's labels changed the converted labels to %q", out.Labels["app"])
	}
}

func TestConvertRefusesOtherTypes(t *testing.T) {
	tests := []struct {
		name string
		obj  any
	}{
		{"a Kubernetes Service is not an Istio object", &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "reviews"}}},
		{"nil is not an object", nil},
		{"a value rather than a pointer is refused", istionet.Sidecar{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if cfg, kind, ok := Convert(tt.obj); ok || cfg != nil || kind != "" {
				t.Errorf("Convert(%T) = (%v, %q, %v), want (nil, \"\", false)", tt.obj, cfg, kind, ok)
			}
		})
	}
}
