package routebench

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// PathKind says how a rule's Path is compared with a request's path.
type PathKind uint8

const (
	// Exact: the path without its query string equals Path.
	Exact PathKind = iota
	// Prefix: the raw path starts with Path (no segment boundary).
	Prefix
	// Regex: the path without its query string fully matches the RE2
	// pattern Path.
	Regex
)

var pathKindNames = [...]string{"exact", "prefix", "regex"}

// String returns "exact", "prefix" or "regex".
func (k PathKind) String() string {
	if int(k) < len(pathKindNames) {
		return pathKindNames[k]
	}
	return "unknown"
}

// Rule is one routing rule in router-neutral form: a host, an optional
// method, a path condition, an optional exact header condition and the
// service the rule sends matching requests to. It becomes one HTTPRoute
// with one match clause in a VirtualService.
type Rule struct {
	// Host is the VirtualService host the rule belongs to: an exact name
	// ("svc1.example.com") or a suffix wildcard ("*.w3.example.com").
	Host string
	// Method, when not "", must equal the request method exactly.
	Method   string
	PathKind PathKind
	Path     string
	// HeaderName (lower case) and HeaderValue, when HeaderName is not "",
	// require the request header HeaderName to equal HeaderValue exactly.
	HeaderName  string
	HeaderValue string
	// Target is the destination service host (a fully qualified name).
	Target string

	// VirtualService is the name of the VirtualService holding the rule,
	// and Index the rule's position in that VirtualService's http list:
	// what route.Decision reports as VirtualService.Name and Rule.Index.
	VirtualService string
	Index          int
}

// Request is one request in router-neutral form.
type Request struct {
	Method string
	// Host is the authority, possibly with a port ("svc1.example.com:8080").
	Host string
	// Path is the request target: path and optional query string.
	Path string
	// Headers holds the request headers under canonical keys; nil when the
	// request has none.
	Headers http.Header
}

// PathOnly returns the request's path without its query string.
func (r Request) PathOnly() string {
	if i := strings.IndexByte(r.Path, '?'); i >= 0 {
		return r.Path[:i]
	}
	return r.Path
}

// Workload is a routing table and a request stream to measure it with.
// Rules are grouped by VirtualService: the rules of one VirtualService are
// consecutive, in the order of its http list, and the VirtualServices come
// in creation order (oldest first).
type Workload struct {
	// Name identifies the workload in benchmark names: "routes=100",
	// "hosts=10000", "compile=10000x10".
	Name string
	// Namespace is the namespace of every generated object.
	Namespace string
	Rules     []Rule
	Requests  []Request

	expected *expectations // nil for a Workload built by hand
}

// expectations holds the expected rule of every request of a generated
// workload, computed on first use: the naive walk over 10,000 rules takes
// a second or two, which a benchmark that never asks should not pay.
type expectations struct {
	once  sync.Once
	rules []Rule
	reqs  []Request
	idx   []int // index in rules per request, -1 for none
}

func newExpectations(rules []Rule, reqs []Request) *expectations {
	return &expectations{rules: rules, reqs: reqs}
}

func (e *expectations) get() []int {
	e.once.Do(func() { e.idx = expectAll(e.rules, e.reqs) })
	return e.idx
}

// Expected returns the index in Rules of the rule that must decide request
// i, or -1 when no rule matches it. It is computed by a naive walk over the
// neutral rules that mirrors Istio's (Envoy's) semantics; see ExpectedRule.
func (w Workload) Expected(i int) int {
	if w.expected != nil {
		return w.expected.get()[i]
	}
	return ExpectedRule(w.Rules, w.Requests[i])
}

// Hosts returns the distinct VirtualService hosts of the workload in order
// of first appearance.
func (w Workload) Hosts() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range w.Rules {
		if !seen[r.Host] {
			seen[r.Host] = true
			out = append(out, r.Host)
		}
	}
	return out
}

// Subset returns the workload restricted to the rules keep accepts: the
// rules keep rejects are removed, and so are the requests that one of them
// decided (a router that cannot express a rule is not measured on its
// requests). Requests that no rule matched stay. Rule indexes within each
// VirtualService are renumbered and expectations recomputed. The second
// result is the number of rules removed.
func (w Workload) Subset(keep func(Rule) bool) (Workload, int) {
	out := Workload{Name: w.Name, Namespace: w.Namespace}
	kept := make([]bool, len(w.Rules))
	next := map[string]int{}
	for i, r := range w.Rules {
		if !keep(r) {
			continue
		}
		kept[i] = true
		r.Index = next[r.VirtualService]
		next[r.VirtualService]++
		out.Rules = append(out.Rules, r)
	}
	for i, req := range w.Requests {
		if e := w.Expected(i); e >= 0 && !kept[e] {
			continue
		}
		out.Requests = append(out.Requests, req)
	}
	out.expected = newExpectations(out.Rules, out.Requests)
	return out, len(w.Rules) - len(out.Rules)
}

// HTTPRequests returns the requests as *http.Request values, as a server
// would hand them to a router: URL.Path and URL.RawQuery split from Path,
// Host and RequestURI set, headers shared with Requests.
func (w Workload) HTTPRequests() []*http.Request {
	out := make([]*http.Request, len(w.Requests))
	for i, r := range w.Requests {
		p, q, _ := strings.Cut(r.Path, "?")
		h := r.Headers
		if h == nil {
			h = http.Header{}
		}
		out[i] = &http.Request{
			Method:     r.Method,
			URL:        &url.URL{Path: p, RawQuery: q},
			Proto:      "HTTP/1.1",
			ProtoMajor: 1,
			ProtoMinor: 1,
			Header:     h,
			Host:       r.Host,
			RequestURI: r.Path,
		}
	}
	return out
}
