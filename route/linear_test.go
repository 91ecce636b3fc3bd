package route

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/testing/protocmp"
	networking "istio.io/api/networking/v1alpha3"
	typev1beta1 "istio.io/api/type/v1beta1"

	ihost "github.com/meshroute/meshroute/internal/host"
	"github.com/meshroute/meshroute/match"
)

var (
	randHosts    = []string{"a", "b", "a.ns1.svc.cluster.local", "*.example.com", "www.example.com", "*.api.example.com", "x.api.example.com", "ext.org", "*"}
	randPaths    = []string{"/", "/a", "/a/b", "/ab", "/b", "/api/v1", "/API/v1"}
	randNS       = []string{"default", "ns1", "ns2"}
	randGateways = []string{"mesh", "istio-system/gw", "ns1/gw"}
)

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func randomStringMatch(r *rand.Rand, values []string) *networking.StringMatch {
	v := pick(r, values)
	switch r.IntN(3) {
	case 0:
		return &networking.StringMatch{MatchType: &networking.StringMatch_Exact{Exact: v}}
	case 1:
		return &networking.StringMatch{MatchType: &networking.StringMatch_Prefix{Prefix: v}}
	}
	return &networking.StringMatch{MatchType: &networking.StringMatch_Regex{Regex: v + ".*"}}
}

func randomConfig(r *rand.Rand) *Config {
	cfg := &Config{}
	nvs := 1 + r.IntN(5)
	for i := 0; i < nvs; i++ {
		ns := pick(r, randNS)
		vs := &networking.VirtualService{}
		if r.IntN(2) == 0 {
			vs.Gateways = []string{pick(r, randGateways)}
			if r.IntN(2) == 0 {
				vs.Gateways = append(vs.Gateways, "mesh")
			}
		}
		mesh := len(vs.Gateways) == 0 || contains(vs.Gateways, "mesh")
		for j := 0; j < 1+r.IntN(2); j++ {
			h := pick(r, randHosts)
			ok := !(h == "*" && mesh)
			for _, o := range vs.Hosts {
				if ihost.Matches(ihost.Expand(o, ns, ihost.DefaultDomain), ihost.Expand(h, ns, ihost.DefaultDomain)) {
					ok = false
				}
			}
			if ok {
				vs.Hosts = append(vs.Hosts, h)
			}
		}
		if len(vs.Hosts) == 0 {
			vs.Hosts = []string{"a"}
		}
		if r.IntN(4) == 0 {
			vs.ExportTo = []string{"."}
		}
		for k := 0; k < 1+r.IntN(4); k++ {
			hr := &networking.HTTPRoute{Name: fmt.Sprintf("r%d", k)}
			for m := 0; m < r.IntN(3); m++ {
				hm := &networking.HTTPMatchRequest{Name: fmt.Sprintf("m%d", m)}
				if r.IntN(2) == 0 {
					hm.Uri = randomStringMatch(r, randPaths)
					hm.IgnoreUriCase = r.IntN(4) == 0
				}
				if r.IntN(3) == 0 {
					hm.Headers = map[string]*networking.StringMatch{"x-v": randomStringMatch(r, []string{"1", "2"})}
				}
				if r.IntN(4) == 0 {
					hm.Method = &networking.StringMatch{MatchType: &networking.StringMatch_Exact{Exact: pick(r, []string{"GET", "POST"})}}
				}
				if r.IntN(6) == 0 {
					hm.Gateways = []string{pick(r, randGateways)}
				}
				if r.IntN(6) == 0 {
					hm.SourceNamespace = pick(r, randNS)
				}
				hr.Match = append(hr.Match, hm)
			}
			switch r.IntN(5) {
			case 0:
				hr.DirectResponse = &networking.HTTPDirectResponse{Status: 200 + uint32(r.IntN(300))}
			case 1:
				hr.Redirect = &networking.HTTPRedirect{Uri: "/moved"}
			default:
				for d := 0; d < 1+r.IntN(3); d++ {
					hr.Route = append(hr.Route, &networking.HTTPRouteDestination{
						Destination: randDestination(r),
						Weight:      int32(1 + r.IntN(50)),
					})
				}
				if r.IntN(3) == 0 {
					hr.Rewrite = &networking.HTTPRewrite{Uri: "/r"}
				}
			}
			vs.Http = append(vs.Http, hr)
		}
		cfg.VirtualServices = append(cfg.VirtualServices, &VirtualService{
			Meta: Meta{Name: fmt.Sprintf("vs%d", i), Namespace: ns, CreationTimestamp: time.Unix(int64(r.IntN(3)), 0)},
			Spec: vs,
		})
	}
	cfg.DestinationRules = append(cfg.DestinationRules, &DestinationRule{
		Meta: Meta{Name: "a", Namespace: "default"},
		Spec: &networking.DestinationRule{Host: "a", Subsets: []*networking.Subset{{Name: "v1", Labels: map[string]string{"v": "1"}}}},
	})
	// DestinationRules that callers in different namespaces resolve
	// differently (the caller's namespace first), with port-level and
	// consistent-hash policies: per-view targets and retry host choice.
	hash := &networking.LoadBalancerSettings{LbPolicy: &networking.LoadBalancerSettings_ConsistentHash{
		ConsistentHash: &networking.LoadBalancerSettings_ConsistentHashLB{HashKey: &networking.LoadBalancerSettings_ConsistentHashLB_UseSourceIp{UseSourceIp: true}}}}
	cfg.DestinationRules = append(cfg.DestinationRules, &DestinationRule{
		Meta: Meta{Name: "a-from-ns2", Namespace: "ns2"},
		Spec: &networking.DestinationRule{Host: "a.default.svc.cluster.local", TrafficPolicy: &networking.TrafficPolicy{LoadBalancer: hash},
			Subsets: []*networking.Subset{{Name: "v9", Labels: map[string]string{"v": "9"}}}},
	}, &DestinationRule{
		Meta: Meta{Name: "ext", Namespace: "ns2"},
		Spec: &networking.DestinationRule{Host: "ext.org", TrafficPolicy: &networking.TrafficPolicy{
			PortLevelSettings: []*networking.TrafficPolicy_PortTrafficPolicy{{Port: &networking.PortSelector{Number: 443}, LoadBalancer: hash}}},
			Subsets: []*networking.Subset{{Name: "v1", Labels: map[string]string{"v": "1"}}}},
	})
	// DestinationRules with a workloadSelector: targets chosen per
	// request by the caller's labels.
	cfg.DestinationRules = append(cfg.DestinationRules, &DestinationRule{
		Meta: Meta{Name: "a-canary", Namespace: "ns1", CreationTimestamp: time.Unix(1, 0)},
		Spec: &networking.DestinationRule{Host: "a.default.svc.cluster.local", ExportTo: []string{"."},
			WorkloadSelector: &typev1beta1.WorkloadSelector{MatchLabels: map[string]string{"app": "canary"}},
			TrafficPolicy:    &networking.TrafficPolicy{LoadBalancer: hash},
			Subsets:          []*networking.Subset{{Name: "v1", Labels: map[string]string{"v": "canary"}}}},
	}, &DestinationRule{
		Meta: Meta{Name: "a-batch", Namespace: "default", CreationTimestamp: time.Unix(2, 0)},
		Spec: &networking.DestinationRule{Host: "a", ExportTo: []string{"."},
			WorkloadSelector: &typev1beta1.WorkloadSelector{MatchLabels: map[string]string{"team": "batch"}},
			Subsets:          []*networking.Subset{{Name: "v2", Labels: map[string]string{"v": "2"}}}},
	})
	cfg.ServiceEntries = append(cfg.ServiceEntries, &ServiceEntry{
		Meta: Meta{Name: "ext", Namespace: "ns2"},
		Spec: &networking.ServiceEntry{Hosts: []string{"ext.org"}, Ports: []*networking.ServicePort{{Number: 443, Name: "https", Protocol: "HTTPS"}}},
	})
	return cfg
}

