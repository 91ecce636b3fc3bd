// Command gateway serves Istio traffic-management configuration as an
// HTTP gateway in one process, without Envoy:
//
//	go run ./examples/gateway -f PATH [-f PATH…] [-listen ADDR] [-tls-listen ADDR] [-gateway NS/NAME|mesh]
//
// With -gateway NS/NAME it is that Istio Gateway: -listen serves its plain
// HTTP servers and -tls-listen its HTTPS servers (certificates from the
// Gateway's serverCertificate/privateKey/caCertificates files). With mesh
// (the default) it routes by the Host header as a sidecar does for
// outbound traffic. Upstream addresses come from ServiceEntry endpoints,
// with their labels so DestinationRule subsets work, or else from the
// destination's host name and port.
//
// It prints "listening on ADDR" for each listener once it accepts
// connections, and on SIGINT or SIGTERM stops accepting and drains the
// requests in flight before exiting.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
	"github.com/meshroute/meshroute/route/routehttp"
	"github.com/meshroute/meshroute/subset"
)

// drainTimeout bounds how long shutdown waits for requests in flight.
const drainTimeout = 30 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

// files collects repeated -f flags.
type files []string

func (f *files) String() string     { return strings.Join(*f, ",") }
func (f *files) Set(v string) error { *f = append(*f, v); return nil }

// run parses args, serves until ctx ends, then drains and returns.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var paths files
	fs.Var(&paths, "f", "configuration file or directory (YAML/JSON; repeatable; - for standard input)")
	listen := fs.String("listen", "127.0.0.1:8080", "address for plain HTTP")
	tlsListen := fs.String("tls-listen", "", "address for HTTPS (the Gateway's HTTPS servers)")
	gwName := fs.String("gateway", "mesh", `gateway to act as, "namespace/name", or "mesh" to route by Host as a sidecar`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(paths) == 0 {
		return errors.New("no configuration: give at least one -f PATH")
	}
	if *gwName != "mesh" && !strings.Contains(*gwName, "/") {
		return fmt.Errorf("-gateway %q: want namespace/name or mesh", *gwName)
	}

	cfg, err := route.LoadPaths(paths)
	if err != nil {
		return err
	}
	tbl, err := route.Compile(cfg)
	if err != nil {
		return err
	}
	for _, w := range tbl.Warnings() {
		fmt.Fprintln(stdout, w.String())
	}
	reg, err := registryFrom(ctx, cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	var rawTLS net.Listener
	if *tlsListen != "" {
		if rawTLS, err = net.Listen("tcp", *tlsListen); err != nil {
			ln.Close()
			return err
		}
	}
	gw := routehttp.NewGateway(tbl, policy.NewRuntime(reg), *gwName, gatewayOptions(rawTLS)...)
	var tlsLn net.Listener
	if rawTLS != nil {
		tlsCfg, err := gw.TLSConfig()
		if err != nil {
			ln.Close()
			rawTLS.Close()
			return err
		}
		tlsLn = tls.NewListener(rawTLS, tlsCfg)
	}

	var servers []*http.Server
	errc := make(chan error, 2)
	serve := func(ln net.Listener) {
		srv := &http.Server{Handler: gw, ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, srv)
		fmt.Fprintln(stdout, "listening on", ln.Addr().String())
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	serve(ln)
	if tlsLn != nil {
		serve(tlsLn)
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	drainCtx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	for _, srv := range servers {
		if err := srv.Shutdown(drainCtx); err != nil && serveErr == nil {
			serveErr = fmt.Errorf("draining: %w", err)
		}
	}
	return serveErr
}

// gatewayOptions points httpsRedirect at the HTTPS listener's port when it
// is not 443.
func gatewayOptions(tlsLn net.Listener) []routehttp.Option {
	if tlsLn == nil {
		return nil
	}
	if _, port, err := net.SplitHostPort(tlsLn.Addr().String()); err == nil && port != "443" {
		return []routehttp.Option{routehttp.WithHTTPSRedirectPort(port)}
	}
	return nil
}

// registryFrom builds the endpoint registry from the ServiceEntries and
// WorkloadEntries of cfg. Hosts without entries are dialled by name.
func registryFrom(ctx context.Context, cfg *route.Config) (*subset.Registry, error) {
	reg := subset.NewRegistry()
	var entries []subset.ServiceEntry
	for _, se := range cfg.ServiceEntries {
		entries = append(entries, subset.ServiceEntry{Namespace: se.Namespace, Spec: se.Spec})
	}
	var workloads []subset.WorkloadEntry
	for _, we := range cfg.WorkloadEntries {
		workloads = append(workloads, subset.WorkloadEntry{Namespace: we.Namespace, Spec: we.Spec})
	}
	if len(entries) == 0 {
		return reg, nil
	}
	if err := reg.LoadServiceEntries(ctx, entries, workloads, net.DefaultResolver); err != nil {
		return nil, fmt.Errorf("service entries: %w", err)
	}
	return reg, nil
}
