package routehttp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/fault"
	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
)

// endpoints is what the Transport needs from the policy runtime;
// *policy.Runtime implements it, tests substitute fakes.
type endpoints interface {
	Pick(t *policy.Target, req *match.Request, avoid []string) (policy.Lease, error)
	AdmitRetry(t *policy.Target) (release func(), ok bool)
}

// upstreamTransports is implemented by runtimes that keep a transport per
// cluster (connection-pool and client TLS settings).
type upstreamTransports interface {
	Transport(t *policy.Target) http.RoundTripper
}

// namedTransports is implemented by runtimes that keep a transport per
// TLS server name a caller's own https requests name (policy.Runtime).
type namedTransports interface {
	TransportNamed(t *policy.Target, serverName string) http.RoundTripper
}

// transport is the RoundTripper NewTransport returns.
type transport struct {
	src  route.TableSource
	eps  endpoints
	base http.RoundTripper // used when the runtime has no per-cluster transport
	cfg  config
	// mirrorSlots bounds mirrors in flight.
	mirrorSlots chan struct{}
}

// NewTransport returns an http.RoundTripper that carries out routing
// decisions for outbound requests, as a sidecar does:
//
//   - it decides on the outgoing request (its URL host or Host header is
//     the authority routes match on), and injects the route's fault — delay
//     and abort are rolled once per logical request, never per attempt;
//   - redirects, direct responses, no route (404) and unavailable
//     destinations come back as synthesized responses;
//   - a routed request gets the request header operations and the path and
//     authority rewrite, then goes to an endpoint rt picks (subsets, load
//     balancing, circuit breaking, outlier detection);
//   - failed attempts are retried per the route's retry policy (every
//     retryOn condition, per-try timeout, Envoy's jittered exponential
//     backoff, the connection pool's retry budget), all within the route
//     timeout, each attempt carrying x-envoy-attempt-count;
//   - mirrors get a copy of the request asynchronously;
//   - failures come back as the responses Envoy would send: 503 "no
//     healthy upstream", 503 "upstream connect error or disconnect/reset
//     before headers. reset reason: ...", 503 with x-envoy-overloaded on
//     overflow, 504 "upstream request timeout";
//   - once rt is closed (policy.Runtime.Close), a request is not sent, or
//     not retried, and RoundTrip returns an error wrapping
//     policy.ErrClosed, as it returns the context's error for a canceled
//     request.
//
// Request bodies are replayed from GetBody or from a buffer of up to
// WithMaxBodyBuffer bytes (64 KiB); a larger body is sent once, and a
// failure that would have been retried returns a *NotRetriedError (or a
// response carrying the X-Meshroute-Not-Retried header) saying so.
//
// Connections are made by WithUpstreamTransport's RoundTripper when one is
// given, else by rt's per-cluster transport (connection-pool limits and
// DestinationRule client TLS).
func NewTransport(src route.TableSource, rt *policy.Runtime, opts ...Option) http.RoundTripper {
	return newTransport(src, rt, newConfig(opts))
}

func newTransport(src route.TableSource, eps endpoints, c config) *transport {
	t := &transport{src: src, eps: eps, cfg: c, base: c.upstream}
	if t.base == nil {
		t.base = http.DefaultTransport
	}
	if c.maxMirrors > 0 {
		t.mirrorSlots = make(chan struct{}, c.maxMirrors)
	}
	return t
}

// call is a RoundTrip's request view and decision. It comes from callPool
// and goes back when RoundTrip returns: nothing the Transport leaves
// behind (the response, its body, mirrors in flight) refers to it.
type call struct {
	view match.Request
	d    route.Decision
}

var callPool = sync.Pool{New: func() any { return new(call) }}

// RoundTrip decides on req and carries the decision out.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if dc := decisionOf(ctx); dc != nil && dc.upstream {
		// The Gateway's middleware stage decided and injected faults; its
		// handoff keeps the decision and view unchanged.
		return t.carryOut(req, &dc.d, dc.view)
	}
	c := callPool.Get().(*call)
	t.cfg.viewInto(&c.view, req)
	t.cfg.decideInto(&c.d, t.src.Table(), &c.view)
	resp, err := t.decided(ctx, req, c)
	*c = call{}
	callPool.Put(c)
	return resp, err
}

