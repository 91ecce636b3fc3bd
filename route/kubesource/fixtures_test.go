package kubesource

import (
	"fmt"
	"time"

	networking "istio.io/api/networking/v1alpha3"
	istionet "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
)

const reviewsHost = "reviews.shop.svc.cluster.local"

var created = metav1.NewTime(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC))

func objectMeta(ns, name, rv string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Namespace: ns, Name: name, ResourceVersion: rv, Labels: labels,
		UID: types.UID("uid-" + ns + "-" + name), CreationTimestamp: created,
	}
}

// reviewsVS routes every request for host to subset.
func reviewsVS(ns, name, rv, host, subset string, labels map[string]string) *istionet.VirtualService {
	return &istionet.VirtualService{
		ObjectMeta: objectMeta(ns, name, rv, labels),
		Spec: networking.VirtualService{
			Hosts: []string{host},
			Http: []*networking.HTTPRoute{{
				Name:  "to-" + subset,
				Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{Host: host, Subset: subset}}},
			}},
		},
	}
}

// brokenVS has hosts but no routes, which Istio's validation refuses.
func brokenVS(ns, name, rv string) *istionet.VirtualService {
	return &istionet.VirtualService{
		ObjectMeta: objectMeta(ns, name, rv, nil),
		Spec:       networking.VirtualService{Hosts: []string{reviewsHost}},
	}
}

func reviewsDR(rv string) *istionet.DestinationRule {
	return &istionet.DestinationRule{
		ObjectMeta: objectMeta("shop", "reviews", rv, nil),
		Spec: networking.DestinationRule{
			Host: reviewsHost,
			Subsets: []*networking.Subset{
				{Name: "v1", Labels: map[string]string{"version": "v1"}},
				{Name: "v2", Labels: map[string]string{"version": "v2"}},
			},
		},
	}
}

func reviewsSE(rv string) *istionet.ServiceEntry {
	return &istionet.ServiceEntry{
		ObjectMeta: objectMeta("shop", "reviews", rv, nil),
		Spec: networking.ServiceEntry{
			Hosts:      []string{reviewsHost},
			Ports:      []*networking.ServicePort{{Number: 9080, Name: "http", Protocol: "HTTP"}},
			Resolution: networking.ServiceEntry_DNS,
			Location:   networking.ServiceEntry_MESH_INTERNAL,
		},
	}
}

// routeTo summarises where the table sends GET http://host:9080/ from the
// shop namespace: "route <host> subset <subset>", or the action and status.
func routeTo(t *route.Table, host string) string {
	req := match.Request{
		Method: "GET", Scheme: "http", Authority: host + ":9080", Path: "/", Port: 9080,
		Gateway: match.MeshGateway, SourceNamespace: "shop",
	}
	d := t.Decide(&req)
	if d.Action != route.ActionRoute {
		return fmt.Sprintf("%s %d", d.Action, d.Status)
	}
	s := "route " + d.Destination.Host
	if d.Destination.Subset != "" {
		s += " subset " + d.Destination.Subset
	}
	return s
}

// objectsIn lists the objects of the table in force, as "Kind ns/name".
func objectsIn(t *route.Table) []string {
	cfg := t.Config()
	var out []string
	for _, o := range cfg.VirtualServices {
		out = append(out, o.Ref(route.KindVirtualService).String())
	}
	for _, o := range cfg.DestinationRules {
		out = append(out, o.Ref(route.KindDestinationRule).String())
	}
	for _, o := range cfg.ServiceEntries {
		out = append(out, o.Ref(route.KindServiceEntry).String())
	}
	for _, o := range cfg.Gateways {
		out = append(out, o.Ref(route.KindGateway).String())
	}
	for _, o := range cfg.WorkloadEntries {
		out = append(out, o.Ref(route.KindWorkloadEntry).String())
	}
	return out
}

func refs(c []route.ObjectRef) []string {
	var out []string
	for _, r := range c {
		out = append(out, r.String())
	}
	return out
}
