package routehttp

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync/atomic"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
)

// Gateway is an ingress gateway in a Go process: an http.Handler that
// decides on each request as the Istio Gateway it is named after (or as
// the mesh sidecar, for "mesh"), applies the decision's local parts
// (faults, CORS, redirects, direct responses) and proxies routed requests
// with an httputil.ReverseProxy over the Transport (rewrite, header
// operations, timeout, retries, mirrors, endpoint picking).
//
// The Gateway object, looked up by name in the table's configuration,
// decides which hosts each server accepts: a plain-HTTP request is served
// by an HTTP server whose hosts match its Host header, a TLS request by an
// HTTPS server; a server with tls.httpsRedirect answers 301 to the https
// URL. TLSConfig gives the *tls.Config for its HTTPS servers.
type Gateway struct {
	src   route.TableSource
	name  string
	cfg   config
	mw    *middleware
	state atomic.Pointer[gatewayState]
}

// NewGateway returns the gateway gw ("namespace/name" of a Gateway in
// src's configuration, or "mesh" to route by Host as a sidecar does for
// outbound traffic) forwarding through rt.
func NewGateway(src route.TableSource, rt *policy.Runtime, gw string, opts ...Option) *Gateway {
	return newGateway(src, rt, gw, newConfig(opts))
}

func newGateway(src route.TableSource, eps endpoints, gw string, c config) *Gateway {
	if gw == "" {
		gw = match.MeshGateway
	}
	c.gateway = gw
	g := &Gateway{src: src, name: gw, cfg: c}
	tr := newTransport(src, eps, c)
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = pr.In.Host // the Transport dials the picked endpoint
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
			delete(pr.Out.Header, "X-Forwarded-Host") // Envoy does not add it
		},
		Transport:    tr,
		ErrorHandler: proxyError,
	}
	g.mw = &middleware{src: src, cfg: c, next: proxy, upstream: true}
	return g
}

// proxyError answers a request the Transport could not complete with a
// response: the caller went away, a failure was not retried because its
// body could not be replayed, or the policy runtime was closed (503
// BodyRuntimeClosed).
func proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the client is gone; nobody reads the answer
	}
	if errors.Is(err, policy.ErrClosed) {
		writeLocal(w, http.StatusServiceUnavailable, BodyRuntimeClosed)
		return
	}
	var nr *NotRetriedError
	if errors.As(err, &nr) {
		writeLocal(w, http.StatusServiceUnavailable, nr.Failure)
		return
	}
	if errors.Is(err, context.DeadlineExceeded) {
		writeLocal(w, http.StatusGatewayTimeout, BodyUpstreamTimeout)
		return
	}
	writeLocal(w, http.StatusBadGateway, BodyConnectionReset)
}

// ServeHTTP routes one request through the gateway.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tbl := g.src.Table()
	var port uint32
	if g.name != match.MeshGateway {
		st := g.stateFor(tbl)
		if st.defined {
			srv := st.serverFor(r.TLS != nil, hostOnly(r.Host))
			if srv == nil {
				writeLocal(w, http.StatusNotFound, "") // no server accepts the host
				return
			}
			if srv.httpsRedirect && r.TLS == nil {
				w.Header()["Location"] = []string{"https://" + g.redirectAuthority(r.Host) + r.URL.RequestURI()}
				writeLocal(w, http.StatusMovedPermanently, "")
				return
			}
			port = srv.port
		}
	}
	ex := getExchange()
	g.cfg.viewInto(&ex.view, r)
	if port != 0 {
		ex.view.Port = port
	}
	g.cfg.decideInto(&ex.ho.ctx.d, tbl, &ex.view)
	g.mw.serve(w, r, ex)
	putExchange(ex)
}

// redirectAuthority is the authority of an httpsRedirect Location: the
// request's own (Envoy's behaviour), or its host with the configured
// HTTPS port.
func (g *Gateway) redirectAuthority(authority string) string {
	if g.cfg.httpsPort == "" {
		return authority
	}
	h := hostOnly(authority)
	if g.cfg.httpsPort == "443" {
		return h
	}
	return net.JoinHostPort(h, g.cfg.httpsPort)
}

// gatewayState is the compiled form of the Gateway object of one table.
type gatewayState struct {
	table   *route.Table
	defined bool // the configuration defines the gateway
	obj     *route.Gateway
	servers []gatewayServer
}

// gatewayServer is one server of a Gateway.
type gatewayServer struct {
	port          uint32
	name          string
	https         bool // terminates TLS and routes HTTP
	httpsRedirect bool
	hosts         []string // lower-case dnsName parts, namespace prefix dropped
	tls           *networking.ServerTLSSettings
}

// stateFor returns the compiled Gateway of tbl, compiling it once per
// table.
func (g *Gateway) stateFor(tbl *route.Table) *gatewayState {
	if st := g.state.Load(); st != nil && st.table == tbl {
		return st
	}
	st := compileGateway(tbl, g.name)
	g.state.Store(st)
	return st
}

func compileGateway(tbl *route.Table, name string) *gatewayState {
	st := &gatewayState{table: tbl}
	ns, n, _ := strings.Cut(name, "/")
	if tbl == nil || tbl.Config() == nil {
		return st
	}
	for _, gw := range tbl.Config().Gateways {
		if gw.Name != n || gw.Namespace != ns {
			continue
		}
		st.defined, st.obj = true, gw
		for _, s := range gw.Spec.GetServers() {
			srv := gatewayServer{port: s.GetPort().GetNumber(), name: s.GetPort().GetName(), tls: s.GetTls()}
			switch strings.ToUpper(s.GetPort().GetProtocol()) {
			case "HTTP", "HTTP2", "GRPC", "GRPC-WEB":
				srv.httpsRedirect = s.GetTls().GetHttpsRedirect()
			case "HTTPS":
				srv.https = true
			default:
				continue // TCP, TLS passthrough and others carry no HTTP routes
			}
			for _, h := range s.GetHosts() {
				if _, dns, ok := strings.Cut(h, "/"); ok {
					h = dns
				}
				srv.hosts = append(srv.hosts, strings.ToLower(h))
			}
			st.servers = append(st.servers, srv)
		}
		break
	}
	return st
}

// serverFor returns the first server of the right kind (HTTPS for TLS
// requests, HTTP otherwise) whose hosts accept host, or nil.
func (st *gatewayState) serverFor(tls bool, host string) *gatewayServer {
	for i := range st.servers {
		s := &st.servers[i]
		if s.https != tls {
			continue
		}
		for _, h := range s.hosts {
			if hostAccepts(h, host) {
				return s
			}
		}
	}
	return nil
}

// hostAccepts reports whether a server host ("*", "*.example.com" or a
// name) accepts the request host (lower-cased, without port). A wildcard
// does not cover its own parent: "*.example.com" rejects "example.com".
func hostAccepts(server, host string) bool {
	switch {
	case server == "*":
		return true
	case strings.HasPrefix(server, "*."):
		return len(host) > len(server)-1 && strings.HasSuffix(host, server[1:])
	}
	return server == host
}

// hostOnly returns the lower-cased host of an authority, without port.
func hostOnly(authority string) string {
	h := authority
	if host, _, err := net.SplitHostPort(authority); err == nil {
		h = host
	}
	return strings.ToLower(strings.TrimSuffix(h, "."))
}
