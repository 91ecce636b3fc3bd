package subset_test

import (
	"context"
	"fmt"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/subset"
)

func ExampleRegistry_LoadServiceEntries() {
	reg := subset.NewRegistry()
	se := &networking.ServiceEntry{
		Hosts:      []string{"reviews.example.com"},
		Ports:      []*networking.ServicePort{{Number: 9080, Name: "http", Protocol: "HTTP", TargetPort: 8080}},
		Resolution: networking.ServiceEntry_STATIC,
		Endpoints: []*networking.WorkloadEntry{
			{Address: "10.0.0.1", Labels: map[string]string{"version": "v1"}},
			{Address: "10.0.0.2", Labels: map[string]string{"version": "v2"}},
		},
	}
	if err := reg.LoadServiceEntries(context.Background(), []subset.ServiceEntry{{Namespace: "default", Spec: se}}, nil, nil); err != nil {
		fmt.Println(err)
		return
	}
	v2 := reg.Lookup("reviews.example.com").Select(map[string]string{"version": "v2"}, 9080)
	fmt.Println(v2.Addrs)
	// Output: [10.0.0.2:8080]
}

func ExampleResolverFunc() {
	reg := subset.NewRegistry()
	consul := subset.ResolverFunc(func(ctx context.Context, host string) ([]subset.Endpoint, error) {
		return []subset.Endpoint{{Address: "192.0.2.10", Port: 8500}}, nil
	})
	_ = reg.Refresh(context.Background(), consul, "catalog.service.consul")
	fmt.Println(reg.Lookup("catalog.service.consul").Select(nil, 80).Addrs)
	// Output: [192.0.2.10:8500]
}
