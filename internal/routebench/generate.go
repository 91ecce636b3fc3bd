package routebench

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
)

// Namespace is the namespace of every generated object.
const Namespace = "bench"

// RoutesHost is the one host of the Routes workload.
const RoutesHost = "bench.example.com"

// backends is the number of distinct targets rules send traffic to.
const backends = 16

// Routes returns n rules on the one host RoutesHost, in one VirtualService
// named "routes", and a request stream over them. Rule i takes its shape
// from its place in each block of ten consecutive rules:
//
//	slots 0,2,4,6,8  exact uri            /api/v1/svc<i>/items          50%
//	slots 1,3,5      prefix uri           /static/r<i>/                 30%
//	slot  7          exact uri + POST     /api/v1/m<i>/items            10%
//	slot  9          prefix + header      /tenant/r<i>/, x-tenant: t<i>  9%
//	slot  9 of every tenth block (0, 10, ...) a regex instead:
//	                 regex uri            /re/r<i>/[0-9]+                1%
//
// so n=10 already has every kind but headers, and n ≥ 100 has the mix
// above. No two rules match a common request (every path is unique to its
// rule and prefixes end in "/"), so routers that pick the most specific
// route rather than the first agree with Istio's first-match order on this
// table, and so do indexes that ignore order.
//
// Requests: one matching request per rule (GET unless the rule needs
// POST; exact paths of every third rule carry a "?page=2" query), plus one
// request per nine rules, rounded up, that matches none (≈10%): an exact
// path with an extra segment, a path under no rule, a POST-only path with
// GET, a tenant path with the wrong x-tenant. The stream is shuffled with a
// fixed seed: the result depends on n alone. n ≤ 0 gives an empty
// workload.
func Routes(n int) Workload {
	w := Workload{Name: "routes=" + strconv.Itoa(max(n, 0)), Namespace: Namespace}
	for i := range max(n, 0) {
		r, req := mixRule(i, i)
		r.Host, r.VirtualService, r.Index = RoutesHost, "routes", i
		req.Host = RoutesHost
		w.Rules = append(w.Rules, r)
		w.Requests = append(w.Requests, req)
	}
	for k := range missCount(n) {
		req := mixMiss(k, n)
		req.Host = RoutesHost
		w.Requests = append(w.Requests, req)
	}
	return w.finish(uint64(n))
}

// Hosts returns n VirtualServices "vs<i>", each with its own host — exact
// "svc<i>.example.com", except every fourth (i%4 == 3) a suffix wildcard
// "*.w<i>.example.com" — and three rules each: exact /api/v1/items, prefix
// /static/, and exact /api/v1/orders with POST.
//
// Requests: one per VirtualService, for rule i%3, addressed to the exact
// host or, for a wildcard, to "a<i>.w<i>.example.com" (every eighth
// "x.y.w<i>.example.com", two labels deep); every fifth authority carries
// the port ":80", which virtual-host selection ignores (the hosts are in no
// ServiceEntry, so Istio routes them on port 80 only). Plus one per nine
// VirtualServices, rounded up, that matches none (≈10%): alternately an
// unknown host and a known host with a path under no rule. Shuffled with a
// fixed seed. n ≤ 0 gives an empty workload.
func Hosts(n int) Workload {
	w := Workload{Name: "hosts=" + strconv.Itoa(max(n, 0)), Namespace: Namespace}
	shapes := [3]struct{ method, kind, path string }{
		{"", "exact", "/api/v1/items"},
		{"", "prefix", "/static/"},
		{http.MethodPost, "exact", "/api/v1/orders"},
	}
	for i := range max(n, 0) {
		s := strconv.Itoa(i)
		host, reqHost := "svc"+s+".example.com", "svc"+s+".example.com"
		if i%4 == 3 {
			host, reqHost = "*.w"+s+".example.com", "a"+s+".w"+s+".example.com"
			if i%8 == 7 {
				reqHost = "x.y.w" + s + ".example.com"
			}
		}
		if i%5 == 4 {
			reqHost += ":80"
		}
		for j, sh := range shapes {
			r := Rule{Host: host, Method: sh.method, Path: sh.path, Target: target(i*3 + j),
				VirtualService: "vs" + s, Index: j}
			if sh.kind == "prefix" {
				r.PathKind = Prefix
			}
			w.Rules = append(w.Rules, r)
		}
		sh := shapes[i%3]
		req := Request{Method: http.MethodGet, Host: reqHost, Path: sh.path}
		if sh.method != "" {
			req.Method = sh.method
		}
		if sh.kind == "prefix" {
			req.Path += "app-" + s + ".js"
		}
		w.Requests = append(w.Requests, req)
	}
	for k := range missCount(n) {
		req := Request{Method: http.MethodGet, Host: "nohost" + strconv.Itoa(k) + ".example.com", Path: "/api/v1/items"}
		if k%2 == 1 {
			j := (k * 7919) % n
			req.Host, req.Path = "svc"+strconv.Itoa(j-j%4)+".example.com", "/nope/"+strconv.Itoa(k)
		}
		w.Requests = append(w.Requests, req)
	}
	return w.finish(uint64(n) + 1<<32)
}

