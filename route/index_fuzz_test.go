package route

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/meshroute/meshroute/match"
)

// FuzzIndexedDecide feeds arbitrary paths, methods and headers to hosts
// with a rule index (randomIndexedConfig) and checks Decide against the
// linear reference matcher: long paths (the folded lookup leaves its stack
// buffer), dot segments, odd case and bytes.
func FuzzIndexedDecide(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 5))
	type pair struct{ indexed, linear *Table }
	var tables []pair
	for len(tables) < 8 {
		cfg := randomIndexedConfig(r)
		a, err := Compile(cfg, WithRand(rand.NewPCG(1, 1)))
		if err != nil {
			f.Fatal(err)
		}
		b, _ := Compile(cfg, WithRand(rand.NewPCG(1, 1)))
		tables = append(tables, pair{a, b})
	}
	opts := cmp.Options{
		cmp.AllowUnexported(HeaderOps{}, MirrorSet{}, CORSPolicy{}), cmpopts.EquateEmpty(), protocmp.Transform(),
		cmp.Comparer(func(a, b *headerOps) bool { return a == b }),
	}
	f.Add(uint8(0), "GET", "/API/v1/x", "1", false)
	f.Add(uint8(1), "POST", "/a/../A/B?x", "2", true)
	f.Add(uint8(2), "GET", "/"+strings.Repeat("A", 300), "", false)
	f.Add(uint8(3), "GET", `\b\c\`, "1", true)
	f.Fuzz(func(t *testing.T, table uint8, method, path, xv string, gateway bool) {
		p := tables[int(table)%len(tables)]
		q := &match.Request{Method: method, Scheme: "http", Authority: "a", Path: path, Header: http.Header{},
			Gateway: "mesh", SourceNamespace: "default"}
		if gateway {
			q.Gateway = "istio-system/gw"
		}
		if xv != "" {
			q.Header.Set("X-V", xv)
		}
		got, want := p.indexed.Decide(q), p.linear.decideLinear(q)
		if diff := cmp.Diff(want, got, opts); diff != "" {
			t.Fatalf("Decide differs from the linear matcher (-linear +indexed):\n%s", diff)
		}
	})
}
