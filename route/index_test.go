package route

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/testing/protocmp"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
)

// Paths the indexed generator draws uris and requests from: they share
// prefixes, differ in case, and some need normalising.
var (
	idxURIs  = []string{"/", "", "/a", "/a/", "/a/b", "/ab", "/A", "/A/B", "/api", "/api/v1", "/api/v1/x", "/Api/V1", "/b", "/b/c"}
	idxPaths = []string{"/", "/a", "/a/", "/a/b", "/a/b/c", "/ab", "/abc", "/A", "/A/b", "/a/B", "/api", "/api/v1", "/API/V1",
		"/api/v1/x", "/api/v1/x/y", "/Api/v1/x", "/b", "/b/c", "/b/c/", "/x/../a/b", `\a\b`, "/a/./b", "/api/v1?x=1",
		"/zzz", "/b/7", "/a/12", "*", ""}
	idxRegexes = []string{"/a/[0-9]+", "/api/.*", "(?i)/api/v1", "/b/c|/a", ".*", "^/a/b$", "/A/.*", "[/]a.*", "/b/[0-9]"}
)

func idxStringMatch(r *rand.Rand) (*networking.StringMatch, bool) {
	switch r.IntN(7) {
	case 0, 1:
		return &networking.StringMatch{MatchType: &networking.StringMatch_Exact{Exact: pick(r, idxURIs)}}, false
	case 2, 3, 4:
		return &networking.StringMatch{MatchType: &networking.StringMatch_Prefix{Prefix: pick(r, idxURIs)}}, false
	case 5:
		return &networking.StringMatch{MatchType: &networking.StringMatch_Regex{Regex: pick(r, idxRegexes)}}, true
	}
	return nil, false
}

// randomIndexedConfig returns one or two VirtualServices for host "a" with
// enough rules (8 to 60) that the host is indexed: exact, prefix and regex
// uris, ignoreUriCase, methods, headers, rules without match, and clause
// gateways when the VirtualService is also on a gateway.
func randomIndexedConfig(r *rand.Rand) *Config {
	cfg := &Config{}
	for i := 0; i < 1+r.IntN(2); i++ {
		vs := &networking.VirtualService{Hosts: []string{"a"}}
		if i > 0 || r.IntN(3) == 0 {
			vs.Gateways = []string{"istio-system/gw"}
		}
		for k := 0; k < 8+r.IntN(53); k++ {
			hr := &networking.HTTPRoute{Name: fmt.Sprintf("r%d", k),
				Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{Host: "a"}}}}
			if r.IntN(25) != 0 { // a rule without match now and then
				for m := 0; m < 1+r.IntN(2); m++ {
					hm := &networking.HTTPMatchRequest{Name: fmt.Sprintf("m%d", m)}
					uri, isRegex := idxStringMatch(r)
					hm.Uri = uri
					hm.IgnoreUriCase = !isRegex && r.IntN(4) == 0 || isRegex && r.IntN(8) == 0
					if r.IntN(4) == 0 {
						hm.Method = &networking.StringMatch{MatchType: &networking.StringMatch_Exact{Exact: pick(r, []string{"GET", "POST"})}}
					}
					if r.IntN(4) == 0 {
						hm.Headers = map[string]*networking.StringMatch{"x-v": {MatchType: &networking.StringMatch_Exact{Exact: pick(r, []string{"1", "2"})}}}
					}
					if r.IntN(8) == 0 {
						hm.Gateways = []string{pick(r, []string{"mesh", "istio-system/gw"})}
					}
					hr.Match = append(hr.Match, hm)
				}
			}
			vs.Http = append(vs.Http, hr)
		}
		cfg.VirtualServices = append(cfg.VirtualServices, &VirtualService{
			Meta: Meta{Name: fmt.Sprintf("vs%d", i), Namespace: "default"}, Spec: vs})
	}
	return cfg
}

