package match

import (
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	networking "istio.io/api/networking/v1alpha3"
)

// referenceMatch applies an HTTPMatchRequest the plain way, rule by rule
// from spec §3, sharing no code with HTTPMatch beyond the spec-checked
// helpers of the tests (referenceNormalize, referenceQueryParam).
func referenceMatch(m *hm, gateways []string, r *Request) bool {
	if m == nil {
		m = &hm{}
	}
	if m.Port != 0 && m.Port != r.Port {
		return false
	}
	if len(gateways) > 0 {
		gw := r.Gateway
		if gw == "" {
			gw = "mesh"
		}
		if !slices.Contains(gateways, gw) {
			return false
		}
	} else {
		for k, v := range m.SourceLabels {
			if got, ok := r.SourceLabels[k]; !ok || got != v {
				return false
			}
		}
		if m.SourceNamespace != "" && m.SourceNamespace != r.SourceNamespace {
			return false
		}
	}
	path, query, _ := strings.Cut(r.Path, "?")
	path = referenceNormalize(path)
	if m.Uri != nil && !isPresence(m.Uri) {
		fold := m.IgnoreUriCase && m.Uri.GetRegex() == ""
		if !referenceString(m.Uri, path, fold) {
			return false
		}
	}
	for _, f := range []struct {
		sm *networking.StringMatch
		v  string
	}{{m.Method, r.Method}, {m.Scheme, r.Scheme}, {m.Authority, r.Authority}} {
		if f.sm != nil && !isPresence(f.sm) && !referenceString(f.sm, f.v, false) {
			return false
		}
	}
	for name, sm := range m.Headers {
		v, ok := referenceHeader(r, name)
		if !ok || (!isPresence(sm) && !referenceString(sm, v, false)) {
			return false
		}
	}
	for name, sm := range m.WithoutHeaders {
		v, ok := referenceHeader(r, name)
		if isPresence(sm) {
			if ok {
				return false
			}
			continue
		}
		if referenceString(sm, v, false) { // missing is ""
			return false
		}
	}
	for key, sm := range m.QueryParams {
		v, ok := referenceQueryParam(query, key)
		if !ok || (!isPresence(sm) && !referenceString(sm, v, false)) {
			return false
		}
	}
	return true
}

func isPresence(sm *networking.StringMatch) bool {
	return sm.GetMatchType() == nil || sm.GetRegex() == "*"
}

