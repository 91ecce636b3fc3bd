package routehttp

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
)

// mirror sends a copy of the request to each selected mirror, each on its
// own goroutine: the copy carries the route's request header operations
// and rewrite (as Envoy mirrors the request after them), its response is
// discarded, and it never delays or fails the primary request. A mirror
// that would exceed the in-flight bound is dropped.
func (t *transport) mirror(req *http.Request, d *route.Decision, view *match.Request, hdr http.Header, authority string, body *replayBody) {
	timeout := t.mirrorTimeout(d)
	path := d.Path
	v := *view
	d.Mirrors.Each(func(m route.Mirror) {
		if t.mirrorSlots == nil {
			t.observe(m, 0, ErrMirrorDropped)
			return
		}
		select {
		case t.mirrorSlots <- struct{}{}:
		default:
			t.observe(m, 0, ErrMirrorDropped)
			return
		}
		rc, ok := body.copyForMirror()
		if !ok {
			<-t.mirrorSlots
			t.observe(m, 0, ErrMirrorBodyNotReplayable)
			return
		}
		out := &http.Request{
			Method:     req.Method,
			Proto:      "HTTP/1.1",
			ProtoMajor: 1,
			ProtoMinor: 1,
			Header:     hdr.Clone(),
			Host:       authority,
		}
		if m.ShadowSuffix || t.cfg.shadowSuffix {
			out.Host = route.ShadowAuthority(authority)
		}
		if m.Target.Port == 0 {
			m.Target.Port = v.Port // the port of the request being mirrored
		}
		if rc != http.NoBody {
			out.Body, out.ContentLength = rc, body.length
		}
		u := new(url.URL)
		if req.URL != nil {
			*u = *req.URL
		}
		u.User = nil
		if path != "" && path != u.RequestURI() {
			setRequestTarget(u, path)
		}
		out.URL = u
		go t.sendMirror(req.Context(), timeout, m, &v, out)
	})
}

// sendMirror sends one mirrored request and discards its response.
func (t *transport) sendMirror(parent context.Context, timeout time.Duration, m route.Mirror, view *match.Request, out *http.Request) {
	defer func() { <-t.mirrorSlots }()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), timeout)
	defer cancel()
	lease, err := t.eps.Pick(&m.Target, view, nil)
	if err != nil {
		if out.Body != nil {
			out.Body.Close()
		}
		t.observe(m, 0, err)
		return
	}
	out = out.WithContext(ctx)
	out.URL.Scheme = upstreamScheme(out, &m.Target)
	out.URL.Host = lease.Addr
	resp, err := t.upstream(&m.Target).RoundTrip(out)
	if err != nil {
		lease.Release(policy.Result{LocalOrigin: true, Err: err})
		t.observe(m, 0, err)
		return
	}
	drain(resp.Body)
	lease.Release(policy.Result{Status: resp.StatusCode})
	t.observe(m, resp.StatusCode, nil)
}

func (t *transport) observe(m route.Mirror, status int, err error) {
	if t.cfg.onMirrorResult != nil {
		t.cfg.onMirrorResult(MirrorResult{Mirror: m, Status: status, Err: err})
	}
}
