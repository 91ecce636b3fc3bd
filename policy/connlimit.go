package policy

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"time"

	networking "istio.io/api/networking/v1alpha3"
)

// limitConnections wraps tr so that connections end as
// http.maxRequestsPerConnection (> 1) and tcp.maxConnectionDuration say:
// a connection is closed when the response of its last allowed request is
// finished, or once it is older than the duration (at once when idle,
// else after the response in flight). It returns tr itself when neither
// is set.
func limitConnections(tr *http.Transport, p *networking.TrafficPolicy) http.RoundTripper {
	limit := int64(p.GetConnectionPool().GetHttp().GetMaxRequestsPerConnection())
	var maxAge time.Duration
	if d := p.GetConnectionPool().GetTcp().GetMaxConnectionDuration(); d != nil {
		maxAge = d.AsDuration()
	}
	if limit <= 1 && maxAge <= 0 {
		return tr
	}
	if limit <= 1 {
		limit = 0 // 1 is DisableKeepAlives already
	}
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cc := &limitedConn{Conn: conn}
		if maxAge > 0 {
			cc.timer = time.AfterFunc(maxAge, cc.expire)
		}
		return cc, nil
	}
	return &connLimiter{next: tr, limit: limit}
}

// connLimiter counts the requests each connection carries.
type connLimiter struct {
	next  *http.Transport
	limit int64 // 0: no request limit
}

// limitedConn is a connection with a request count and an age limit.
type limitedConn struct {
	net.Conn
	uses    atomic.Int64
	active  atomic.Int64
	expired atomic.Bool
	timer   *time.Timer
	once    sync.Once
}

func (lc *limitedConn) expire() {
	lc.expired.Store(true)
	if lc.active.Load() == 0 {
		lc.closeOnce()
	}
}

func (lc *limitedConn) closeOnce() { lc.Close() }

// Close stops the age timer with the connection.
func (lc *limitedConn) Close() error {
	var err error
	lc.once.Do(func() {
		if lc.timer != nil {
			lc.timer.Stop()
		}
		err = lc.Conn.Close()
	})
	return err
}

// RoundTrip sends req and arranges for its connection to close after the
// response when the connection has reached its limits.
func (cl *connLimiter) RoundTrip(req *http.Request) (*http.Response, error) {
	var lc *limitedConn
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		conn := info.Conn
		if tc, ok := conn.(*tls.Conn); ok {
			conn = tc.NetConn()
		}
		if c, ok := conn.(*limitedConn); ok {
			lc = c
			c.active.Add(1)
		}
	}}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	resp, err := cl.next.RoundTrip(req)
	if lc == nil {
		return resp, err
	}
	last := cl.limit > 0 && lc.uses.Add(1) >= cl.limit
	if err != nil {
		lc.active.Add(-1)
		if last || lc.expired.Load() {
			lc.closeOnce()
		}
		return resp, err
	}
	resp.Body = &limitedBody{ReadCloser: resp.Body, conn: lc, last: last}
	return resp, nil
}

// limitedBody ends the request on its connection when the body is done,
// closing the connection if it is spent.
type limitedBody struct {
	io.ReadCloser
	conn *limitedConn
	last bool
	once sync.Once
}

func (b *limitedBody) done() {
	b.once.Do(func() {
		b.conn.active.Add(-1)
		if b.last || b.conn.expired.Load() {
			b.conn.closeOnce()
		}
	})
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.done()
	}
	return n, err
}

func (b *limitedBody) Close() error {
	err := b.ReadCloser.Close()
	b.done()
	return err
}
