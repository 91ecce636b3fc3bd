package kubesource

import (
	"maps"

	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"
	istionet "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshroute/meshroute/route"
)

// Converting an object copies its spec (proto.Clone) and labels, so the
// compiled table never shares memory with the informers' caches; the copy
// is made once per resource version, not on every rebuild.

// metaOf returns the meshroute metadata of a Kubernetes object.
func metaOf(om *metav1.ObjectMeta) route.Meta {
	return route.Meta{
		Name:              om.Name,
		Namespace:         om.Namespace,
		Labels:            maps.Clone(om.Labels),
		CreationTimestamp: om.CreationTimestamp.Time,
	}
}

// ConvertVirtualService returns the meshroute form of a Kubernetes
// VirtualService: its name, namespace, labels and creation time, and a copy
// of its spec.
func ConvertVirtualService(in *istionet.VirtualService) *route.VirtualService {
	return &route.VirtualService{Meta: metaOf(&in.ObjectMeta), Spec: proto.Clone(&in.Spec).(*networking.VirtualService)}
}

// ConvertDestinationRule returns the meshroute form of a Kubernetes
// DestinationRule.
func ConvertDestinationRule(in *istionet.DestinationRule) *route.DestinationRule {
	return &route.DestinationRule{Meta: metaOf(&in.ObjectMeta), Spec: proto.Clone(&in.Spec).(*networking.DestinationRule)}
}

// ConvertServiceEntry returns the meshroute form of a Kubernetes
// ServiceEntry.
func ConvertServiceEntry(in *istionet.ServiceEntry) *route.ServiceEntry {
	return &route.ServiceEntry{Meta: metaOf(&in.ObjectMeta), Spec: proto.Clone(&in.Spec).(*networking.ServiceEntry)}
}

// ConvertGateway returns the meshroute form of a Kubernetes Gateway.
func ConvertGateway(in *istionet.Gateway) *route.Gateway {
	return &route.Gateway{Meta: metaOf(&in.ObjectMeta), Spec: proto.Clone(&in.Spec).(*networking.Gateway)}
}

// ConvertWorkloadEntry returns the meshroute form of a Kubernetes
// WorkloadEntry.
func ConvertWorkloadEntry(in *istionet.WorkloadEntry) *route.WorkloadEntry {
	return &route.WorkloadEntry{Meta: metaOf(&in.ObjectMeta), Spec: proto.Clone(&in.Spec).(*networking.WorkloadEntry)}
}

// Convert returns a one-object Config holding the meshroute form of obj,
// which must be a *VirtualService, *DestinationRule, *ServiceEntry,
// *Gateway or *WorkloadEntry of istio.io/client-go's networking/v1; it
// returns the kind name too, and ok false for any other type.
func Convert(obj any) (cfg *route.Config, kind string, ok bool) {
	cfg = &route.Config{}
	switch o := obj.(type) {
	case *istionet.VirtualService:
		cfg.VirtualServices = []*route.VirtualService{ConvertVirtualService(o)}
		return cfg, route.KindVirtualService, true
	case *istionet.DestinationRule:
		cfg.DestinationRules = []*route.DestinationRule{ConvertDestinationRule(o)}
		return cfg, route.KindDestinationRule, true
	case *istionet.ServiceEntry:
		cfg.ServiceEntries = []*route.ServiceEntry{ConvertServiceEntry(o)}
		return cfg, route.KindServiceEntry, true
	case *istionet.Gateway:
		cfg.Gateways = []*route.Gateway{ConvertGateway(o)}
		return cfg, route.KindGateway, true
	case *istionet.WorkloadEntry:
		cfg.WorkloadEntries = []*route.WorkloadEntry{ConvertWorkloadEntry(o)}
		return cfg, route.KindWorkloadEntry, true
	}
	return nil, "", false
}
