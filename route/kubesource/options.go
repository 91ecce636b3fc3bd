package kubesource

import (
	"log/slog"
	"time"

	"k8s.io/client-go/tools/record"
)

// Default timings, close to istiod's own debouncing.
const (
	// DefaultDebounce is how long the Source waits for configuration to be
	// quiet before rebuilding.
	DefaultDebounce = 100 * time.Millisecond
	// DefaultMaxDelay bounds how long a steady stream of changes can
	// postpone a rebuild.
	DefaultMaxDelay = time.Second
)

// Option configures a Source or an EndpointWatcher.
type Option func(*options)

type options struct {
	namespaces    []string
	labelSelector string
	debounce      time.Duration
	maxDelay      time.Duration
	resync        time.Duration
	logger        *slog.Logger
	onApply       func(Change)
	domain        string
	recorder      record.EventRecorder
}

func defaultOptions() options {
	return options{
		debounce: DefaultDebounce,
		maxDelay: DefaultMaxDelay,
		logger:   slog.Default(),
		domain:   "cluster.local",
	}
}

// WithNamespaces limits the watch to the given namespaces (one set of
// informers each). Without it, with no names, or with "" among them, every
// namespace is watched, which needs cluster-wide list and watch permission.
func WithNamespaces(namespaces ...string) Option {
	return func(o *options) { o.namespaces = append([]string(nil), namespaces...) }
}

// WithLabelSelector watches only objects matching the Kubernetes label
// selector, e.g. "app=shop,tier!=canary". An invalid selector makes New
// fail.
func WithLabelSelector(selector string) Option {
	return func(o *options) { o.labelSelector = selector }
}

// WithDebounce sets the quiet period after a change before rebuilding
// (default DefaultDebounce) and the longest a stream of changes may delay a
// rebuild (default DefaultMaxDelay). A zero quiet period rebuilds after
// every change.
func WithDebounce(quiet, maxDelay time.Duration) Option {
	return func(o *options) { o.debounce, o.maxDelay = quiet, maxDelay }
}

// WithResync sets the informers' resync period (default 0: no periodic
// resync). Resyncs never cause recompilation.
func WithResync(d time.Duration) Option { return func(o *options) { o.resync = d } }

// WithLogger sets where skipped objects, applied changes and failures are
// logged (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithOnApply registers a function called after each rebuild that changed
// the table in force (and after a rebuild that failed), from the Source's
// own goroutine. It must not block for long.
func WithOnApply(f func(Change)) Option { return func(o *options) { o.onApply = f } }

// WithClusterDomain sets the cluster DNS domain used to name services found
// through EndpointSlices, "name.namespace.svc.<domain>" (default
// "cluster.local"). It matters only to EndpointWatcher.
func WithClusterDomain(domain string) Option { return func(o *options) { o.domain = domain } }

// EventReasonInvalid is the reason of the Warning events a Source records
// on objects it leaves out (see WithEventRecorder).
const EventReasonInvalid = "InvalidConfiguration"

// WithEventRecorder makes the Source record a Kubernetes Warning event
// (reason EventReasonInvalid, the problems as message) on each object it
// leaves out as invalid, once per resource version, so "kubectl describe"
// shows why meshroute ignores it. The recorder's scheme must know the
// networking.istio.io types (istio.io/client-go/pkg/clientset/versioned/scheme).
func WithEventRecorder(r record.EventRecorder) Option { return func(o *options) { o.recorder = r } }
