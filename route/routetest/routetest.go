// Package routetest asserts, in Go tests, where requests go under a set of
// Istio routing rules — CI for routing configuration without a cluster.
//
// Load the configuration once, then write one line per expectation:
//
//	tbl := routetest.LoadYAML(t, config, route.WithRand(rand.NewPCG(1, 2)))
//	routetest.Expect(t, tbl, routetest.Get("http://reviews/", "end-user: jason"), routetest.Want{Subset: "v2"})
//	routetest.Expect(t, tbl, routetest.Get("http://reviews/"), routetest.Want{Subset: "v1"})
//
// A Want compares only the fields it sets; a mismatch fails the test with a
// go-cmp diff of those fields. The same Case format (YAML or JSON) drives
// `routectl test`.
package routetest

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
)

// Request describes a request to decide on. URL is absolute
// ("http://reviews:9080/path?x=1"): its host is the authority, its scheme
// and path are the request's.
type Request struct {
	Method          string            `json:"method,omitempty"`
	URL             string            `json:"url"`
	Headers         map[string]string `json:"headers,omitempty"`
	SourceLabels    map[string]string `json:"sourceLabels,omitempty"`
	SourceNamespace string            `json:"sourceNamespace,omitempty"`
	// Gateway is "namespace/name" of the receiving gateway; "" means mesh.
	Gateway string `json:"gateway,omitempty"`
	// Port overrides the destination port taken from URL.
	Port uint32 `json:"port,omitempty"`
}

// Want is the expected outcome. Only the fields that are set are compared.
// Host matches the decision's FQDN exactly, or its leading labels when
// written short ("reviews" matches "reviews.default.svc.cluster.local").
type Want struct {
	Action         string `json:"action,omitempty"`         // route, redirect, directResponse, noRoute, unavailable
	VirtualService string `json:"virtualService,omitempty"` // "namespace/name"
	Rule           *int   `json:"rule,omitempty"`           // index of the rule in spec.http
	RuleName       string `json:"ruleName,omitempty"`
	Host           string `json:"host,omitempty"`
	Subset         string `json:"subset,omitempty"`
	Port           uint32 `json:"port,omitempty"`
	Path           string `json:"path,omitempty"`      // path and query sent upstream
	Authority      string `json:"authority,omitempty"` // authority sent upstream
	Status         int    `json:"status,omitempty"`    // for answered (not forwarded) requests
	Location       string `json:"location,omitempty"`  // redirect Location
	Timeout        string `json:"timeout,omitempty"`   // Go duration, "0s" for none
	Retries        *int   `json:"retries,omitempty"`   // retry attempts
	// DestinationRule is the rule whose policy applies, "namespace/name",
	// or "none" when no DestinationRule applies.
	DestinationRule string `json:"destinationRule,omitempty"`
}

// Case is one named expectation, as `routectl test` files list them.
type Case struct {
	Name    string  `json:"name,omitempty"`
	Request Request `json:"request"`
	Want    Want    `json:"want"`
}

// Get returns a GET request for url with headers written "Name: value".
func Get(url string, headers ...string) Request { return NewRequest(http.MethodGet, url, headers...) }

// NewRequest returns a request with headers written "Name: value".
func NewRequest(method, url string, headers ...string) Request {
	r := Request{Method: method, URL: url}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		if r.Headers == nil {
			r.Headers = map[string]string{}
		}
		r.Headers[strings.TrimSpace(name)] = strings.TrimSpace(value)
	}
	return r
}

// MatchRequest converts r into the request view Decide takes.
func (r Request) MatchRequest() (match.Request, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return match.Request{}, fmt.Errorf("request url %q: %v", r.URL, err)
	}
	if u.Host == "" {
		return match.Request{}, fmt.Errorf("request url %q: want an absolute URL such as http://reviews/path", r.URL)
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	hdr := http.Header{}
	for k, v := range r.Headers {
		hdr.Add(k, v)
	}
	scheme := u.Scheme
	if scheme == "" {
		scheme = "http"
	}
	req := match.Request{
		Method:          method,
		Scheme:          scheme,
		Authority:       u.Host,
		Path:            u.RequestURI(),
		Header:          hdr,
		SourceLabels:    r.SourceLabels,
		SourceNamespace: r.SourceNamespace,
		Gateway:         r.Gateway,
		Port:            r.Port,
	}
	if req.Gateway == "" {
		req.Gateway = match.MeshGateway
	}
	if req.Port == 0 {
		if p := u.Port(); p != "" {
			n, _ := strconv.ParseUint(p, 10, 16)
			req.Port = uint32(n)
		} else if scheme == "https" {
			req.Port = 443
		} else {
			req.Port = 80
		}
	}
	return req, nil
}

