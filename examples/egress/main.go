// Command egress shows how meshroute routes egress traffic to external
// hosts declared by ServiceEntries, as an Istio sidecar's outbound
// listeners do, using only servers it starts on 127.0.0.1:
//
//	go run ./examples/egress [-explain]
//
// The configuration (egress.yaml, embedded) declares api.example.test
// with ports 80 (HTTP) and 443 (HTTPS), and api-mirror.example.test with
// port 443 (HTTPS), both with STATIC endpoints on loopback; a
// VirtualService with an http rule (2s timeout, header x-egress set) and a
// tls rule sending SNI api.example.test on port 443 to the mirror; and
// DestinationRules verifying the loopback servers' test certificate.
//
// Three requests go through routehttp.NewTransport, each printed on one
// line with its decision (match.FromHTTP and Table.Decide) and, when sent,
// the backend that answered and what it saw:
//
//   - http://api.example.test/hello is on a declared HTTP port: the http
//     rule applies (timeout, header set) and the port-80 backend answers.
//   - https://api.example.test/hello is on a port declared HTTPS: no http
//     rule applies; it is decided as the TLS connection it is, by SNI, so
//     the tls rule sends it to the mirror, keeping its own Host.
//   - http://api.example.test:8080/hello is on a port the ServiceEntry
//     does not declare: the host is unknown there and the request passes
//     through to its own authority. It is only decided, not sent, as
//     passthrough would dial the real name.
//
// With -explain, Table.Explain's account of each decision follows its line.
package main

import (
	"context"
	_ "embed"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
	"github.com/meshroute/meshroute/route/routehttp"
	"github.com/meshroute/meshroute/subset"
)

//go:embed egress.yaml
var configYAML string

// probe is one request of the demonstration; send is false for requests
// that would leave loopback.
type probe struct {
	url  string
	send bool
}

var probes = []probe{
	{"http://api.example.test/hello", true},
	{"https://api.example.test/hello", true},
	{"http://api.example.test:8080/hello", false},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "egress:", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(1)
	}
}

// run starts the loopback backends, loads the configuration pointing at
// them, and sends or decides each probe, writing one line per probe.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("egress", flag.ContinueOnError)
	fs.SetOutput(stdout)
	explain := fs.Bool("explain", false, "print Table.Explain's account of each decision")
	if err := fs.Parse(args); err != nil {
		return err
	}

	apiHTTP := httptest.NewServer(backend("api-http"))
	defer apiHTTP.Close()
	apiHTTPS := httptest.NewTLSServer(backend("api-https"))
	defer apiHTTPS.Close()
	mirror := httptest.NewTLSServer(backend("api-mirror"))
	defer mirror.Close()

	dir, err := os.MkdirTemp("", "meshroute-egress-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	caFile := filepath.Join(dir, "ca.pem")
	var ca []byte
	for _, s := range []*httptest.Server{apiHTTPS, mirror} {
		ca = append(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})...)
	}
	if err := os.WriteFile(caFile, ca, 0o600); err != nil {
		return err
	}
	vars := map[string]string{
		"API_HTTP_PORT":     port(apiHTTP),
		"API_HTTPS_PORT":    port(apiHTTPS),
		"MIRROR_HTTPS_PORT": port(mirror),
		"CA_FILE":           caFile,
	}
	yaml := os.Expand(configYAML, func(k string) string { return vars[k] })

	cfg, err := route.LoadBytes([]byte(yaml), "egress.yaml")
	if err != nil {
		return err
	}
	table, err := route.Compile(cfg)
	if err != nil {
		return err
	}
	for _, w := range table.Warnings() {
		fmt.Fprintln(stdout, w.String())
	}
	// The endpoints come from the ServiceEntries themselves; they are
	// STATIC loopback IPs, so no resolver is needed (nil: no DNS at all).
	reg := subset.NewRegistry()
	var entries []subset.ServiceEntry
	for _, se := range cfg.ServiceEntries {
		entries = append(entries, subset.ServiceEntry{Namespace: se.Namespace, Spec: se.Spec})
	}
	if err := reg.LoadServiceEntries(ctx, entries, nil, nil); err != nil {
		return fmt.Errorf("service entries: %w", err)
	}
	rt := policy.NewRuntime(reg)
	defer rt.Close()
	client := &http.Client{Transport: routehttp.NewTransport(table, rt), Timeout: 10 * time.Second}

	for _, p := range probes {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
		if err != nil {
			return err
		}
		view := match.FromHTTP(req)
		d := table.Decide(&view)
		ex := table.Explain(&view)
		line := fmt.Sprintf("%-40s → %s", "GET "+p.url, summary(&d, ruleKind(ex)))
		switch {
		case !p.send:
			line += " | not sent: it would leave loopback"
		case d.Passthrough:
			return fmt.Errorf("%s: decided as passthrough, refusing to dial %s", p.url, d.Authority)
		default:
			answer, err := send(client, req)
			if err != nil {
				return err
			}
			line += " | " + answer
		}
		fmt.Fprintln(stdout, line)
		if *explain {
			fmt.Fprintln(stdout, indent(ex.String()))
		}
	}
	return nil
}

// backend answers with its name and what it saw of the request.
func backend(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sni := "-"
		if r.TLS != nil {
			sni = r.TLS.ServerName
		}
		fmt.Fprintf(w, "answered by %s, saw Host=%s x-egress=%q tls-sni=%s",
			name, r.Host, r.Header.Get("X-Egress"), sni)
	}
}

// send sends req through client and returns the response's status and body.
func send(client *http.Client, req *http.Request) (string, error) {
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body))), nil
}

// summary is a decision in one line: action, deciding VirtualService
// and rule (of kind "http" or "tls"), destination, and timeout.
func summary(d *route.Decision, kind string) string {
	var b strings.Builder
	b.WriteString(d.Action.String())
	switch {
	case d.Passthrough:
		b.WriteString(" passthrough")
	case d.DefaultRoute:
		b.WriteString(" default-route")
	case d.VirtualService.Name != "":
		fmt.Fprintf(&b, " by %s %s rule %d", d.VirtualService, kind, d.Rule.Index)
		if d.Rule.Name != "" {
			fmt.Fprintf(&b, " (%s)", d.Rule.Name)
		}
	}
	if d.Forwarded() {
		fmt.Fprintf(&b, " to %s:%d", d.Destination.Host, d.Destination.Port)
	} else {
		fmt.Fprintf(&b, " %d %s", d.Status, d.Reason)
	}
	timeout := "none"
	if d.Timeout > 0 {
		timeout = d.Timeout.String()
	}
	b.WriteString(", timeout " + timeout)
	return b.String()
}

func port(s *httptest.Server) string {
	_, p, _ := net.SplitHostPort(s.Listener.Addr().String())
	return p
}

// ruleKind is the kind of the rule that decided, as Explain traced it:
// "tls" or "tcp" for a connection's rule, "http" for a request's.
func ruleKind(ex *route.Explanation) string {
	for _, r := range ex.Rules {
		if r.Matched && r.Kind != "" {
			return r.Kind
		}
	}
	return "http"
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