func randomIndexedRequest(r *rand.Rand) *match.Request {
	q := &match.Request{Method: pick(r, []string{"GET", "POST"}), Scheme: "http", Authority: pick(r, []string{"a", "A:80"}),
		Path: pick(r, idxPaths), Header: http.Header{}, Gateway: pick(r, []string{"mesh", "istio-system/gw"}), SourceNamespace: "default"}
	if r.IntN(2) == 0 {
		q.Header.Set("X-V", pick(r, []string{"1", "2"}))
	}
	return q
}

// TestIndexedDecideMatchesLinear checks the rule index against the linear
// reference matcher on random hosts of 8 to 120 clauses that mix every
// kind of uri, ignoreUriCase, methods, headers, rules without match and
// clause gateways: same decision, including which rule and clause won.
func TestIndexedDecideMatchesLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	opts := cmp.Options{
		cmp.AllowUnexported(HeaderOps{}, MirrorSet{}, CORSPolicy{}), cmpopts.EquateEmpty(), protocmp.Transform(),
		cmp.Comparer(func(a, b *headerOps) bool { return a == b }),
	}
	indexedHosts, routed, matchedLate := 0, 0, 0
	for i := 0; i < 300; i++ {
		cfg := randomIndexedConfig(r)
		indexed, err := Compile(cfg, WithRand(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatalf("config %d: %v", i, err)
		}
		linear, _ := Compile(cfg, WithRand(rand.NewPCG(1, 1)))
		for _, v := range indexed.views {
			for _, vh := range v.vhosts {
				if vh.index != nil {
					indexedHosts++
				}
			}
		}
		for j := 0; j < 60; j++ {
			q := randomIndexedRequest(r)
			got, want := indexed.Decide(q), linear.decideLinear(q)
			if got.Action == ActionRoute {
				routed++
				if got.Rule.Index >= 8 {
					matchedLate++
				}
			}
			if diff := cmp.Diff(want, got, opts); diff != "" {
				t.Fatalf("config %d request %s %s%s %v gw %s: Decide differs from the linear matcher (-linear +indexed):\n%s",
					i, q.Method, q.Authority, q.Path, q.Header, q.Gateway, diff)
			}
		}
	}
	if indexedHosts < 300 || routed < 5000 || matchedLate < 500 {
		t.Errorf("the generator exercises too little: %d indexed hosts, %d routed, %d decided by rule 8 or later", indexedHosts, routed, matchedLate)
	}
}

func TestRegexLiteralPrefix(t *testing.T) {
	tests := []struct{ name, pattern, want string }{
		{"a literal then a class keeps the literal", "/re/r7/[0-9]+", "/re/r7/"},
		{"a whole literal is its own prefix", "/a/b", "/a/b"},
		{"a leading caret is skipped", "^/a/.*", "/a/"},
		{"a leading wildcard has no prefix", ".*/a", ""},
		{"case folding has no prefix", "(?i)/api", ""},
		{"folding part way stops there", "/a(?i:bc)", "/a"},
		{"an alternation has no prefix unless common", "/x|/y", "/"},
		{"non-ASCII stops the prefix", "/ü/x", "/"},
		{"an invalid pattern has no prefix", "/a(", ""},
		{"a group stops the prefix", "/a(b)c", "/a"},
		{"an optional char is not in the prefix", "/ab?", "/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, regexLiteralPrefix(tt.pattern)); diff != "" {
				t.Errorf("regexLiteralPrefix(%q) (-want +got):\n%s", tt.pattern, diff)
			}
		})
	}
}

// trieSlots lists, for path, the slots of every node whose prefix path
// starts with, in walk order.
func trieSlots(n *trieNode, path string) [][]int32 {
	var out [][]int32
	p := path
	for {
		if len(n.slots) > 0 {
			out = append(out, n.slots)
		}
		if p == "" {
			return out
		}
		k := n.child(p[0])
		if k == nil || len(p) < len(k.label) || p[:len(k.label)] != k.label {
			return out
		}
		p, n = p[len(k.label):], k
	}
}