// Compile returns vs VirtualServices "c<v>" of rulesPerVS rules each, for
// measuring compilation: hosts "c<v>.example.com" (every fourth a wildcard
// "*.cw<v>.example.com"), rules in the mix of Routes numbered across the
// whole table (so regexes stay at 1% of all rules), one request per
// VirtualService and ≈10% that match none. Non-positive counts give an
// empty workload.
func Compile(vs, rulesPerVS int) Workload {
	w := Workload{Name: "vs=" + strconv.Itoa(max(vs, 0)), Namespace: Namespace}
	if vs <= 0 || rulesPerVS <= 0 {
		return w
	}
	for v := range vs {
		s := strconv.Itoa(v)
		host, reqHost := "c"+s+".example.com", "c"+s+".example.com"
		if v%4 == 3 {
			host, reqHost = "*.cw"+s+".example.com", "a.cw"+s+".example.com"
		}
		for j := range rulesPerVS {
			g := v*rulesPerVS + j
			r, req := mixRule(g, j)
			r.Host, r.VirtualService, r.Index = host, "c"+s, j
			w.Rules = append(w.Rules, r)
			if j == v%rulesPerVS {
				req.Host = reqHost
				w.Requests = append(w.Requests, req)
			}
		}
	}
	for k := range missCount(vs) {
		req := mixMiss(k, vs*rulesPerVS)
		req.Host = "c" + strconv.Itoa((k*7919)%vs) + ".example.com"
		w.Requests = append(w.Requests, req)
	}
	return w.finish(uint64(vs)<<20 + uint64(rulesPerVS))
}

// mixRule returns rule number i of the Routes mix (its shape chosen by
// slot, its paths numbered i) and one request it matches.
func mixRule(i, slot int) (Rule, Request) {
	s := strconv.Itoa(i)
	r := Rule{Target: target(i)}
	req := Request{Method: http.MethodGet}
	switch slot % 10 {
	case 0, 2, 4, 6, 8:
		r.PathKind, r.Path = Exact, "/api/v1/svc"+s+"/items"
		req.Path = r.Path
		if i%3 == 0 {
			req.Path += "?page=2"
		}
	case 1, 3, 5:
		r.PathKind, r.Path = Prefix, "/static/r"+s+"/"
		req.Path = r.Path + "img/" + s + ".png"
	case 7:
		r.PathKind, r.Path, r.Method = Exact, "/api/v1/m"+s+"/items", http.MethodPost
		req.Path, req.Method = r.Path, http.MethodPost
	case 9:
		if (slot/10)%10 == 0 {
			r.PathKind, r.Path = Regex, "/re/r"+s+"/[0-9]+"
			req.Path = "/re/r" + s + "/" + strconv.Itoa(i*7+1)
		} else {
			r.PathKind, r.Path = Prefix, "/tenant/r"+s+"/"
			r.HeaderName, r.HeaderValue = "x-tenant", "t"+s
			req.Path = r.Path + "dash"
			req.Headers = http.Header{"X-Tenant": {"t" + s}}
		}
	}
	return r, req
}

// mixMiss returns the k-th request that matches no rule of a Routes mix
// of n rules.
func mixMiss(k, n int) Request {
	j := strconv.Itoa((k * 7919) % max(n, 1))
	switch k % 4 {
	case 0:
		return Request{Method: http.MethodGet, Path: "/api/v1/svc" + j + "/items/extra"}
	case 1:
		return Request{Method: http.MethodGet, Path: "/nomatch/" + strconv.Itoa(k)}
	case 2:
		return Request{Method: http.MethodGet, Path: "/api/v1/m" + j + "/items"}
	default:
		return Request{Method: http.MethodGet, Path: "/tenant/r" + j + "/dash",
			Headers: http.Header{"X-Tenant": {"nobody"}}}
	}
}

// missCount is the number of non-matching requests added to n matching
// ones: n/9 rounded up, ≈10% of the total.
func missCount(n int) int {
	if n <= 0 {
		return 0
	}
	return (n + 8) / 9
}

func target(i int) string {
	return "backend" + strconv.Itoa(i%backends) + ".bench.internal"
}

// finish shuffles the requests with a seed fixed by the caller and
// prepares their expected rules, computed on first use.
//
// Once shuffled, each request's host, path and headers are copied in the
// new order, so that they lie in memory in the order the benchmarks
// decide them, as a server's requests come from its parser one after
// another. Left where generation put them, they would be scattered in
// shuffled order, and every router's benchmark would pay cache misses on
// the request's own bytes that a server, deciding on a request it has
// just read, does not.
func (w Workload) finish(seed uint64) Workload {
	rng := rand.New(rand.NewPCG(seed, 0x6d657368726f7574))
	rng.Shuffle(len(w.Requests), func(i, j int) { w.Requests[i], w.Requests[j] = w.Requests[j], w.Requests[i] })
	for i := range w.Requests {
		r := &w.Requests[i]
		r.Host, r.Path = strings.Clone(r.Host), strings.Clone(r.Path)
		if r.Headers != nil {
			r.Headers = r.Headers.Clone()
		}
	}
	w.expected = newExpectations(w.Rules, w.Requests)
	return w
}
