package routehttp

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
	"github.com/meshroute/meshroute/subset"
)

// After policy.Runtime.Close the Transport sends nothing more: RoundTrip
// returns an error wrapping policy.ErrClosed, as it returns the context's
// error for a canceled request, rather than a 503 Envoy never sends for
// this, and never retries it.

// trackedBody is a request body that records being closed.
type trackedBody struct {
	io.Reader
	closed atomic.Bool
}

func (b *trackedBody) Close() error { b.closed.Store(true); return nil }

// refusingTransport fails every round trip with err and counts them.
type refusingTransport struct {
	err   error
	calls atomic.Int64
}

func (r *refusingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.calls.Add(1)
	if req.Body != nil {
		req.Body.Close()
	}
	return nil, r.err
}

func TestTransportAfterRuntimeClosed(t *testing.T) {
	type outcome struct {
		ErrClosed, Response, BodyClosed bool
		Picks, Sends                    int
	}
	tests := []struct {
		name    string
		pickErr error // the runtime's Pick error
		sendErr error // the cluster transport's error, when Pick succeeds
		want    outcome
	}{
		{"Pick refuses with ErrClosed: the request is not sent, not retried, and no 503 is made up",
			policy.ErrClosed, nil,
			outcome{ErrClosed: true, BodyClosed: true, Picks: 1}},
		{"the cluster's transport refuses with ErrClosed (picked before Close): not retried",
			nil, policy.ErrClosed,
			outcome{ErrClosed: true, BodyClosed: true, Picks: 1, Sends: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eps := newFakeEndpoints().add("a", "", "127.0.0.1:9")
			eps.err = tc.pickErr
			up := &refusingTransport{err: tc.sendErr}
			d := routed("a")
			d.Retry = route.Retry{Attempts: 3, On: route.Retry5xx | route.RetryReset | route.RetryConnectFailure}
			tr := testTransport(eps, decideAlways(d), WithUpstreamTransport(up))
			body := &trackedBody{Reader: strings.NewReader("payload")}
			req := mustRequest(t, "POST", "http://a/", "")
			req.Body, req.ContentLength = body, int64(len("payload"))
			resp, err := tr.RoundTrip(req)
			if resp != nil {
				resp.Body.Close()
			}
			got := outcome{errors.Is(err, policy.ErrClosed), resp != nil, body.closed.Load(), len(eps.avoided), int(up.calls.Load())}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if err != nil && !strings.Contains(err.Error(), "routehttp: request not sent") {
				t.Errorf("error %q does not say the request was not sent", err)
			}
		})
	}
}

// closableMesh is reviews with one loopback backend behind a real
// runtime, and a table that routes to it.
func closableMesh(t *testing.T) (*backend, *policy.Runtime, *route.Table) {
	t.Helper()
	b := newBackend(t, nil)
	reg := subset.NewRegistry()
	reg.SetService(subset.Service{Host: reviewsHost, Ports: []subset.ServicePort{{Number: 9080, Name: "http"}},
		Endpoints: []subset.Endpoint{endpointOf(t, b, "v1")}})
	tbl := compileYAML(t, `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
`)
	return b, policy.NewRuntime(reg), tbl
}

func TestEndToEndTransportAfterRuntimeClosed(t *testing.T) {
	b, rt, tbl := closableMesh(t)
	client := &http.Client{Transport: NewTransport(tbl, rt)}
	resp, err := client.Get("http://reviews:9080/")
	if err != nil {
		t.Fatalf("before Close: %v", err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != "ok" {
		t.Fatalf("before Close: %d %q, want 200 ok", resp.StatusCode, got)
	}
	rt.Close()
	resp, err = client.Get("http://reviews:9080/")
	if resp != nil {
		resp.Body.Close()
		t.Errorf("after Close: got a %d response, want none", resp.StatusCode)
	}
	if !errors.Is(err, policy.ErrClosed) {
		t.Errorf("after Close: error %v, want one wrapping policy.ErrClosed", err)
	}
	if n := b.attempts.Load(); n != 1 {
		t.Errorf("the backend got %d requests, want only the 1 from before Close", n)
	}
}

func TestGatewayAfterRuntimeClosed(t *testing.T) {
	b, rt, tbl := closableMesh(t)
	gw := NewGateway(tbl, rt, "mesh")
	serve := func() (int, string) {
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, httptest.NewRequest("GET", "http://reviews:9080/", nil))
		return w.Code, w.Body.String()
	}
	type reply struct {
		Status int
		Body   string
	}
	var got [2]reply
	got[0].Status, got[0].Body = serve()
	rt.Close()
	got[1].Status, got[1].Body = serve()
	want := [2]reply{{200, "ok"}, {http.StatusServiceUnavailable, BodyRuntimeClosed}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("gateway replies [before, after] Close (-want +got):\n%s", diff)
	}
	if n := b.attempts.Load(); n != 1 {
		t.Errorf("the backend got %d requests, want only the 1 from before Close", n)
	}
}
