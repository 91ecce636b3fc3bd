package route

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/meshroute/meshroute/match"
)

// FuzzDecide feeds arbitrary requests to a table built from the tests'
// configurations: Decide must not panic and must agree with the linear
// reference matcher.
func FuzzDecide(f *testing.F) {
	cfgYAML := workedExample + "---\n" + hostsConfig + "---\n" + delegateConfig
	indexed := compileYAML(f, cfgYAML)
	linear := compileYAML(f, cfgYAML)
	explained := compileYAML(f, cfgYAML) // Explain draws from its own source
	opts := cmp.Options{
		cmp.AllowUnexported(HeaderOps{}, MirrorSet{}, CORSPolicy{}), cmpopts.EquateEmpty(), protocmp.Transform(),
		cmp.Comparer(func(a, b *headerOps) bool { return a == b }),
	}
	f.Add("reviews:9080", "/api/list?x=1", "jason", "bookinfo", "mesh")
	f.Add("REVIEWS.bookinfo", "/x/../api", "Jason", "", "mesh")
	f.Add("shop.example.com", "/products/v2", "", "front", "mesh")
	f.Add("[::1]:80", "*", "", "", "istio-system/ingress")
	f.Add("a.b.example.com:", "?debug", "", "other", "")
	f.Fuzz(func(t *testing.T, authority, path, user, ns, gw string) {
		q := &match.Request{Method: "GET", Scheme: "http", Authority: authority, Path: path,
			Header: http.Header{"End-User": {user}}, SourceNamespace: ns, Gateway: gw}
		got, want := indexed.Decide(q), linear.decideLinear(q)
		if diff := cmp.Diff(want, got, opts); diff != "" {
			t.Fatalf("Decide differs from the linear matcher (-linear +indexed):\n%s", diff)
		}
		_ = explained.Explain(q).String()
	})
}

// TestDecideConcurrently runs Decide from several goroutines on one table
// with the default random source (run with -race).
func TestDecideConcurrently(t *testing.T) {
	cfg, err := LoadBytes([]byte(workedExample), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				q := req("GET", "reviews.bookinfo", "/api/x", "end-user: "+[]string{"jason", "x"}[rand.IntN(2)])
				if d := tbl.Decide(q); d.Action != ActionRoute {
					t.Errorf("action %v", d.Action)
					return
				}
			}
		}()
	}
	wg.Wait()
}
