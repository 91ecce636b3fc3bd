package policy

import (
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	networking "istio.io/api/networking/v1alpha3"
)

// Transport returns the http.RoundTripper for connections to t's cluster,
// configured from its connection-pool and TLS settings (see NewTransport).
// It is built once per cluster and policy. When the policy cannot be
// carried out (an ISTIO_MUTUAL tls block, an unreadable certificate) every
// round trip fails with that error; TransportFor returns it directly.
// Once the runtime is closed, round trips through it fail with ErrClosed,
// also through a RoundTripper taken before Close (see Runtime.Close).
func (rt *Runtime) Transport(t *Target) http.RoundTripper {
	tr, err := rt.TransportFor(t)
	if err != nil {
		return errRoundTripper{err}
	}
	return tr
}

// TransportFor is Transport returning the configuration error, if any.
func (rt *Runtime) TransportFor(t *Target) (http.RoundTripper, error) {
	if t == nil {
		return nil, errors.New("policy: Transport needs a target")
	}
	c := rt.cluster(t)
	c.transportOnce.Do(func() {
		tr, err := NewTransport(c.policy, c.host)
		if err != nil {
			c.transportErr = err
			rt.log.Error("cannot build upstream transport", "cluster", c.name, "err", err)
			return
		}
		c.transport = &clusterTransport{rt: rt, tr: tr, next: limitConnections(tr, c.policy)}
		c.built.Store(tr)
	})
	return c.transport, c.transportErr
}

// TransportNamed is Transport for a caller's own TLS session (an https
// request) to server name: the name the caller's TLS names (SNI) and
// verifies, its request's host. When that is not t's host, an address or
// a wildcard, and t's policy originates no TLS of its own, the cluster
// sends such requests through a transport of its own for that name, so
// the session keeps the caller's name after a tls rule sent it to
// another host, as Istio passes the caller's TLS through (say to an
// egress gateway that routes by SNI). The cluster's balancer, limits and
// outlier detection are shared; the connections are per name. Otherwise
// it is Transport(t).
func (rt *Runtime) TransportNamed(t *Target, serverName string) http.RoundTripper {
	if t == nil || serverName == "" || strings.EqualFold(serverName, t.Host) || net.ParseIP(serverName) != nil ||
		strings.HasPrefix(serverName, "*") || originatesTLS(t.Policy) {
		return rt.Transport(t)
	}
	c, open := rt.clusterOrClosed(t)
	if !open {
		return rt.Transport(t)
	}
	if ct, ok := c.named.Load(serverName); ok {
		return ct.(*clusterTransport)
	}
	tr, err := NewTransport(c.policy, serverName)
	if err != nil {
		return errRoundTripper{err}
	}
	ct := &clusterTransport{rt: rt, tr: tr, next: limitConnections(tr, c.policy)}
	if prev, loaded := c.named.LoadOrStore(serverName, ct); loaded {
		return prev.(*clusterTransport)
	}
	return ct
}

// originatesTLS reports whether policy p has the upstream connection use
// TLS of its own (a tls block with mode SIMPLE or MUTUAL).
func originatesTLS(p *networking.TrafficPolicy) bool {
	switch p.GetTls().GetMode() {
	case networking.ClientTLSSettings_SIMPLE, networking.ClientTLSSettings_MUTUAL, networking.ClientTLSSettings_ISTIO_MUTUAL:
		return true
	}
	return false
}

// clusterTransport is the RoundTripper of a cluster: its transport, with
// the connection limits of limitConnections, that refuses round trips
// once the runtime is closed, so that a RoundTripper kept from before
// Close opens and pools no connection after it.
type clusterTransport struct {
	rt   *Runtime
	tr   *http.Transport
	next http.RoundTripper // tr, or tr behind limitConnections
}

// RoundTrip sends req, or fails with ErrClosed once the runtime is
// closed.
func (ct *clusterTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if ct.rt.closed.Load() {
		closeRequestBody(req)
		return nil, ErrClosed
	}
	return ct.next.RoundTrip(req)
}

// CloseIdleConnections closes the transport's idle connections (an
// http.Client calls it from its own CloseIdleConnections).
func (ct *clusterTransport) CloseIdleConnections() { ct.tr.CloseIdleConnections() }

type errRoundTripper struct{ err error }

func (e errRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	closeRequestBody(req)
	return nil, e.err
}

// closeRequestBody closes the body of a request a RoundTripper does not
// send, as the http.RoundTripper contract asks.
func closeRequestBody(req *http.Request) {
	if req != nil && req.Body != nil {
		req.Body.Close()
	}
}

