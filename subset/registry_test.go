package subset

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	networking "istio.io/api/networking/v1alpha3"
)

func TestSelect(t *testing.T) {
	svc := Service{
		Host:  "reviews.default.svc.cluster.local",
		Ports: []ServicePort{{Number: 9080, Name: "http", TargetPort: 8080}, {Number: 9090, Name: "grpc"}},
		Endpoints: []Endpoint{
			{Address: "10.0.0.1", Labels: map[string]string{"version": "v1", "app": "reviews"}},
			{Address: "10.0.0.2", Labels: map[string]string{"version": "v2", "app": "reviews"}, Ports: map[string]uint32{"http": 7070}},
			{Address: "10.0.0.3", Labels: map[string]string{"version": "v2"}, Port: 6060},
			{Address: "unix:///var/run/sock", Labels: map[string]string{"version": "v3"}},
		},
	}
	r := NewRegistry()
	r.SetService(svc)
	s := r.Lookup("reviews.default.svc.cluster.local")
	tests := []struct {
		name   string
		labels map[string]string
		port   uint32
		want   []string
	}{
		{"no labels select every endpoint; targetPort is the dial port", nil, 9080,
			[]string{"10.0.0.1:8080", "10.0.0.2:7070", "10.0.0.3:6060", "unix:///var/run/sock"}},
		{"every subset label must match", map[string]string{"version": "v2", "app": "reviews"}, 9080, []string{"10.0.0.2:7070"}},
		{"endpoint ports by service port name beat targetPort", map[string]string{"version": "v2"}, 9080, []string{"10.0.0.2:7070", "10.0.0.3:6060"}},
		{"port without targetPort dials the port itself", map[string]string{"version": "v1"}, 9090, []string{"10.0.0.1:9090"}},
		{"labels matching nothing select nothing", map[string]string{"version": "v9"}, 9080, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := s.Select(tc.labels, tc.port)
			if diff := cmp.Diff(tc.want, got.Addrs); diff != "" {
				t.Errorf("Select addrs (-want +got):\n%s", diff)
			}
			if again := s.Select(tc.labels, tc.port); again != got {
				t.Errorf("second Select returned a new Selection; want the cached one")
			}
		})
	}
}

func TestDialByName(t *testing.T) {
	r := NewRegistry()
	r.SetService(Service{Host: "api.example.com", Ports: []ServicePort{{Number: 443, Name: "https", TargetPort: 8443}}, External: true})
	got := r.Lookup("api.example.com").Select(nil, 0)
	want := &Selection{Endpoints: []Endpoint{{Address: "api.example.com", Port: 8443}}, Addrs: []string{"api.example.com:8443"}, ByName: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("host without endpoints is dialled by name at its target port (-want +got):\n%s", diff)
	}
}

func TestSetSwapsAtomically(t *testing.T) {
	r := NewRegistry()
	r.SetService(Service{Host: "a.test", Ports: []ServicePort{{Number: 80, Name: "http"}}, Endpoints: []Endpoint{{Address: "10.0.0.1"}}})
	old := r.Lookup("a.test")
	oldSel := old.Select(nil, 80)
	r.Set("a.test", []Endpoint{{Address: "10.0.0.2"}})
	if diff := cmp.Diff([]string{"10.0.0.1:80"}, oldSel.Addrs); diff != "" {
		t.Errorf("a selection made before Set changed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"10.0.0.2:80"}, r.Lookup("a.test").Select(nil, 80).Addrs); diff != "" {
		t.Errorf("Set keeps the service ports and replaces endpoints (-want +got):\n%s", diff)
	}
	r.Delete("a.test")
	if r.Lookup("a.test") != nil {
		t.Errorf("Delete left the host registered")
	}
}

func TestConcurrentReadersAndWriters(t *testing.T) {
	r := NewRegistry()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				r.Set("h.test", []Endpoint{{Address: "10.0.0.1", Port: uint32(j + 1)}})
			}
		}()
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				if s := r.Lookup("h.test"); s != nil && len(s.Select(nil, 80).Addrs) != 1 {
					t.Error("reader saw a half-built selection")
				}
			}
		}()
	}
	wg.Wait()
}

type fakeDNS map[string][]string

func (f fakeDNS) LookupHost(_ context.Context, h string) ([]string, error) {
	if a, ok := f[h]; ok {
		return a, nil
	}
	return nil, errors.New("no such host")
}

