package routehttp

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
)

// tableYAML routes every request for reviews to subset, and marks the
// response with x-table: name, so a response shows which table decided.
func tableYAML(name, subset string) string {
	return fmt.Sprintf(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - headers: {response: {set: {x-table: %s}}}
    route: [{destination: {host: reviews, subset: %s}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`, name, subset)
}

// badTableYAML is refused by validation (negative retry attempts), and
// would route to v3, which no backend serves.
const badTableYAML = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - retries: {attempts: -1}
    route: [{destination: {host: reviews, subset: v3}}]
`

func loadConfig(t testing.TB, yaml string) *route.Config {
	t.Helper()
	cfg, err := route.LoadBytes([]byte(yaml), "load.yaml")
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return cfg
}

// pickOnly hands the Transport the runtime's endpoint picking, circuit
// breaking and outlier detection but not its per-cluster connection
// pools, so a test can close every idle upstream connection before
// checking for leaked goroutines.
type pickOnly struct{ rt *policy.Runtime }

func (p pickOnly) Pick(t *policy.Target, r *match.Request, avoid []string) (policy.Lease, error) {
	return p.rt.Pick(t, r, avoid)
}
func (p pickOnly) AdmitRetry(t *policy.Target) (func(), bool) { return p.rt.AdmitRetry(t) }

// verifyNoLeaks checks, after every cleanup registered later has run
// (servers closed), that the test left no goroutine behind.
func verifyNoLeaks(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

// answerName makes a backend answer with its name.
func answerName(name string) func(int, http.ResponseWriter, *http.Request) {
	return func(_ int, w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, name) }
}

// TestLoadReloadsNeverLoseARequest sends requests from concurrent clients
// through the Middleware and through the Transport while 1,000 reloads
// alternate valid and invalid configurations. Table a routes to v1, table
// b to v2; the invalid one (v3) must never serve.
func TestLoadReloadsNeverLoseARequest(t *testing.T) {
	verifyNoLeaks(t)
	const reloads = 1000
	const clients = 4 // per adapter
	m := newMesh(t, answerName("v1"), answerName("v2"))
	tables := map[string]string{"a": "v1", "b": "v2"} // x-table -> subset
	cfgA, cfgB, bad := loadConfig(t, tableYAML("a", "v1")), loadConfig(t, tableYAML("b", "v2")), loadConfig(t, badTableYAML)
	store, err := route.NewStore(cfgA)
	if err != nil {
		t.Fatal(err)
	}

	upstream := &http.Transport{MaxIdleConnsPerHost: 2 * clients}
	defer upstream.CloseIdleConnections()
	transportClient := &http.Client{Transport: newTransport(store, pickOnly{m.rt}, newConfig(nil))}
	srv := httptest.NewServer(Middleware(store)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, _ := DecisionFrom(r.Context())
		_, _ = io.WriteString(w, d.Destination.Subset)
	})))
	defer srv.Close()
	defer srv.Client().CloseIdleConnections()
	transportClient.Transport.(*transport).base = upstream

	var sent, failed atomic.Int64
	fail := func(format string, args ...any) {
		if failed.Add(1) <= 5 {
			t.Errorf(format, args...)
		}
	}
	check := func(via string, resp *http.Response, err error) {
		sent.Add(1)
		if err != nil {
			fail("%s: %v", via, err)
			return
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		table := resp.Header.Get("X-Table")
		if err != nil || resp.StatusCode != 200 || tables[table] == "" || tables[table] != string(body) {
			fail("%s: %d x-table %q body %q (%v); want 200 from table a (v1) or b (v2)", via, resp.StatusCode, table, body, err)
		}
	}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, _ := http.NewRequest("GET", srv.URL+"/reviews", nil)
				req.Host = "reviews:9080"
				resp, err := srv.Client().Do(req)
				check("middleware", resp, err)
			}
		}()
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				resp, err := transportClient.Get("http://reviews:9080/reviews")
				check("transport", resp, err)
			}
		}()
	}

	start := time.Now()
	var refused int
	for i := 0; i < reloads; i++ {
		before := store.Table()
		switch {
		case i%2 == 1:
			if err := store.Update(bad); err == nil {
				t.Fatalf("reload %d: the invalid configuration was accepted", i)
			}
			if store.Table() != before {
				t.Fatalf("reload %d: a refused update replaced the table", i)
			}
			refused++
		case i%4 == 0:
			if err := store.Update(cfgA); err != nil {
				t.Fatalf("reload %d: %v", i, err)
			}
		default:
			if err := store.Update(cfgB); err != nil {
				t.Fatalf("reload %d: %v", i, err)
			}
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	wg.Wait()
	elapsed := time.Since(start)

	v1, v2 := m.v1.attempts.Load(), m.v2.attempts.Load()
	t.Logf("%d requests (%d via the transport reached v1 %d, v2 %d), %d reloads (%d refused), %d failed, %v",
		sent.Load(), v1+v2, v1, v2, reloads, refused, failed.Load(), elapsed)
	if failed.Load() != 0 {
		t.Errorf("%d of %d requests failed", failed.Load(), sent.Load())
	}
	if refused != reloads/2 {
		t.Errorf("%d invalid updates refused, want %d", refused, reloads/2)
	}
	if v1 == 0 || v2 == 0 {
		t.Errorf("v1 got %d and v2 %d requests; both tables should have served", v1, v2)
	}
	if sent.Load() < 2*clients*10 {
		t.Errorf("only %d requests were sent during the reloads", sent.Load())
	}
}
