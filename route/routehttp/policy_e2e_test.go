package routehttp

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/subset"
)

// Circuit breaking and outlier detection come from the policy runtime;
// these tests pin that the Transport reports results to it and maps its
// refusals as Envoy does.

// reviewsClient is a client whose Transport routes to reviews (port 9080
// "http") with backends as its v1 endpoints, under a DestinationRule for
// reviews whose spec continues with policy (YAML indented under spec).
func reviewsClient(t testing.TB, policyYAML string, backends ...*backend) *http.Client {
	t.Helper()
	eps := make([]subset.Endpoint, len(backends))
	for i, b := range backends {
		eps[i] = endpointOf(t, b, "v1")
	}
	reg := subset.NewRegistry()
	reg.SetService(subset.Service{Host: reviewsHost, Ports: []subset.ServicePort{{Number: 9080, Name: "http"}}, Endpoints: eps})
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
`+strings.TrimPrefix(policyYAML, "\n"))
	return &http.Client{Transport: NewTransport(tbl, policy.NewRuntime(reg))}
}

func TestEndToEndCircuitBreakerOverflow(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	entered := make(chan struct{})
	b := newBackend(t, func(n int, w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(entered) })
		<-release
	})
	client := reviewsClient(t, `
  trafficPolicy:
    connectionPool: {http: {http2MaxRequests: 1, http1MaxPendingRequests: 1}}
`, b)
	first := make(chan int, 1)
	go func() {
		resp, err := client.Get("http://reviews:9080/")
		if err != nil {
			first <- 0
			return
		}
		drain(resp.Body)
		first <- resp.StatusCode
	}()
	<-entered
	resp, err := client.Get("http://reviews:9080/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	close(release)
	if resp.StatusCode != 503 || string(body) != BodyOverflow || resp.Header.Get("X-Envoy-Overloaded") != "true" {
		t.Errorf("second request got %d %q overloaded=%q, want 503 %q with x-envoy-overloaded: true", resp.StatusCode, body, resp.Header.Get("X-Envoy-Overloaded"), BodyOverflow)
	}
	if st := <-first; st != 200 {
		t.Errorf("first request got %d, want 200", st)
	}
}

func TestEndToEndOutlierDetectionEjectsFailingEndpoint(t *testing.T) {
	bad := newBackend(t, status(503))
	good := newBackend(t, nil)
	client := reviewsClient(t, `
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 1m, maxEjectionPercent: 100}
`, bad, good)
	for i := 0; i < 20; i++ {
		resp, err := client.Get("http://reviews:9080/")
		if err != nil {
			t.Fatal(err)
		}
		drain(resp.Body)
	}
	if n := bad.attempts.Load(); n > 2 {
		t.Errorf("failing endpoint got %d of 20 requests, want it ejected after its first 5xx", n)
	}
}

func TestEndToEndRequestStaysActiveUntilTheBodyIsDone(t *testing.T) {
	release := make(chan struct{})
	b := newBackend(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.WriteHeader(200)
			http.NewResponseController(w).Flush()
			<-release // the body is still streaming
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	client := reviewsClient(t, `
  trafficPolicy:
    connectionPool: {http: {http2MaxRequests: 1}}
`, b)
	streaming, err := client.Get("http://reviews:9080/")
	if err != nil {
		t.Fatal(err)
	}
	second, err := client.Get("http://reviews:9080/")
	if err != nil {
		t.Fatal(err)
	}
	drain(second.Body)
	close(release)
	drain(streaming.Body)
	third, err := client.Get("http://reviews:9080/")
	if err != nil {
		t.Fatal(err)
	}
	drain(third.Body)
	if second.StatusCode != 503 || third.StatusCode != 200 {
		t.Errorf("while the first body streams: %d, after it ends: %d; want 503 then 200", second.StatusCode, third.StatusCode)
	}
}
