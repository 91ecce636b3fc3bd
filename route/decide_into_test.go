package route

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/meshroute/meshroute/match"
	"google.golang.org/protobuf/testing/protocmp"
)

// TestDecideIntoOverwritesAll: DecideInto leaves nothing of the decision
// its destination held before, whatever either decision is.
func TestDecideIntoOverwritesAll(t *testing.T) {
	// A constant random source: two decisions on one request agree.
	tbl := compileYAML(t, workedExample+"---\n"+hostsConfig, WithRand(constSource(7)))
	opts := cmp.Options{
		cmp.AllowUnexported(HeaderOps{}, MirrorSet{}, CORSPolicy{}), cmpopts.EquateEmpty(), protocmp.Transform(),
		cmp.Comparer(func(a, b *headerOps) bool { return a == b }),
	}
	reqs := []*match.Request{
		req("GET", "reviews.bookinfo", "/api/x?y=1", "end-user: jason"),         // rewrite and route timeout
		req("GET", "reviews.bookinfo", "/?debug"),                               // direct response
		req("GET", "reviews.bookinfo", "/other"),                                // weighted route
		req("GET", "unknown.example.com:8080", "/x"),                            // passthrough
		{Method: "GET", Authority: "reviews", Path: "/", Gateway: "nowhere/gw"}, // unknown gateway: no route
	}
	for _, before := range reqs {
		for _, q := range reqs {
			d := tbl.Decide(before)
			tbl.DecideInto(&d, q)
			if diff := cmp.Diff(tbl.Decide(q), d, opts); diff != "" {
				t.Fatalf("DecideInto(%s %s%s) over the decision for %s%s (-Decide +DecideInto):\n%s",
					q.Method, q.Authority, q.Path, before.Authority, before.Path, diff)
			}
		}
	}
}

// constSource is a rand.Source that always returns the same number.
type constSource uint64

func (c constSource) Uint64() uint64 { return uint64(c) }
