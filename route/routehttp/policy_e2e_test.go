package routehttp

import (
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/subset"
)

// Circuit breaking and outlier detection come from the policy runtime;
// these tests pin that the Transport reports results to it and maps its
// refusals as Envoy does.

func TestEndToEndCircuitBreakerOverflow(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	entered := make(chan struct{})
	b := newBackend(t, func(n int, w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(entered) })
		<-release
	})
	reg := subset.NewRegistry()
	reg.SetService(subset.Service{Host: reviewsHost, Ports: []subset.ServicePort{{Number: 9080, Name: "http"}}, Endpoints: []subset.Endpoint{endpointOf(t, b, "v1")}})
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy:
    connectionPool: {http: {http2MaxRequests: 1, http1MaxPendingRequests: 1}}
`)
	client := &http.Client{Transport: NewTransport(tbl, policy.NewRuntime(reg))}
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
	reg := subset.NewRegistry()
	reg.SetService(subset.Service{
		Host:      reviewsHost,
		Ports:     []subset.ServicePort{{Number: 9080, Name: "http"}},
		Endpoints: []subset.Endpoint{endpointOf(t, bad, "v1"), endpointOf(t, good, "v1")},
	})
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 1m, maxEjectionPercent: 100}
`)
	client := &http.Client{Transport: NewTransport(tbl, policy.NewRuntime(reg))}
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
	reg := subset.NewRegistry()
	reg.SetService(subset.Service{Host: reviewsHost, Ports: []subset.ServicePort{{Number: 9080, Name: "http"}}, Endpoints: []subset.Endpoint{endpointOf(t, b, "v1")}})
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy:
    connectionPool: {http: {http2MaxRequests: 1}}
`)
	client := &http.Client{Transport: NewTransport(tbl, policy.NewRuntime(reg))}
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