func randomRequest(r *rand.Rand) *match.Request {
	authority := pick(r, []string{"a", "A", "b:80", "a.ns1", "a.ns1.svc.cluster.local", "a.default", "www.example.com", "y.example.com",
		"x.api.example.com", "z.api.example.com", "example.com", "ext.org", "EXT.org:443", "ext.org:8080", "unknown.net",
		"www.example.com:8080", "x.api.example.com:80"})
	q := &match.Request{
		Method: pick(r, []string{"GET", "POST"}), Scheme: "http", Authority: authority,
		Path: pick(r, randPaths) + pick(r, []string{"", "?q=1"}), Header: http.Header{},
		Gateway: pick(r, randGateways), SourceNamespace: pick(r, append(randNS, "other", "")),
	}
	if r.IntN(2) == 0 {
		q.Header.Set("X-V", pick(r, []string{"1", "2", "12"}))
	}
	q.SourceLabels = pick(r, []map[string]string{nil, {"app": "canary"}, {"team": "batch"}, {"app": "canary", "team": "batch"}})
	return q
}

// TestDecideMatchesLinear checks Decide against the linear reference
// matcher on random configurations and requests: same decision, including
// which rule and clause won.
func TestDecideMatchesLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	opts := cmp.Options{
		cmp.AllowUnexported(HeaderOps{}, MirrorSet{}, CORSPolicy{}), cmpopts.EquateEmpty(), protocmp.Transform(),
		cmp.Comparer(func(a, b *headerOps) bool { return a == b }),
	}
	invalid := 0
	seen := map[Action]int{}
	defer func() {
		for _, a := range []Action{ActionRoute, ActionNoRoute, ActionRedirect, ActionDirectResponse, ActionUnavailable, 99} {
			if seen[a] < 50 {
				t.Errorf("only %d random decisions of kind %v; the generator needs fixing (%v)", seen[a], a, seen)
			}
		}
		if invalid > 100 {
			t.Errorf("%d of 200 random configurations were invalid; the generator needs fixing", invalid)
		}
	}()
	for i := 0; i < 200; i++ {
		cfg := randomConfig(r)
		seed := r.Uint64()
		indexed, err := Compile(cfg, WithRand(rand.NewPCG(seed, 1)))
		if err != nil {
			invalid++
			continue
		}
		linear, _ := Compile(cfg, WithRand(rand.NewPCG(seed, 1)))
		for j := 0; j < 30; j++ {
			q := randomRequest(r)
			got, want := indexed.Decide(q), linear.decideLinear(q)
			seen[got.Action]++
			if got.VirtualService.Name != "" {
				seen[99]++
			}
			if diff := cmp.Diff(want, got, opts); diff != "" {
				t.Fatalf("config %d request %+v: Decide differs from the linear matcher (-linear +indexed):\n%s", i, q, diff)
			}
		}
	}
}

// randDestination picks a destination host and subset, sometimes naming
// the port (the service's own: 9080 for the mesh hosts, 443 for ext.org).
func randDestination(r *rand.Rand) *networking.Destination {
	d := &networking.Destination{Host: pick(r, []string{"a", "b", "ext.org"}), Subset: pick(r, []string{"", "v1", "v9", "v2"})}
	if r.IntN(3) == 0 {
		port := uint32(9080)
		if d.Host == "ext.org" {
			port = 443
		}
		d.Port = &networking.PortSelector{Number: port}
	}
	return d
}
