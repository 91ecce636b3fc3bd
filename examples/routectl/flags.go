package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
	"github.com/meshroute/meshroute/route/routehttp"
	"github.com/meshroute/meshroute/route/routetest"
)

// stringList is a repeatable string flag (-f a -f b).
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ", ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// requestFlags are the flags decide and explain share: the configuration
// and one request, or one TCP or TLS connection (--protocol).
type requestFlags struct {
	files     stringList
	namespace string
	gateway   string
	sourceNS  string
	labels    string
	port      uint
	seed      uint64
	seedSet   bool
	headers   stringList
	istio     bool
	strict    bool
	protocol  string // http, tcp or tls; "" is http
	sni       string
	dest      string
}

// add registers the flags on fs.
func (f *requestFlags) add(fs *flag.FlagSet) {
	fs.Var(&f.files, "f", "configuration file or directory, - for standard input (repeatable)")
	fs.StringVar(&f.namespace, "namespace", "default", "namespace of objects whose metadata names none, and of the caller unless --source-namespace says")
	fs.StringVar(&f.gateway, "gateway", "", "decide as gateway NS/NAME receives the request (default: a sidecar, gateway \"mesh\")")
	fs.StringVar(&f.sourceNS, "source-namespace", "", "namespace of the calling workload (sourceNamespace, exportTo)")
	fs.StringVar(&f.labels, "source-labels", "", "labels of the calling workload, k=v,k=v (sourceLabels)")
	fs.UintVar(&f.port, "port", 0, "destination port (default: the URL's or --dest's port, else 80 for http, 443 for https and tls)")
	fs.Func("seed", "seed for weighted picks and fault and mirror sampling (default: random)", func(s string) error {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return fmt.Errorf("want a non-negative integer")
		}
		f.seed, f.seedSet = n, true
		return nil
	})
	fs.Var(&f.headers, "H", "request header 'Name: value' (repeatable)")
	fs.BoolVar(&f.istio, "istio", false, "today's Istio semantics instead of the seeds' (no default timeout, faults without percentage never fire)")
	fs.BoolVar(&f.strict, "strict-registry", false, "decide hosts outside the registry (no ServiceEntry, not a Kubernetes service name) as Istio: no cluster, 503")
	fs.StringVar(&f.protocol, "protocol", "http", "decide an http request (METHOD URL), or a tcp or tls connection (--dest, --sni; no arguments)")
	fs.StringVar(&f.sni, "sni", "", "TLS server name of a --protocol tls connection (sniHosts)")
	fs.StringVar(&f.dest, "dest", "", "ADDRESS:PORT a --protocol tcp or tls connection was opened to: an IP (destinationSubnets, ServiceEntry addresses) or the host name dialled")
}

// table loads and compiles the -f configuration.
func (f *requestFlags) table() (*route.Table, error) {
	if len(f.files) == 0 {
		return nil, errors.New("no configuration: give -f PATH (a file, a directory, or - for standard input)")
	}
	cfg, err := route.LoadPaths(f.files, route.WithStdin(stdin), route.WithDefaultNamespace(f.namespace))
	if err != nil {
		return nil, fmt.Errorf("%v (run \"routectl validate %s\" for every problem)", err, strings.Join(f.files, " "))
	}
	opts := []route.Option{route.WithNamespace(f.namespace)}
	if f.seedSet {
		opts = append(opts, route.WithRand(rand.NewPCG(f.seed, f.seed)))
	}
	if f.istio {
		opts = append(opts, route.IstioSemantics())
	}
	if f.strict {
		opts = append(opts, route.WithStrictRegistry(true))
	}
	tbl, err := route.Compile(cfg, opts...)
	if err != nil {
		return nil, fmt.Errorf("%v (run \"routectl validate %s\" for every problem)", err, strings.Join(f.files, " "))
	}
	return tbl, nil
}

