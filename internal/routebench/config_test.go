package routebench

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
)

func TestConfigBuildsOneRoutePerRule(t *testing.T) {
	w := Routes(10)
	cfg := w.Config()
	if len(cfg.VirtualServices) != 1 {
		t.Fatalf("got %d VirtualServices, want 1", len(cfg.VirtualServices))
	}
	vs := cfg.VirtualServices[0]
	type meta struct {
		Name, Namespace string
		Created         time.Time
		Hosts           []string
		Routes          int
	}
	if diff := cmp.Diff(meta{"routes", Namespace, Epoch, []string{RoutesHost}, 10},
		meta{vs.Name, vs.Namespace, vs.CreationTimestamp, vs.Spec.Hosts, len(vs.Spec.Http)}); diff != "" {
		t.Errorf("VirtualService (-want +got):\n%s", diff)
	}
	dest := []*networking.HTTPRouteDestination{{Destination: &networking.Destination{
		Host: "backend7.bench.internal", Port: &networking.PortSelector{Number: TargetPort}}}}
	tests := []struct {
		name string
		i    int
		want *networking.HTTPRoute
	}{
		{"an exact rule becomes uri exact", 0, &networking.HTTPRoute{Name: "r0",
			Match: []*networking.HTTPMatchRequest{{Uri: &networking.StringMatch{
				MatchType: &networking.StringMatch_Exact{Exact: "/api/v1/svc0/items"}}}},
			Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{
				Host: "backend0.bench.internal", Port: &networking.PortSelector{Number: TargetPort}}}}}},
		{"a method rule becomes uri exact and method exact", 7, &networking.HTTPRoute{Name: "r7",
			Match: []*networking.HTTPMatchRequest{{
				Uri:    &networking.StringMatch{MatchType: &networking.StringMatch_Exact{Exact: "/api/v1/m7/items"}},
				Method: &networking.StringMatch{MatchType: &networking.StringMatch_Exact{Exact: "POST"}}}},
			Route: dest}},
		{"a regex rule becomes uri regex", 9, &networking.HTTPRoute{Name: "r9",
			Match: []*networking.HTTPMatchRequest{{Uri: &networking.StringMatch{
				MatchType: &networking.StringMatch_Regex{Regex: "/re/r9/[0-9]+"}}}},
			Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{
				Host: "backend9.bench.internal", Port: &networking.PortSelector{Number: TargetPort}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, vs.Spec.Http[tt.i], protocmp.Transform()); diff != "" {
				t.Errorf("http[%d] (-want +got):\n%s", tt.i, diff)
			}
		})
	}
	t.Run("a header rule becomes uri prefix and a lower-case exact header", func(t *testing.T) {
		r := Routes(20).Config().VirtualServices[0].Spec.Http[19]
		want := &networking.HTTPMatchRequest{
			Uri: &networking.StringMatch{MatchType: &networking.StringMatch_Prefix{Prefix: "/tenant/r19/"}},
			Headers: map[string]*networking.StringMatch{
				"x-tenant": {MatchType: &networking.StringMatch_Exact{Exact: "t19"}}},
		}
		if diff := cmp.Diff(want, r.Match[0], protocmp.Transform()); diff != "" {
			t.Errorf("http[19].match[0] (-want +got):\n%s", diff)
		}
	})
}

func TestConfigOrdersVirtualServicesByCreation(t *testing.T) {
	cfg := Hosts(3).Config()
	var got []string
	for i, vs := range cfg.VirtualServices {
		if want := Epoch.Add(time.Duration(i) * time.Second); !vs.CreationTimestamp.Equal(want) {
			t.Errorf("%s created %v, want %v", vs.Name, vs.CreationTimestamp, want)
		}
		got = append(got, vs.Name+" "+vs.Spec.Hosts[0])
	}
	want := []string{"vs0 svc0.example.com", "vs1 svc1.example.com", "vs2 svc2.example.com"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("VirtualServices (-want +got):\n%s", diff)
	}
}

func TestConfigPutsTargetsInTheRegistry(t *testing.T) {
	cfg := Routes(3).Config()
	if len(cfg.ServiceEntries) != 1 {
		t.Fatalf("got %d ServiceEntries, want 1", len(cfg.ServiceEntries))
	}
	se := cfg.ServiceEntries[0]
	want := &networking.ServiceEntry{
		Hosts:      []string{"backend0.bench.internal", "backend1.bench.internal", "backend2.bench.internal"},
		Location:   networking.ServiceEntry_MESH_EXTERNAL,
		Resolution: networking.ServiceEntry_DNS,
		Ports:      []*networking.ServicePort{{Number: 80, Name: "http", Protocol: "HTTP"}},
	}
	if diff := cmp.Diff(want, se.Spec, protocmp.Transform()); diff != "" {
		t.Errorf("ServiceEntry %s (-want +got):\n%s", se.Name, diff)
	}
}

func TestMatchRequests(t *testing.T) {
	hdr := http.Header{"X-Tenant": {"t1"}}
	w := Workload{Requests: []Request{
		{Method: "GET", Host: "a.example.com", Path: "/x?y=1", Headers: hdr},
		{Method: "POST", Host: "a.example.com:8080", Path: "/z"},
	}}
	want := []match.Request{
		{Method: "GET", Scheme: "http", Authority: "a.example.com", Path: "/x?y=1", Header: hdr, Port: 80, Gateway: "mesh"},
		{Method: "POST", Scheme: "http", Authority: "a.example.com:8080", Path: "/z", Header: http.Header{}, Port: 8080, Gateway: "mesh"},
	}
	if diff := cmp.Diff(want, w.MatchRequests(), cmp.Comparer(func(a, b interface{ String() string }) bool {
		return a.String() == b.String()
	})); diff != "" {
		t.Errorf("MatchRequests (-want +got):\n%s", diff)
	}
}
