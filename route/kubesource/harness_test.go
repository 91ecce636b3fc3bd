package kubesource

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"go.uber.org/goleak"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/watch"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2"
)

func TestMain(m *testing.M) {
	// The fake clientsets cannot stream a watch-list (initial events ended
	// by a bookmark), so the reflectors must list and then watch, as they
	// do against API servers without the feature.
	os.Setenv("KUBE_FEATURE_WatchListClient", "false")
	klog.SetLogger(logr.Discard())
	goleak.VerifyTestMain(m,
		// klog starts its flush daemon when it is first imported.
		goleak.IgnoreTopFunction("k8s.io/klog/v2.(*flushDaemon).run.func1"),
	)
}

// testTimeout bounds every wait in these tests.
const testTimeout = 10 * time.Second

// fakeServer is what the istio and Kubernetes fake clientsets share.
type fakeServer interface {
	PrependWatchReactor(resource string, reaction k8stesting.WatchReactionFunc)
	Tracker() k8stesting.ObjectTracker
}

// serveWatches makes a fake clientset's watches behave as the API
// server's: they honour the label selector, and each is reported on the
// returned channel (by resource name) once it is established, so a test can
// wait for every informer to be watching before it changes anything — the
// fake cannot replay events made between an informer's list and its watch.
func serveWatches(cs fakeServer) <-chan string {
	started := make(chan string, 100)
	cs.PrependWatchReactor("*", func(a k8stesting.Action) (bool, watch.Interface, error) {
		gvr, ns := a.GetResource(), a.GetNamespace()
		w, err := cs.Tracker().Watch(gvr, ns)
		if err != nil {
			return true, nil, err
		}
		if wa, ok := a.(k8stesting.WatchActionImpl); ok && wa.WatchRestrictions.Labels != nil && !wa.WatchRestrictions.Labels.Empty() {
			sel := wa.WatchRestrictions.Labels
			w = watch.Filter(w, func(e watch.Event) (watch.Event, bool) {
				m, err := meta.Accessor(e.Object)
				return e, err == nil && sel.Matches(labels.Set(m.GetLabels()))
			})
		}
		started <- gvr.Resource
		return true, w, nil
	})
	return started
}

// waitWatches waits until n watches have started.
func waitWatches(t *testing.T, started <-chan string, n int) {
	t.Helper()
	deadline := time.After(testTimeout)
	for range n {
		select {
		case <-started:
		case <-deadline:
			t.Fatalf("informers did not start watching within %v", testTimeout)
		}
	}
}

// runInBackground runs run(ctx) and, at cleanup, cancels it and waits for
// it to return.
func runInBackground(t *testing.T, run func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v after cancel, want nil", err)
			}
		case <-time.After(testTimeout):
			t.Errorf("Run did not return within %v of cancel", testTimeout)
		}
	})
}

// waitClosed waits for ch to be closed.
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(testTimeout):
		t.Fatalf("%s did not happen within %v", what, testTimeout)
	}
}

// eventually polls cond until it holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true within %v", what, testTimeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// logBuffer is a concurrency-safe log sink.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
