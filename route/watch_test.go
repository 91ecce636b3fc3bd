package route_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
)

const watchV1 = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: %s}
`

func writeVS(t *testing.T, dir, subset string) {
	t.Helper()
	body := []byte(replaceOnce(watchV1, "%s", subset))
	if err := os.WriteFile(filepath.Join(dir, "reviews.yaml"), body, 0o644); err != nil {
		t.Fatal(err)
	}
}

func replaceOnce(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	return s
}

func subsetNow(s *route.Store) string {
	req := match.Request{Method: "GET", Scheme: "http", Authority: "reviews", Path: "/", Gateway: "mesh"}
	return s.Decide(&req).Destination.Subset
}

// A change on disk is reloaded; a broken change is refused and the last good
// table keeps serving; each outcome reaches the callback.
func TestWatchReloadsAndKeepsLastGoodTable(t *testing.T) {
	dir := t.TempDir()
	writeVS(t, dir, "v1")
	cfg, err := route.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	store, err := route.NewStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan route.ReloadResult, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- store.Watch(ctx, dir,
			route.WithDebounce(20*time.Millisecond),
			route.WithOnReload(func(r route.ReloadResult) { results <- r }),
			route.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	}()
	defer func() {
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("Watch returned %v, want context.Canceled", err)
		}
	}()
	time.Sleep(50 * time.Millisecond) // let the watcher start

	next := func() route.ReloadResult {
		t.Helper()
		select {
		case r := <-results:
			return r
		case <-time.After(5 * time.Second):
			t.Fatal("no reload within 5s")
		}
		return route.ReloadResult{}
	}

	writeVS(t, dir, "v2")
	if r := next(); r.Err != nil || r.Objects != 1 {
		t.Fatalf("reload after valid change: %+v", r)
	}
	if got := subsetNow(store); got != "v2" {
		t.Fatalf("after reload subset = %q, want v2", got)
	}

	if err := os.WriteFile(filepath.Join(dir, "reviews.yaml"), []byte("spec: [unclosed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := next(); r.Err == nil {
		t.Fatalf("reload of broken YAML reported success: %+v", r)
	}
	if got := subsetNow(store); got != "v2" {
		t.Fatalf("after refused reload subset = %q, want the last good v2", got)
	}
}

// Update refuses an invalid configuration and keeps the table in force.
func TestStoreUpdateKeepsLastGoodTable(t *testing.T) {
	good, err := route.LoadBytes([]byte(replaceOnce(watchV1, "%s", "v1")), "good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	store, err := route.NewStore(good)
	if err != nil {
		t.Fatal(err)
	}
	before := store.Table()
	bad, err := route.LoadBytes([]byte(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
      weight: -5
`), "bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Update(bad); err == nil {
		t.Fatal("Update accepted a negative weight")
	}
	if store.Table() != before {
		t.Fatal("a refused Update replaced the table in force")
	}
	if got := subsetNow(store); got != "v1" {
		t.Fatalf("subset = %q, want v1", got)
	}
}
