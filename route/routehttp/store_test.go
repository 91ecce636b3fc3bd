package routehttp

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/meshroute/meshroute/fault"
	"github.com/meshroute/meshroute/route"
)

// A *route.Store is a TableSource: each request is decided on the table in
// force when it arrives, so a reload takes effect on the next request.
func TestMiddlewareFollowsStoreReloads(t *testing.T) {
	v1 := compileYAML(t, `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http: [{name: before, route: [{destination: {host: reviews}}]}]
`)
	v2 := compileYAML(t, `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http: [{name: after, directResponse: {status: 503, body: {string: maintenance}}}]
`)
	store, err := route.NewStore(&route.Config{})
	if err != nil {
		t.Fatal(err)
	}
	store.Swap(v1)
	h := Middleware(store)(&recordingHandler{})
	get := func() (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "http://reviews/", nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := get(); code != 200 || body != "handled" {
		t.Fatalf("before the reload: %d %q, want 200 handled", code, body)
	}
	store.Swap(v2)
	if code, body := get(); code != 503 || body != "maintenance" {
		t.Errorf("after the reload: %d %q, want 503 maintenance", code, body)
	}
}

func TestTransportFaultDelayEndsWithTheCaller(t *testing.T) {
	b := newBackend(t, nil)
	d := routed("a")
	d.Fault = (&fault.Spec{Delay: &fault.Delay{Duration: 5 * time.Second, Chance: fault.Million}}).Sample(0, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := testTransport(newFakeEndpoints().add("a", "", b.addr()), decideAlways(d)).RoundTrip(mustRequest(t, "GET", "http://a/", "").WithContext(ctx))
	if err == nil || time.Since(start) > time.Second || b.attempts.Load() != 0 {
		t.Errorf("err %v after %v with %d upstream attempts; want the caller's deadline error at once and no attempt", err, time.Since(start), b.attempts.Load())
	}
}