// Dialer returns the dialer a policy's tcp settings describe:
// connectTimeout (10s by default) and tcpKeepalive (probes, time,
// interval; unset fields keep the OS defaults).
func Dialer(p *networking.TrafficPolicy) *net.Dialer {
	tcp := p.GetConnectionPool().GetTcp()
	d := &net.Dialer{Timeout: defaultConnectTimeout}
	if ct := tcp.GetConnectTimeout(); ct != nil && ct.AsDuration() > 0 {
		d.Timeout = ct.AsDuration()
	}
	if ka := tcp.GetTcpKeepalive(); ka != nil {
		d.KeepAliveConfig = net.KeepAliveConfig{Enable: true, Idle: -1, Interval: -1, Count: -1}
		if ka.Time != nil {
			d.KeepAliveConfig.Idle = ka.Time.AsDuration()
		}
		if ka.Interval != nil {
			d.KeepAliveConfig.Interval = ka.Interval.AsDuration()
		}
		if ka.Probes != 0 {
			d.KeepAliveConfig.Count = int(ka.Probes)
		}
	}
	return d
}

// NewTransport builds an *http.Transport from a traffic policy:
//
//   - tcp.maxConnections → MaxConnsPerHost (requests beyond it wait, as
//     Envoy's pending requests do);
//   - tcp.connectTimeout, tcp.tcpKeepalive → the dialer (see Dialer);
//   - http.idleTimeout, else tcp.idleTimeout, else 1h → IdleConnTimeout
//     ("0s" disables it);
//   - http.maxRequestsPerConnection 1 → keep-alives disabled (larger
//     values, and tcp.maxConnectionDuration, are enforced by
//     Runtime.Transport);
//   - http.h2UpgradePolicy UPGRADE → HTTP/2 only (h2c in plaintext);
//     http.http2KeepAlive → HTTP/2 pings;
//   - tls → TLSClientConfig (see ClientTLS), sniDefault the server name.
//     Without tls (or with DISABLE), a caller's own https request is
//     sent with TLS to sniDefault as server name (SNI and the name its
//     certificate is verified against, with the system roots), as the
//     caller would reach that host, rather than to the endpoint's
//     address the request is dialled at.
func NewTransport(p *networking.TrafficPolicy, sniDefault string) (*http.Transport, error) {
	tlsCfg, err := ClientTLS(p.GetTls(), sniDefault)
	if err != nil {
		return nil, err
	}
	if tlsCfg == nil && sniDefault != "" && !strings.HasPrefix(sniDefault, "*") && net.ParseIP(sniDefault) == nil {
		tlsCfg = &tls.Config{ServerName: sniDefault, MinVersion: tls.VersionTLS12}
	}
	cp := p.GetConnectionPool()
	d := Dialer(p)
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		TLSClientConfig:       tlsCfg,
		TLSHandshakeTimeout:   d.Timeout,
		MaxIdleConns:          0,
		MaxIdleConnsPerHost:   100,
		IdleConnTimeout:       defaultIdleTimeout,
		ExpectContinueTimeout: time.Second,
	}
	if n := cp.GetTcp().GetMaxConnections(); n > 0 {
		tr.MaxConnsPerHost = int(n)
		tr.MaxIdleConnsPerHost = int(n)
	}
	if it := cp.GetHttp().GetIdleTimeout(); it != nil {
		tr.IdleConnTimeout = it.AsDuration()
	} else if it := cp.GetTcp().GetIdleTimeout(); it != nil {
		tr.IdleConnTimeout = it.AsDuration()
	}
	if cp.GetHttp().GetMaxRequestsPerConnection() == 1 {
		tr.DisableKeepAlives = true
	}
	h := cp.GetHttp()
	if h.GetH2UpgradePolicy() == networking.ConnectionPoolSettings_HTTPSettings_UPGRADE {
		var protos http.Protocols
		protos.SetHTTP2(true)
		protos.SetUnencryptedHTTP2(true)
		tr.Protocols = &protos
		tr.ForceAttemptHTTP2 = true
	}
	if ka := h.GetHttp2KeepAlive(); ka != nil {
		tr.HTTP2 = &http.HTTP2Config{}
		if ka.Interval != nil {
			tr.HTTP2.SendPingTimeout = ka.Interval.AsDuration()
		}
		if ka.Timeout != nil {
			tr.HTTP2.PingTimeout = ka.Timeout.AsDuration()
		}
	}
	return tr, nil
}