func TestTrieFindsEveryPrefix(t *testing.T) {
	var root *trieNode
	for i, p := range []string{"/api/v1/", "/api/", "", "/api/v2/x", "/b", "/api/", "/ab"} {
		root = trieInsert(root, p, int32(i))
	}
	tests := []struct {
		name, path string
		want       [][]int32
	}{
		{"every prefix of the path is found, shortest first", "/api/v1/items", [][]int32{{2}, {1, 5}, {0}}},
		{"a split edge still finds the longer prefix", "/api/v2/x", [][]int32{{2}, {1, 5}, {3}}},
		{"a prefix longer than the path is not found", "/api/v2", [][]int32{{2}, {1, 5}}},
		{"siblings below a split are found", "/ab", [][]int32{{2}, {6}}},
		{"the empty prefix matches every path", "/zz", [][]int32{{2}}},
		{"prefixes have no segment boundary", "/bcd", [][]int32{{2}, {4}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, trieSlots(root, tt.path)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestExactPathSlotsComeFromTheirEntry: a clause found by exact path is
// returned as the exact map's copy (beside the key the lookup read, its
// uri in its own buffer), unless a clause earlier in the host's order
// matches too, which is returned from the host's slot array; both are
// the clause the ordered walk finds.
func TestExactPathSlotsComeFromTheirEntry(t *testing.T) {
	var rules string
	for i := range minIndexedClauses {
		rules += fmt.Sprintf("  - match: [{uri: {exact: /e%d}}, {uri: {exact: /E%d}, ignoreUriCase: true}]\n    route: [{destination: {host: a}}]\n", i, i)
	}
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a}
spec:
  hosts: [a]
  http:
  - match: [{uri: {prefix: /e1}, method: {exact: POST}}]
    route: [{destination: {host: a}}]
`+rules)
	x := tbl.meshSelf.findHost("a").index
	if x == nil || x.exact == nil || x.foldExact == nil {
		t.Fatal("host a has no exact-path index")
	}
	inEntries := func(sm *slotMap, sl *slot) bool {
		for i := range sm.one.entries {
			if &sm.one.entries[i].val.sl == sl {
				return true
			}
		}
		return false
	}
	for _, c := range []struct {
		method, path string
		want         int32 // slot
		copied       *slotMap
	}{
		{"GET", "/e3", 1 + 2*3, x.exact},
		{"GET", "/e1", 1 + 2*1, x.exact},
		{"POST", "/e1", 0, nil}, // the prefix rule before it wins
		{"GET", "/E3", 1 + 2*3 + 1, x.foldExact},
		{"GET", "/e3/", -1, nil},
	} {
		r := req(c.method, "a", c.path)
		got := x.first(r, c.path)
		switch {
		case c.want < 0:
			if got != nil {
				t.Errorf("%s %s: slot %d, want none", c.method, c.path, got.matchIndex)
			}
			continue
		case got == nil:
			t.Errorf("%s %s: no slot, want %d", c.method, c.path, c.want)
			continue
		}
		want := &x.slots[c.want]
		if got.plan != want.plan || got.matchIndex != want.matchIndex || got.uri != want.uri {
			t.Errorf("%s %s: clause %d of %p, want clause %d of %p", c.method, c.path, got.matchIndex, got.plan, want.matchIndex, want.plan)
		}
		if c.copied != nil && !inEntries(c.copied, got) {
			t.Errorf("%s %s: slot from the slot array, want the exact map's copy", c.method, c.path)
		}
		if c.copied == nil && got != want {
			t.Errorf("%s %s: a copy of the slot, want the slot array's", c.method, c.path)
		}
		if c.copied != nil && got.uri != "" && unsafe.StringData(got.uri) != &got.uriBuf[0] {
			t.Errorf("%s %s: the copy's uri is not in its own buffer", c.method, c.path)
		}
	}
}