func referenceString(sm *networking.StringMatch, s string, fold bool) bool {
	switch t := sm.GetMatchType().(type) {
	case *networking.StringMatch_Exact:
		if fold {
			return asciiLower(s) == asciiLower(t.Exact)
		}
		return s == t.Exact
	case *networking.StringMatch_Prefix:
		if fold {
			return strings.HasPrefix(asciiLower(s), asciiLower(t.Prefix))
		}
		return strings.HasPrefix(s, t.Prefix)
	case *networking.StringMatch_Regex:
		return regexp.MustCompile("^(?:" + t.Regex + ")$").MatchString(s)
	}
	return true
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func referenceHeader(r *Request, name string) (string, bool) {
	name = strings.ToLower(name)
	switch name {
	case ":method":
		return r.Method, true
	case ":scheme":
		return r.Scheme, true
	case ":authority":
		return r.Authority, true
	case "host":
		return r.Authority, r.Authority != ""
	case ":path":
		return referenceNormalize(r.Path), true
	}
	if strings.HasPrefix(name, "@request.auth.claims") {
		return "", false
	}
	var vals []string
	found := false
	for k, vs := range r.Header {
		if strings.ToLower(k) == name {
			vals, found = append(vals, vs...), true
		}
	}
	for k, vs := range r.Metadata {
		if r.Header == nil && k == name {
			vals, found = append(vals, vs...), true
		}
	}
	return strings.Join(vals, ","), found
}

// randomCase builds a small random match and request from rng, from
// alphabets small enough that matches are frequent.
func randomCase(rng *rand.Rand) (*hm, []string, Request) {
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	values := []string{"", "a", "ab", "A", "/a", "/a/b", "/b", "a,b", "GET", "http", "a:80"}
	patterns := []string{".*", "a.*", "/a.*", "[ab]+", "(?i)a", "/[ab]", "a,b", "[A-Z]+", "/b/?"}
	sm := func() *networking.StringMatch {
		switch rng.IntN(5) {
		case 0:
			return exact(pick(values...))
		case 1:
			return prefix(pick(values...))
		case 2:
			return regex(pick(patterns...))
		case 3:
			return present()
		}
		return regex("*")
	}
	maybe := func() *networking.StringMatch {
		if rng.IntN(3) == 0 {
			return sm()
		}
		return nil
	}
	names := []string{"x-a", "X-B", ":method", ":path", "host", "uri", ":authority"}
	hdrs := func() map[string]*networking.StringMatch {
		n := rng.IntN(3)
		if n == 0 {
			return nil
		}
		out := map[string]*networking.StringMatch{}
		for range n {
			out[pick(names...)] = sm()
		}
		return out
	}
	m := &hm{
		Uri: maybe(), Method: maybe(), Scheme: maybe(), Authority: maybe(),
		Headers: hdrs(), WithoutHeaders: hdrs(), IgnoreUriCase: rng.IntN(2) == 0,
	}
	if rng.IntN(3) == 0 {
		m.QueryParams = map[string]*networking.StringMatch{pick("x", "y", "X"): sm()}
	}
	if rng.IntN(4) == 0 {
		m.Port = uint32(rng.IntN(2) * 80)
	}
	if rng.IntN(4) == 0 {
		m.SourceLabels = map[string]string{"app": pick("x", "y")}
	}
	if rng.IntN(4) == 0 {
		m.SourceNamespace = pick("ns", "other")
	}
	var gateways []string
	if rng.IntN(4) == 0 {
		gateways = []string{pick("mesh", "ns/gw")}
	}

	var path strings.Builder
	for range 1 + rng.IntN(4) {
		path.WriteString(pick("/", `\`))
		path.WriteString(pick("a", "b", "A", "..", ".", "%2e", "ab", ""))
	}
	if rng.IntN(2) == 0 {
		path.WriteString("?" + pick("x=1", "x", "x=", "y=a", "x=a&x=2", "X=a", "y=ab&x=ab"))
	}
	h := http.Header{}
	for range rng.IntN(4) {
		h.Add(pick("X-A", "X-B", "Uri"), pick("", "a", "ab", "A", "/a"))
	}
	req := Request{
		Method: pick("GET", "get", "POST"), Scheme: pick("http", "https"), Authority: pick("a", "a:80", ""),
		Path: path.String(), Header: h, Port: uint32(rng.IntN(2) * 80), Gateway: pick("", "mesh", "ns/gw"),
		SourceNamespace: pick("", "ns"),
	}
	if rng.IntN(2) == 0 {
		req.SourceLabels = map[string]string{"app": pick("x", "y"), "v": "1"}
	}
	if rng.IntN(5) == 0 { // gRPC-style metadata instead of http.Header
		md := map[string][]string{}
		for k, vs := range h {
			md[strings.ToLower(k)] = vs
		}
		req.Header, req.Metadata = nil, md
	}
	return m, gateways, req
}

func checkAgainstReference(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	m, gateways, req := randomCase(rng)
	c, err := CompileHTTPMatch(m, gateways, nil)
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	want := referenceMatch(m, gateways, &req)
	if got := c.Match(&req); got != want {
		_, why := c.Explain(&req)
		t.Fatalf("seed %d: Match = %v, reference %v\nmatch: %s (gateways %q)\nrequest: %+v\nexplain: %q", seed, got, want, c, gateways, req, why)
	}
	if ok, why := c.Explain(&req); ok != want || ok != (why == "") {
		t.Fatalf("seed %d: Explain = %v %q, reference %v", seed, ok, why, want)
	}
}

func TestHTTPMatchAgreesWithReference(t *testing.T) {
	matched := 0
	const n = 20000
	for seed := range uint64(n) {
		checkAgainstReference(t, seed)
		rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		m, g, r := randomCase(rng)
		if referenceMatch(m, g, &r) {
			matched++
		}
	}
	// Both outcomes must be well represented, or the test proves little.
	if matched < n/20 || matched > n*19/20 {
		t.Fatalf("%d of %d random cases matched; the generator is lopsided", matched, n)
	}
}

func FuzzHTTPMatch(f *testing.F) {
	for _, s := range []uint64{0, 1, 42, 1 << 40} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed uint64) { checkAgainstReference(t, seed) })
}
