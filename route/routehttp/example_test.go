package routehttp_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"

	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
	"github.com/meshroute/meshroute/route/routehttp"
	"github.com/meshroute/meshroute/subset"
)

const reviews = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - name: legacy
    match: [{uri: {prefix: /v1/}}]
    redirect: {uri: /v2/}
  - name: jason-to-v2
    match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - name: everyone-else
    route: [{destination: {host: reviews, subset: v1}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`

func table() *route.Table {
	cfg, err := route.LoadBytes([]byte(reviews), "reviews.yaml")
	if err != nil {
		panic(err)
	}
	tbl, err := route.Compile(cfg)
	if err != nil {
		panic(err)
	}
	return tbl
}

// Middleware routes inbound requests: local answers (here a redirect)
// never reach the handler, and the handler reads the decision.
func ExampleMiddleware() {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		d, _ := routehttp.DecisionFrom(r.Context())
		fmt.Fprintf(w, "rule %s, subset %s", d.Rule.Name, d.Destination.Subset)
	})
	handler := routehttp.Middleware(table())(mux)

	for _, tc := range []struct{ path, user string }{{"/v1/books", ""}, {"/books", "jason"}, {"/books", "alice"}} {
		req := httptest.NewRequest("GET", "http://reviews:9080"+tc.path, nil)
		req.Header.Set("End-User", tc.user)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		fmt.Println(rec.Code, strings.TrimSpace(rec.Header().Get("Location")+" "+rec.Body.String()))
	}
	// Output:
	// 301 http://reviews:9080/v2/
	// 200 rule jason-to-v2, subset v2
	// 200 rule everyone-else, subset v1
}

// WithHandoff(HandoffPooled) reuses the handler's request and context
// once it has returned, so routing allocates nothing; work that outlives
// the handler takes what it needs with it — here a copy of the decision —
// instead of the request or its context.
func ExampleWithHandoff() {
	done := make(chan string, 1)
	handler := routehttp.Middleware(table(), routehttp.WithHandoff(routehttp.HandoffPooled))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d, _ := routehttp.DecisionFrom(r.Context()) // a copy: safe to keep
			go func() { done <- "audit: rule " + d.Rule.Name }()
			io.WriteString(w, "subset "+d.Destination.Subset)
		}))

	req := httptest.NewRequest("GET", "http://reviews:9080/books", nil)
	req.Header.Set("End-User", "jason")
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	fmt.Println(rec.Body.String())
	fmt.Println(<-done)
	// Output:
	// subset v2
	// audit: rule jason-to-v2
}

// NewTransport is the sidecar in a library: an http.Client whose requests
// are routed by the VirtualService to the endpoints of the chosen subset.
func ExampleNewTransport() {
	v1 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "v1") }))
	defer v1.Close()
	v2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "v2") }))
	defer v2.Close()

	reg := subset.NewRegistry()
	reg.SetService(subset.Service{
		Host:  "reviews.default.svc.cluster.local",
		Ports: []subset.ServicePort{{Number: 9080, Name: "http"}},
		Endpoints: []subset.Endpoint{
			endpoint(v1, "v1"),
			endpoint(v2, "v2"),
		},
	})
	client := &http.Client{
		Transport: routehttp.NewTransport(table(), policy.NewRuntime(reg)),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}

	for _, tc := range []struct{ path, user string }{{"/books", "jason"}, {"/books", "alice"}, {"/v1/books", ""}} {
		req, _ := http.NewRequest("GET", "http://reviews:9080"+tc.path, nil)
		req.Header.Set("End-User", tc.user)
		resp, err := client.Do(req)
		if err != nil {
			fmt.Println(err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, strings.TrimSpace(string(body)+" "+resp.Header.Get("Location")))
	}
	// Output:
	// 200 v2
	// 200 v1
	// 301 http://reviews:9080/v2/
}

func endpoint(s *httptest.Server, version string) subset.Endpoint {
	host, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	return subset.Endpoint{Address: host, Port: uint32(p), Labels: map[string]string{"version": version}}
}

// NewGateway serves a configuration as a gateway: here as the mesh, routing
// by the Host header to the endpoints of the chosen subset.
func ExampleNewGateway() {
	v1 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "v1 got "+r.URL.Path) }))
	defer v1.Close()
	v2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "v2 got "+r.URL.Path) }))
	defer v2.Close()
	reg := subset.NewRegistry()
	reg.SetService(subset.Service{
		Host:      "reviews.default.svc.cluster.local",
		Ports:     []subset.ServicePort{{Number: 9080, Name: "http"}},
		Endpoints: []subset.Endpoint{endpoint(v1, "v1"), endpoint(v2, "v2")},
	})

	gw := httptest.NewServer(routehttp.NewGateway(table(), policy.NewRuntime(reg), "mesh"))
	defer gw.Close()

	for _, user := range []string{"jason", "alice"} {
		req, _ := http.NewRequest("GET", gw.URL+"/books", nil)
		req.Host = "reviews:9080"
		req.Header.Set("End-User", user)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(user+":", resp.StatusCode, string(body))
	}
	// Output:
	// jason: 200 v2 got /books
	// alice: 200 v1 got /books
}
