package route

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"
)

// addSeedFiles adds every seed example as a fuzz seed.
func addSeedFiles(f *testing.F) {
	files, _ := filepath.Glob("testdata/seeds/*.yaml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzLoad checks that no input makes the loader panic, and that what it
// returns is consistent: every problem is complete, every loaded object
// has a spec, and loading the same bytes twice gives the same answer.
func FuzzLoad(f *testing.F) {
	addSeedFiles(f)
	f.Add([]byte(minimalVS))
	f.Add([]byte("apiVersion: v1\nkind: List\nitems: [{apiVersion: networking.istio.io/v1, kind: Gateway, metadata: {name: g}, spec: {}}]\n"))
	f.Add([]byte(`{"apiVersion":"networking.istio.io/v1","kind":"ServiceEntry","metadata":{"name":"a"},"spec":{"hosts":["*.a.com"]}}{"kind":"x"}`))
	f.Add([]byte("---\n---\n...\n- *a\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		cfg, err := LoadBytes(in, "fuzz.yaml")
		if cfg == nil {
			t.Fatalf("nil Config (err %v)", err)
		}
		var ps Problems
		if err != nil && !asProblems(err, &ps) {
			t.Fatalf("error is not Problems: %T %v", err, err)
		}
		for _, p := range append(ps, cfg.Warnings...) {
			if p.Code == "" || p.Rule == "" || p.Source.File != "fuzz.yaml" {
				t.Errorf("incomplete problem %#v", p)
			}
		}
		for _, vs := range cfg.VirtualServices {
			if vs.Spec == nil || vs.Source.Doc < 1 {
				t.Errorf("VirtualService %s without spec or document", vs.Name)
			}
		}
		again, err2 := LoadBytes(in, "fuzz.yaml")
		if (err == nil) != (err2 == nil) || again.Len() != cfg.Len() {
			t.Errorf("loading twice differs: %v / %v", err, err2)
		}
	})
}

// FuzzValidate checks that Validate never panics and is deterministic, on
// loaded YAML and on arbitrary protobuf messages (fields no YAML would
// produce, nil entries, extreme numbers).
func FuzzValidate(f *testing.F) {
	addSeedFiles(f)
	for _, m := range []proto.Message{
		&networking.VirtualService{Hosts: []string{"r"}, Http: []*networking.HTTPRoute{{Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{Host: "r", Subset: "v1"}, Weight: -1}}}}},
		&networking.DestinationRule{Host: "*", Subsets: []*networking.Subset{{Name: "v1"}, {Name: "v1"}}},
	} {
		b, _ := proto.Marshal(m)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		cfg, _ := LoadBytes(in, "fuzz.yaml")
		// The same bytes as protobuf wire format, for each kind.
		vs, dr, se, gw := &networking.VirtualService{}, &networking.DestinationRule{}, &networking.ServiceEntry{}, &networking.Gateway{}
		meta := Meta{Name: "fuzz", Namespace: "default"}
		if proto.Unmarshal(in, vs) == nil {
			cfg.VirtualServices = append(cfg.VirtualServices, &VirtualService{Meta: meta, Spec: vs})
		}
		if proto.Unmarshal(in, dr) == nil {
			cfg.DestinationRules = append(cfg.DestinationRules, &DestinationRule{Meta: meta, Spec: dr})
		}
		if proto.Unmarshal(in, se) == nil {
			cfg.ServiceEntries = append(cfg.ServiceEntries, &ServiceEntry{Meta: meta, Spec: se})
		}
		if proto.Unmarshal(in, gw) == nil {
			cfg.Gateways = append(cfg.Gateways, &Gateway{Meta: meta, Spec: gw})
		}
		first := Validate(cfg)
		for _, p := range first {
			if p.Code == "" || p.Rule == "" {
				t.Errorf("incomplete problem %#v", p)
			}
		}
		if diff := cmp.Diff(first, Validate(cfg)); diff != "" {
			t.Errorf("Validate is not deterministic:\n%s", diff)
		}
	})
}
