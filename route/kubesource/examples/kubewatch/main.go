// Command kubewatch follows the Istio networking configuration of a
// Kubernetes cluster with meshroute and prints every change of the routing
// table, and where a few probe requests go after each change.
//
// It reads the cluster from ~/.kube/config (or $KUBECONFIG, or -kubeconfig)
// or, inside a pod, from the in-cluster service account:
//
//	kubewatch -namespaces shop,istio-system \
//		-probe http://reviews.shop.svc.cluster.local/ \
//		-probe http://ratings.shop.svc.cluster.local/api
//
// The service account needs list and watch on networking.istio.io
// virtualservices, destinationrules, serviceentries, gateways and
// workloadentries (and on endpointslices and pods with -endpoints, and
// create on events with -events).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"istio.io/client-go/pkg/clientset/versioned"
	istioscheme "istio.io/client-go/pkg/clientset/versioned/scheme"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/record"

	"github.com/meshroute/meshroute/route"
	"github.com/meshroute/meshroute/route/kubesource"
	"github.com/meshroute/meshroute/subset"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// config is what the command line asks for.
type config struct {
	kubeconfig, context string
	inCluster           bool
	namespaces          []string
	selector            string
	probes              []*url.URL
	sourceNamespace     string
	endpoints           bool
	events              bool
	debounce            time.Duration
	verbose             bool
}

const usageHead = `Usage: kubewatch [flags]

Follows VirtualServices, DestinationRules, ServiceEntries, Gateways and
WorkloadEntries (networking.istio.io/v1) in a cluster, compiles them with
meshroute as Envoy would apply them, and prints each change of the table
and the decision for every -probe request. Invalid objects are reported and
left out; the rest still applies. Stop with Ctrl-C.

Flags:
`

// parseFlags reads args; it returns flag.ErrHelp after printing help.
func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("kubewatch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageHead)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG or ~/.kube/config)")
	fs.StringVar(&c.context, "context", "", "kubeconfig context to use (default the current one)")
	fs.BoolVar(&c.inCluster, "in-cluster", false, "use the pod's service account instead of a kubeconfig")
	namespaces := fs.String("namespaces", "", "comma-separated namespaces to watch (default all)")
	fs.StringVar(&c.selector, "selector", "", "label selector the Istio objects must match, e.g. team=payments")
	fs.Func("probe", "a request URL to decide after every change, e.g. http://reviews.shop.svc.cluster.local/ (repeatable)",
		func(s string) error {
			u, err := url.Parse(s)
			if err != nil {
				return err
			}
			if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
				return fmt.Errorf("%q is not an absolute http or https URL", s)
			}
			c.probes = append(c.probes, u)
			return nil
		})
	fs.StringVar(&c.sourceNamespace, "source-namespace", "default", "namespace the probe requests come from")
	fs.BoolVar(&c.endpoints, "endpoints", false, "also follow EndpointSlices and pods, and print endpoint counts")
	fs.BoolVar(&c.events, "events", false, "record a Warning event on each invalid object (needs create on events)")
	fs.DurationVar(&c.debounce, "debounce", kubesource.DefaultDebounce, "quiet period before recompiling after a change")
	fs.BoolVar(&c.verbose, "v", false, "log every applied change and informer detail")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q; see -h", fs.Args())
	}
	for _, ns := range strings.Split(*namespaces, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			c.namespaces = append(c.namespaces, ns)
		}
	}
	if c.debounce < 0 {
		return nil, errors.New("-debounce must not be negative")
	}
	return c, nil
}

// restConfig finds the cluster: in-cluster when asked (or when no
// kubeconfig exists inside a pod), else the kubeconfig.
func restConfig(c *config) (*rest.Config, error) {
	if c.inCluster {
		return rest.InClusterConfig()
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if c.kubeconfig != "" {
		rules.ExplicitPath = c.kubeconfig
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: c.context}).ClientConfig()
	if err != nil && c.kubeconfig == "" && os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		return rest.InClusterConfig()
	}
	return cfg, err
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "kubewatch:", err)
		return 2
	}
	rc, err := restConfig(c)
	if err != nil {
		fmt.Fprintln(stderr, "kubewatch: finding the cluster:", err)
		return 1
	}
	istio, err := versioned.NewForConfig(rc)
	if err != nil {
		fmt.Fprintln(stderr, "kubewatch:", err)
		return 1
	}
	level := slog.LevelWarn
	if c.verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	store, err := route.NewStore(&route.Config{}, route.WithNamespace(c.sourceNamespace))
	if err != nil {
		fmt.Fprintln(stderr, "kubewatch:", err)
		return 1
	}
	p := &printer{out: stdout, probes: c.probes, sourceNamespace: c.sourceNamespace}
	opts := []kubesource.Option{
		kubesource.WithNamespaces(c.namespaces...),
		kubesource.WithLabelSelector(c.selector),
		kubesource.WithDebounce(c.debounce, max(c.debounce, kubesource.DefaultMaxDelay)),
		kubesource.WithLogger(logger),
		kubesource.WithOnApply(p.change),
	}
	var kube *kubernetes.Clientset
	if c.endpoints || c.events {
		if kube, err = kubernetes.NewForConfig(rc); err != nil {
			fmt.Fprintln(stderr, "kubewatch:", err)
			return 1
		}
	}
	if c.events {
		broadcaster := record.NewBroadcaster(record.WithContext(ctx))
		defer broadcaster.Shutdown()
		broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: kube.CoreV1().Events("")})
		opts = append(opts, kubesource.WithEventRecorder(
			broadcaster.NewRecorder(istioscheme.Scheme, corev1.EventSource{Component: "kubewatch"})))
	}
	src, err := kubesource.New(istio, store, opts...)
	if err != nil {
		fmt.Fprintln(stderr, "kubewatch:", err)
		return 2
	}
	errs := make(chan error, 2)
	go func() { errs <- src.Run(ctx) }()
	running := 1
	if c.endpoints {
		p.registry = subset.NewRegistry()
		ew, err := kubesource.NewEndpointWatcher(kube, p.registry, opts...)
		if err != nil {
			fmt.Fprintln(stderr, "kubewatch:", err)
			return 2
		}
		go func() { errs <- ew.Run(ctx) }()
		running++
	}
	fmt.Fprintln(stdout, "kubewatch: watching", rc.Host, "namespaces:", orAll(c.namespaces))
	code := 0
	for range running {
		if err := <-errs; err != nil {
			fmt.Fprintln(stderr, "kubewatch:", err)
			code = 1
		}
	}
	return code
}

func orAll(ns []string) string {
	if len(ns) == 0 {
		return "all"
	}
	return strings.Join(ns, ",")
}