// build builds the request view: an HTTP request from METHOD URL, or a
// TCP or TLS connection from --dest and --sni, as --protocol says.
func (f *requestFlags) build(args []string) (match.Request, error) {
	switch p := f.proto(); p {
	case protoHTTP:
		if f.sni != "" {
			return match.Request{}, fmt.Errorf("--sni %q: only with --protocol tls; an http request is decided on its URL's host (add --protocol tls to decide a TLS connection)", f.sni)
		}
		if f.dest != "" {
			return match.Request{}, fmt.Errorf("--dest %q: only with --protocol tcp or tls; an http request goes to its URL's host and port (--port overrides the port)", f.dest)
		}
		return f.request(args)
	case protoTCP, protoTLS:
		return f.connection(args)
	default:
		return match.Request{}, fmt.Errorf("--protocol %q: want http, tcp or tls", f.protocol)
	}
}

// request builds the request view from METHOD URL and the flags.
func (f *requestFlags) request(args []string) (match.Request, error) {
	if len(args) != 2 {
		return match.Request{}, fmt.Errorf("want METHOD URL after the flags (e.g. GET http://reviews:9080/reviews/0), got %d argument(s)", len(args))
	}
	method := strings.ToUpper(args[0])
	if strings.Contains(method, "/") {
		return match.Request{}, fmt.Errorf("%q is not a method: write METHOD URL, e.g. GET %s", args[0], args[0])
	}
	if f.gateway != "" && !strings.Contains(f.gateway, "/") {
		return match.Request{}, fmt.Errorf("--gateway %q: want NAMESPACE/NAME, e.g. istio-system/bookinfo-gateway", f.gateway)
	}
	if f.port > 65535 {
		return match.Request{}, fmt.Errorf("--port %d: want 1-65535", f.port)
	}
	labels, err := parseLabels(f.labels)
	if err != nil {
		return match.Request{}, err
	}
	r := routetest.Request{
		Method: method, URL: args[1], SourceLabels: labels,
		SourceNamespace: f.sourceNS, Gateway: f.gateway, Port: uint32(f.port),
	}
	if r.SourceNamespace == "" && r.Gateway == "" {
		r.SourceNamespace = f.namespace
	}
	req, err := r.MatchRequest()
	if err != nil {
		return match.Request{}, err
	}
	req.Header = http.Header{}
	for _, h := range f.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return match.Request{}, fmt.Errorf("-H %q: want 'Name: value'", h)
		}
		req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return req, nil
}

// parseLabels parses k=v,k=v.
func parseLabels(s string) (map[string]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for _, kv := range strings.Split(s, ",") {
		if k, _, ok := strings.Cut(kv, "="); !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("--source-labels %q: want k=v,k=v (e.g. app=reviews,version=v2)", s)
		}
	}
	return routehttp.ParseLabels(s), nil
}

// requestAndTable builds the request from args (METHOD URL) and the
// flags, or the connection from the flags alone (--protocol tcp or tls), then loads and compiles the -f configuration. On an error it
// prints it with a pointer to c's help and returns ok false with the exit
// status.
func (f *requestFlags) requestAndTable(c command, args []string, stderr io.Writer) (req match.Request, tbl *route.Table, code int, ok bool) {
	req, err := f.build(args)
	if err != nil {
		return match.Request{}, nil, usageError(stderr, c.name, err), false
	}
	tbl, err = f.table()
	if err != nil {
		return match.Request{}, nil, usageError(stderr, c.name, err), false
	}
	return req, tbl, exitOK, true
}

// writeJSON prints v as indented JSON and a newline, and returns the exit
// status: exitOK, or exitUsage when v cannot be encoded.
func writeJSON(stdout, stderr io.Writer, name string, v any) int {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "routectl %s: %v\n", name, err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "%s\n", b)
	return exitOK
}

// usageError prints err and a pointer to the command's help, and returns
// exitUsage.
func usageError(stderr io.Writer, name string, err error) int {
	fmt.Fprintf(stderr, "routectl %s: %v\n", name, err)
	fmt.Fprintf(stderr, "Run \"routectl help %s\" for usage.\n", name)
	return exitUsage
}