// Decide decides r on tbl.
func Decide(tbl *route.Table, r Request) (route.Decision, error) {
	req, err := r.MatchRequest()
	if err != nil {
		return route.Decision{}, err
	}
	return tbl.Decide(&req), nil
}

// Check decides c.Request on tbl and returns "" when the decision has
// every field c.Want sets, else a go-cmp diff (-want +got).
func Check(tbl *route.Table, c Case) (string, error) {
	d, err := Decide(tbl, c.Request)
	if err != nil {
		return "", err
	}
	got := Observed(d, c.Want)
	return cmp.Diff(c.Want, got), nil
}

// Observed returns the decision's fields in Want form, keeping only the
// fields that like sets (so a diff shows just what was asked about).
func Observed(d route.Decision, like Want) Want {
	var got Want
	if like.Action != "" {
		got.Action = d.Action.String()
	}
	if like.VirtualService != "" {
		if d.VirtualService.Name != "" {
			got.VirtualService = d.VirtualService.Namespace + "/" + d.VirtualService.Name
		}
	}
	if like.Rule != nil {
		i := d.Rule.Index
		got.Rule = &i
	}
	if like.RuleName != "" {
		got.RuleName = d.Rule.Name
	}
	if like.Host != "" {
		got.Host = d.Destination.Host
		if strings.HasPrefix(got.Host, like.Host+".") {
			got.Host = like.Host // written short: leading labels match
		}
	}
	if like.Subset != "" {
		got.Subset = d.Destination.Subset
	}
	if like.Port != 0 {
		got.Port = d.Destination.Port
	}
	if like.Path != "" {
		got.Path = d.Path
	}
	if like.Authority != "" {
		got.Authority = d.Authority
	}
	if like.Status != 0 {
		got.Status = d.Status
	}
	if like.Location != "" {
		got.Location = d.Redirect.Location
	}
	if like.Timeout != "" {
		got.Timeout = d.Timeout.String()
		if want, err := time.ParseDuration(like.Timeout); err == nil && want == d.Timeout {
			got.Timeout = like.Timeout // "10s" and "10000ms" are the same duration
		}
	}
	if like.Retries != nil {
		n := d.Retry.Attempts
		got.Retries = &n
	}
	if like.DestinationRule != "" {
		got.DestinationRule = "none"
		if dr := d.DestinationRule; dr.Name != "" {
			got.DestinationRule = dr.Namespace + "/" + dr.Name
		}
	}
	return got
}

// Expect fails t, with a diff, unless r decided on tbl has every field want
// sets.
func Expect(t testing.TB, tbl *route.Table, r Request, want Want) {
	t.Helper()
	diff, err := Check(tbl, Case{Request: r, Want: want})
	if err != nil {
		t.Fatalf("routetest: %v", err)
	}
	if diff != "" {
		t.Errorf("%s %s: decision mismatch (-want +got):\n%s", methodOf(r), r.URL, diff)
	}
}

func methodOf(r Request) string {
	if r.Method == "" {
		return http.MethodGet
	}
	return r.Method
}

// Load loads configuration files or directories and compiles them, failing
// t on any error.
func Load(t testing.TB, paths []string, opts ...route.Option) *route.Table {
	t.Helper()
	cfg, err := route.LoadPaths(paths)
	if err != nil {
		t.Fatalf("routetest: load %v: %v", paths, err)
	}
	return compile(t, cfg, opts)
}

// LoadYAML compiles configuration written inline as (multi-document) YAML,
// failing t on any error.
func LoadYAML(t testing.TB, yaml string, opts ...route.Option) *route.Table {
	t.Helper()
	cfg, err := route.LoadBytes([]byte(yaml), "inline.yaml")
	if err != nil {
		t.Fatalf("routetest: %v", err)
	}
	return compile(t, cfg, opts)
}

func compile(t testing.TB, cfg *route.Config, opts []route.Option) *route.Table {
	t.Helper()
	tbl, err := route.Compile(cfg, opts...)
	if err != nil {
		t.Fatalf("routetest: compile: %v", err)
	}
	return tbl
}

// Int returns a pointer to n, for Want.Rule and Want.Retries.
func Int(n int) *int { return &n }