// decided injects the fault of c's decision and carries the decision out.
func (t *transport) decided(ctx context.Context, req *http.Request, c *call) (*http.Response, error) {
	if delay := c.d.Fault.DelayDuration(); delay > 0 {
		if err := fault.Wait(ctx, delay); err != nil {
			closeBody(req)
			return nil, err
		}
	}
	if abort, ok := c.d.Fault.AbortWith(); ok {
		closeBody(req)
		return abortResponse(req, abort), nil
	}
	return t.carryOut(req, &c.d, &c.view)
}

// carryOut answers a non-forwarded decision or forwards the request.
func (t *transport) carryOut(req *http.Request, d *route.Decision, view *match.Request) (*http.Response, error) {
	if d.Action != route.ActionRoute {
		closeBody(req)
		return decisionResponse(req, d), nil
	}
	return t.forward(req, d, view)
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// attempt is one try's request and its contexts.
type attempt struct {
	n      int
	lease  policy.Lease
	cancel context.CancelFunc // per-try timeout; nil without one
	ctx    context.Context
	out    *outbound
}

// outbound is what one attempt sends — its request, URL and the values
// of the headers the attempt adds — and, when its response is the one
// returned, the body wrapper that ends the attempt: one allocation, as
// all live as long as the response (whose Request is req).
type outbound struct {
	req  http.Request
	url  url.URL
	vals [2]string // x-envoy-attempt-count, x-envoy-expected-rq-timeout-ms
	body responseBody
}

// forward sends a routed request with retries within the route timeout.
func (t *transport) forward(req *http.Request, d *route.Decision, view *match.Request) (*http.Response, error) {
	callerCtx := req.Context()
	routeCtx, release := callerCtx, context.CancelFunc(nil)
	if d.Timeout > 0 {
		routeCtx, release = context.WithTimeout(callerCtx, d.Timeout)
	}
	retry := &d.Retry
	body, err := newReplayBody(req, retry.Attempts > 0 || d.Mirrors.Len() > 0, t.cfg.maxBody)
	if err != nil {
		callIf(release)
		return nil, err
	}
	hdr := upstreamHeader(req, d, view)
	authority := d.Authority
	if authority == "" {
		authority = view.Authority
	}
	if d.Mirrors.Len() > 0 {
		t.mirror(req, d, view, hdr, authority, body)
	}

	tries := 1 + max(retry.Attempts, 0)
	var avoid []string
	var bo backoff
	var retryRelease context.CancelFunc
	for n := 1; ; n++ {
		a := attempt{n: n, ctx: routeCtx}
		lease, perr := t.eps.Pick(&d.Target, view, avoid)
		if perr != nil {
			callIf(retryRelease)
			body.close()
			callIf(release)
			if errors.Is(perr, policy.ErrClosed) {
				return nil, errRuntimeClosed
			}
			return pickFailure(req, d, perr), nil
		}
		a.lease = lease
		if retry.PerTryTimeout > 0 {
			a.ctx, a.cancel = context.WithTimeout(routeCtx, retry.PerTryTimeout)
		}
		var berr error
		a.out, berr = t.outRequest(req, d, a, hdr, authority, body)
		if berr != nil {
			callIf(retryRelease)
			a.finish(policy.Result{LocalOrigin: true, Err: berr})
			body.close()
			callIf(release)
			return nil, berr
		}
		resp, rerr := t.upstreamFor(&d.Target, req).RoundTrip(&a.out.req)
		// The retry slot (if this attempt is a retry) is held until the
		// attempt has its answer.
		callIf(retryRelease)
		retryRelease = nil
		f := classify(rerr, callerCtx, routeCtx, a.ctx)
		if f != failNone {
			a.lease.Release(policy.Result{LocalOrigin: true, Err: rerr})
		}

		retriable := false
		if f == failNone {
			retriable = retriableResponse(retry, resp, req.Header)
		} else {
			retriable = retriableFailure(retry.On, f)
		}
		if retriable && n < tries && routeCtx.Err() == nil && !body.replayable() {
			return t.notRetried(req, d, a, resp, f, rerr, release)
		}
		if retriable && n < tries && routeCtx.Err() == nil {
			if rel, ok := t.eps.AdmitRetry(&d.Target); ok {
				retryRelease = context.CancelFunc(rel)
				if resp != nil {
					drain(resp.Body)
					a.lease.Release(policy.Result{Status: resp.StatusCode})
				}
				a.stop()
				if retry.IgnorePreviousHosts {
					avoid = append(avoid, lease.Addr)
				}
				if n == 1 {
					bo = newBackoff(retry, t.cfg.rand)
				}
				if fault.Wait(routeCtx, bo.next()) == nil {
					continue
				}
				callIf(retryRelease)
				retryRelease = nil
				if callerCtx.Err() != nil {
					body.close()
					callIf(release)
					return nil, callerCtx.Err()
				}
				body.close()
				callIf(release)
				return routerResponse(req, d, http.StatusGatewayTimeout, BodyUpstreamTimeout), nil
			}
		}
		return t.finish(req, d, a, resp, f, rerr, body, release)
	}
}

// finish turns the last attempt into the caller's response.
func (t *transport) finish(req *http.Request, d *route.Decision, a attempt, resp *http.Response, f failure, rerr error, body *replayBody, release context.CancelFunc) (*http.Response, error) {
	body.close()
	switch f {
	case failNone:
		d.ResponseHeaders.Apply(resp.Header)
		if a.lease.SetCookie != nil {
			resp.Header.Add("Set-Cookie", a.lease.SetCookie.String())
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			// An upgraded connection is handed over as is: its Body is the
			// io.ReadWriteCloser httputil.ReverseProxy tunnels. The route
			// timeout stops at the 101 (Envoy would reset the tunnel when
			// an explicitly set route timeout expires; upgrades get no
			// default timeout in either).
			a.lease.Release(policy.Result{Status: resp.StatusCode})
			return resp, nil
		}
		// The request stays active (circuit breaking) and its timeouts
		// armed until the caller has read or closed the body.
		a.wrapBody(resp, release)
		return resp, nil
	case failCanceled:
		a.stop()
		callIf(release)
		return nil, rerr
	case failClosed:
		a.stop()
		callIf(release)
		return nil, errRuntimeClosed
	}
	a.stop()
	callIf(release)
	status, text := failureReply(f)
	if reason := tlsFailureReason(rerr); f == failConnect && reason != "" {
		text += ", transport failure reason: TLS error: " + reason
	}
	return routerResponse(req, d, status, text), nil
}

// notRetried ends a request whose failure would have been retried but
// whose body cannot be replayed.
func (t *transport) notRetried(req *http.Request, d *route.Decision, a attempt, resp *http.Response, f failure, rerr error, release context.CancelFunc) (*http.Response, error) {
	if resp != nil {
		resp.Header[HeaderNotRetried] = []string{"request body larger than the " +
			strconv.FormatInt(t.cfg.maxBody, 10) + "-byte replay buffer"}
		d.ResponseHeaders.Apply(resp.Header)
		a.wrapBody(resp, release)
		return resp, nil
	}
	a.stop()
	callIf(release)
	_, text := failureReply(f)
	return nil, &NotRetriedError{Limit: t.cfg.maxBody, Failure: text, Err: rerr}
}

// pickFailure maps a Pick error other than policy.ErrClosed to Envoy's
// reply.
func pickFailure(req *http.Request, d *route.Decision, err error) *http.Response {
	if errors.Is(err, policy.ErrOverflow) {
		return routerResponse(req, d, http.StatusServiceUnavailable, BodyOverflow, hdrOverloaded, "true")
	}
	return routerResponse(req, d, http.StatusServiceUnavailable, BodyNoHealthyUpstream)
}

// wrapBody makes resp's body end the attempt (and, through release, the
// route timeout) when the caller is done with it.
func (a *attempt) wrapBody(resp *http.Response, release context.CancelFunc) {
	a.out.body = responseBody{ReadCloser: resp.Body, lease: a.lease, status: resp.StatusCode,
		cancels: [2]context.CancelFunc{a.cancel, release}}
	resp.Body = &a.out.body
}

func (a *attempt) stop() {
	if a.cancel != nil {
		a.cancel()
	}
}

func (a *attempt) finish(r policy.Result) {
	a.lease.Release(r)
	a.stop()
}

// upstream returns the RoundTripper for target's cluster.
func (t *transport) upstream(target *policy.Target) http.RoundTripper {
	if t.cfg.upstream != nil {
		return t.cfg.upstream
	}
	if ut, ok := t.eps.(upstreamTransports); ok {
		if rt := ut.Transport(target); rt != nil {
			return rt
		}
	}
	return t.base
}

// upstreamFor is upstream for the caller's request req: a caller's own
// https request keeps the TLS server name it gives (its host) wherever
// the decision sends it, as the caller's TLS session does through an
// Istio sidecar (policy.Runtime.TransportNamed).
func (t *transport) upstreamFor(target *policy.Target, req *http.Request) http.RoundTripper {
	if t.cfg.upstream == nil && req.URL != nil && req.URL.Scheme == "https" {
		if nt, ok := t.eps.(namedTransports); ok {
			return nt.TransportNamed(target, req.URL.Hostname())
		}
	}
	return t.upstream(target)
}

// upstreamHeader is the header every attempt starts from: a copy of the
// request's with the route's request header operations and
// x-envoy-original-path.
func upstreamHeader(req *http.Request, d *route.Decision, view *match.Request) http.Header {
	hdr := req.Header.Clone()
	if hdr == nil {
		hdr = make(http.Header, 2)
	}
	d.RequestHeaders.Apply(hdr)
	if pathRewritten(d, view) {
		hdr[hdrOriginalPath] = []string{originalPath(d, view)}
	}
	return hdr
}

// outRequest builds the request of one attempt.
func (t *transport) outRequest(req *http.Request, d *route.Decision, a attempt, hdr http.Header, authority string, body *replayBody) (*outbound, error) {
	o := new(outbound)
	// WithContext is inlined here and its copy, which does not escape,
	// stays on the stack: req is copied into o without an allocation of
	// its own.
	o.req = *req.WithContext(a.ctx)
	out, u := &o.req, &o.url
	if req.URL != nil {
		*u = *req.URL
	}
	u.Scheme = upstreamScheme(req, &d.Target)
	u.Host = a.lease.Addr
	u.User = nil
	if d.Path != "" && d.Path != u.RequestURI() {
		setRequestTarget(u, d.Path)
	}
	out.URL = u
	out.Host = authority
	out.RequestURI = ""
	if a.n > 1 {
		hdr = hdr.Clone()
	}
	o.vals[0] = attemptCount(a.n)
	hdr[hdrAttemptCount] = o.vals[0:1:1]
	if d.Timeout > 0 || d.Retry.PerTryTimeout > 0 {
		// What Envoy tells the upstream about the time it has left: the
		// per-try timeout, or what remains of the route timeout.
		if dl, ok := a.ctx.Deadline(); ok {
			o.vals[1] = strconv.FormatInt(max(time.Until(dl).Milliseconds(), 0), 10)
			hdr[hdrExpectedTimeout] = o.vals[1:2:2]
		}
	}
	out.Header = hdr
	rc, getBody, err := body.next()
	if err != nil {
		return nil, err
	}
	out.Body, out.GetBody = rc, getBody
	if body.mode == bodyNone {
		out.Body, out.ContentLength = nil, 0
	} else {
		out.ContentLength = body.length
	}
	return o, nil
}

var attemptCounts = [...]string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

func attemptCount(n int) string {
	if n < len(attemptCounts) {
		return attemptCounts[n]
	}
	return strconv.Itoa(n)
}

// upstreamScheme is https when the caller asked for it or the
// DestinationRule originates TLS (SIMPLE or MUTUAL), else http.
func upstreamScheme(req *http.Request, target *policy.Target) string {
	if req.URL != nil && req.URL.Scheme == "https" {
		return "https"
	}
	switch target.Policy.GetTls().GetMode() {
	case networking.ClientTLSSettings_SIMPLE, networking.ClientTLSSettings_MUTUAL:
		return "https"
	}
	return "http"
}

// drain discards what is left of a response body, so the connection can
// be reused, and closes it.
func drain(rc io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, rc, 4<<10)
	rc.Close()
}

// responseBody ends an attempt when the caller is done with the response
// body (closed, or read to the end): it returns the request's slot to the
// runtime with the status, and stops the attempt's timeouts.
type responseBody struct {
	io.ReadCloser
	lease   policy.Lease
	status  int
	cancels [2]context.CancelFunc
	done    bool
}

func (b *responseBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.release()
	}
	return n, err
}

func (b *responseBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}

func (b *responseBody) release() {
	if b.done {
		return
	}
	b.done = true
	b.lease.Release(policy.Result{Status: b.status})
	for _, f := range b.cancels {
		callIf(f)
	}
}

func callIf(f context.CancelFunc) {
	if f != nil {
		f()
	}
}

// upstreamTimeoutAfter is how long a mirror may take.
func (t *transport) mirrorTimeout(d *route.Decision) time.Duration {
	if d.Timeout > 0 {
		return d.Timeout
	}
	return t.cfg.mirrorTimeout
}