func TestFromServiceEntries(t *testing.T) {
	dns := fakeDNS{"db.example.com": {"192.0.2.1", "192.0.2.2"}, "ep.example.com": {"198.51.100.7", "198.51.100.8"}}
	ports := []*networking.ServicePort{{Number: 5432, Name: "tcp", Protocol: "tcp"}}
	workloads := []WorkloadEntry{
		{Namespace: "shop", Spec: &networking.WorkloadEntry{Address: "10.1.0.1", Labels: map[string]string{"app": "vm"}, Locality: "eu/a"}},
		{Namespace: "other", Spec: &networking.WorkloadEntry{Address: "10.1.0.2", Labels: map[string]string{"app": "vm"}}},
		{Namespace: "shop", Spec: &networking.WorkloadEntry{Address: "10.1.0.3", Labels: map[string]string{"app": "web"}}},
	}
	tests := []struct {
		name string
		se   *networking.ServiceEntry
		want []Service
	}{{
		name: "STATIC endpoints keep labels, locality, weight, network and ports by name",
		se: &networking.ServiceEntry{Hosts: []string{"Static.Example.com"}, Ports: ports, Resolution: networking.ServiceEntry_STATIC,
			Location:  networking.ServiceEntry_MESH_INTERNAL,
			Endpoints: []*networking.WorkloadEntry{{Address: "10.0.0.1", Labels: map[string]string{"v": "1"}, Locality: "us/east", Weight: 3, Network: "n1", Ports: map[string]uint32{"tcp": 15432}}}},
		want: []Service{{Host: "static.example.com", Ports: []ServicePort{{Number: 5432, Name: "tcp", Protocol: "TCP"}},
			Endpoints: []Endpoint{{Address: "10.0.0.1", Labels: map[string]string{"v": "1"}, Locality: "us/east", Weight: 3, Network: "n1", Ports: map[string]uint32{"tcp": 15432}}}}},
	}, {
		name: "DNS without endpoints resolves each host to all its addresses",
		se:   &networking.ServiceEntry{Hosts: []string{"db.example.com"}, Ports: ports, Resolution: networking.ServiceEntry_DNS},
		want: []Service{{Host: "db.example.com", Ports: []ServicePort{{Number: 5432, Name: "tcp", Protocol: "TCP"}}, External: true,
			Endpoints: []Endpoint{{Address: "192.0.2.1"}, {Address: "192.0.2.2"}}}},
	}, {
		name: "DNS endpoints with names are resolved and keep their labels",
		se: &networking.ServiceEntry{Hosts: []string{"svc.example.com"}, Ports: ports, Resolution: networking.ServiceEntry_DNS,
			Endpoints: []*networking.WorkloadEntry{{Address: "ep.example.com", Labels: map[string]string{"v": "2"}}, {Address: "203.0.113.1"}}},
		want: []Service{{Host: "svc.example.com", Ports: []ServicePort{{Number: 5432, Name: "tcp", Protocol: "TCP"}}, External: true,
			Endpoints: []Endpoint{{Address: "198.51.100.7", Labels: map[string]string{"v": "2"}}, {Address: "198.51.100.8", Labels: map[string]string{"v": "2"}}, {Address: "203.0.113.1"}}}},
	}, {
		name: "DNS_ROUND_ROBIN uses only the first resolved address",
		se:   &networking.ServiceEntry{Hosts: []string{"db.example.com"}, Ports: ports, Resolution: networking.ServiceEntry_DNS_ROUND_ROBIN},
		want: []Service{{Host: "db.example.com", Ports: []ServicePort{{Number: 5432, Name: "tcp", Protocol: "TCP"}}, External: true,
			Endpoints: []Endpoint{{Address: "192.0.2.1"}}}},
	}, {
		name: "NONE has no endpoints: dialled by name",
		se:   &networking.ServiceEntry{Hosts: []string{"a.example.com", "b.example.com"}, Resolution: networking.ServiceEntry_NONE},
		want: []Service{{Host: "a.example.com", Ports: []ServicePort{}, External: true}, {Host: "b.example.com", Ports: []ServicePort{}, External: true}},
	}, {
		name: "workloadSelector selects WorkloadEntries of the same namespace by labels",
		se: &networking.ServiceEntry{Hosts: []string{"vm.shop.svc"}, Resolution: networking.ServiceEntry_STATIC, Location: networking.ServiceEntry_MESH_INTERNAL,
			WorkloadSelector: &networking.WorkloadSelector{Labels: map[string]string{"app": "vm"}}},
		want: []Service{{Host: "vm.shop.svc", Ports: []ServicePort{}, Endpoints: []Endpoint{{Address: "10.1.0.1", Labels: map[string]string{"app": "vm"}, Locality: "eu/a"}}}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromServiceEntries(context.Background(), []ServiceEntry{{Namespace: "shop", Spec: tc.se}}, workloads, dns)
			if err != nil {
				t.Fatalf("FromServiceEntries: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreUnexported(Service{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("services (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFromServiceEntriesErrors(t *testing.T) {
	tests := []struct {
		name string
		se   *networking.ServiceEntry
		want string
	}{
		{"STATIC endpoint with a DNS name is rejected with a hint",
			&networking.ServiceEntry{Hosts: []string{"x.example.com"}, Resolution: networking.ServiceEntry_STATIC, Endpoints: []*networking.WorkloadEntry{{Address: "db.internal"}}},
			`serviceEntries[0] (x.example.com): spec.endpoints[0].address "db.internal": a STATIC endpoint needs an IP address or unix:// path (use resolution DNS for names)`},
		{"empty hosts names the field",
			&networking.ServiceEntry{},
			`serviceEntries[0] (namespace "ns"): spec.hosts is empty; a ServiceEntry needs at least one host`},
		{"DNS failure names the host",
			&networking.ServiceEntry{Hosts: []string{"gone.example.com"}, Resolution: networking.ServiceEntry_DNS},
			`serviceEntries[0] host gone.example.com: resolving gone.example.com: no such host`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromServiceEntries(context.Background(), []ServiceEntry{{Namespace: "ns", Spec: tc.se}}, nil, fakeDNS{})
			if err == nil || err.Error() != tc.want {
				t.Errorf("error = %v\nwant    %s", err, tc.want)
			}
		})
	}
}

func TestRefreshFromResolver(t *testing.T) {
	r := NewRegistry()
	r.SetService(Service{Host: "a.test", Ports: []ServicePort{{Number: 80, Name: "http", TargetPort: 8080}}})
	res := ResolverFunc(func(_ context.Context, h string) ([]Endpoint, error) {
		if h == "a.test" {
			return []Endpoint{{Address: "10.0.0.9"}}, nil
		}
		return nil, errors.New("unknown")
	})
	err := r.Refresh(context.Background(), res, "a.test", "b.test")
	if err == nil || err.Error() != "resolving endpoints of b.test: unknown" {
		t.Errorf("Refresh error = %v; want the failing host named", err)
	}
	if diff := cmp.Diff([]string{"10.0.0.9:8080"}, r.Lookup("a.test").Select(nil, 80).Addrs); diff != "" {
		t.Errorf("resolver endpoints keep the service's target port (-want +got):\n%s", diff)
	}
	if r.Lookup("b.test") != nil {
		t.Errorf("failed lookup registered b.test")
	}
}

func TestResolve(t *testing.T) {
	r := NewRegistry()
	for _, h := range []string{"a.foo.com", "*.foo.com", "*.b.foo.com"} {
		r.SetService(Service{Host: h})
	}
	tests := []struct{ name, host, want string }{
		{"exact name first", "a.foo.com", "a.foo.com"},
		{"wildcard covers a subdomain", "x.foo.com", "*.foo.com"},
		{"most specific wildcard wins", "x.b.foo.com", "*.b.foo.com"},
		{"wildcard does not cover its bare suffix", "foo.com", ""},
		{"unrelated host resolves to nothing", "bar.com", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if s := r.Resolve(tc.host); s != nil {
				got = s.Host
			}
			if got != tc.want {
				t.Errorf("Resolve(%q) = %q, want %q", tc.host, got, tc.want)
			}
		})
	}
}

func TestSelectUnknownPort(t *testing.T) {
	s := &Service{Host: "m.test", Ports: []ServicePort{{Number: 8080, Name: "http", TargetPort: 18080}, {Number: 9090, Name: "grpc"}},
		Endpoints: []Endpoint{{Address: "10.0.0.1"}}}
	if diff := cmp.Diff([]string{"10.0.0.1:18080"}, s.Select(nil, 0).Addrs); diff != "" {
		t.Errorf("port 0 on a multi-port service dials its first port (-want +got):\n%s", diff)
	}
}

// changingDNS answers with the next address list on every lookup.
type changingDNS struct {
	mu      sync.Mutex
	answers [][]string
	calls   int
}

func (d *changingDNS) LookupHost(context.Context, string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.answers[min(d.calls, len(d.answers)-1)]
	d.calls++
	return a, nil
}

func TestPollServiceEntriesFollowsDNS(t *testing.T) {
	dns := &changingDNS{answers: [][]string{{"192.0.2.1"}, {"192.0.2.2", "192.0.2.3"}}}
	se := []ServiceEntry{{Spec: &networking.ServiceEntry{Hosts: []string{"db.example.com"}, Resolution: networking.ServiceEntry_DNS,
		Ports: []*networking.ServicePort{{Number: 5432, Name: "pg"}}}}}
	r := NewRegistry()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.PollServiceEntries(ctx, se, nil, dns, time.Millisecond, nil) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if s := r.Lookup("db.example.com"); s != nil && len(s.Endpoints) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("registry never saw the second DNS answer")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("PollServiceEntries returned %v, want context.Canceled", err)
	}
	if diff := cmp.Diff([]string{"192.0.2.2:5432", "192.0.2.3:5432"}, r.Lookup("db.example.com").Select(nil, 5432).Addrs); diff != "" {
		t.Errorf("endpoints after re-resolution (-want +got):\n%s", diff)
	}
}
