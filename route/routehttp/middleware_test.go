package routehttp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshroute/meshroute/fault"
	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
)

// serve runs one request through Middleware in front of next on a real
// loopback server and returns the response.
func serve(t *testing.T, next http.Handler, req *http.Request, opts ...Option) (int, http.Header, string) {
	t.Helper()
	st, h, b, _ := serveTimed(t, next, req, opts...)
	return st, h, b
}

// serveTimed is serve that also says how long the client waited for the
// whole response (before the server shut down).
func serveTimed(t *testing.T, next http.Handler, req *http.Request, opts ...Option) (int, http.Header, string, time.Duration) {
	t.Helper()
	srv := httptest.NewServer(Middleware(emptyTable, opts...)(next))
	defer srv.Close()
	req.URL.Scheme, req.URL.Host = "http", srv.Listener.Addr().String()
	start := time.Now()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b), time.Since(start)
}

// recordingHandler records what reached it and answers "handled".
type recordingHandler struct {
	calls atomic.Int64
	last  atomic.Pointer[http.Request]
}

func (h *recordingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.calls.Add(1)
	h.last.Store(r)
	_, _ = io.WriteString(w, "handled")
}

func TestMiddlewareLocalReplies(t *testing.T) {
	abort := &fault.Spec{Abort: &fault.Abort{HTTPStatus: 503, Chance: fault.Million}}
	tests := []struct {
		name       string
		d          route.Decision
		opts       []Option
		wantStatus int
		wantBody   string
		wantHeader map[string]string
	}{
		{name: "no route answers 404 with an empty body", d: route.Decision{Action: route.ActionNoRoute, Status: 404}, wantStatus: 404},
		{name: "no route uses the configured not-found handler", d: route.Decision{Action: route.ActionNoRoute, Status: 404},
			opts: []Option{WithNotFound(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(410); _, _ = io.WriteString(w, "gone") }))}, wantStatus: 410, wantBody: "gone"},
		{name: "redirect answers its code and Location", d: route.Decision{Action: route.ActionRedirect, Redirect: route.Redirect{Location: "https://new.example/x?q=1", Code: 302}}, wantStatus: 302, wantHeader: map[string]string{"Location": "https://new.example/x?q=1"}},
		{name: "direct response answers its status and body", d: route.Decision{Action: route.ActionDirectResponse, DirectResponse: route.DirectResponse{Status: 200, Body: "pong"}}, wantStatus: 200, wantBody: "pong", wantHeader: map[string]string{"Content-Type": "text/plain"}},
		{name: "direct response without a body has none", d: route.Decision{Action: route.ActionDirectResponse, DirectResponse: route.DirectResponse{Status: 204}}, wantStatus: 204},
		{name: "unavailable answers the decision's status", d: route.Decision{Action: route.ActionUnavailable, Status: 503}, wantStatus: 503},
		{name: "fault abort answers its status with body fault filter abort", d: func() route.Decision { d := routed("a"); d.Fault = abort.Sample(0, 0); return d }(), wantStatus: 503, wantBody: "fault filter abort"},
		{name: "fault abort wins over a redirect", d: func() route.Decision {
			d := route.Decision{Action: route.ActionRedirect, Redirect: route.Redirect{Location: "/x"}}
			d.Fault = abort.Sample(0, 0)
			return d
		}(), wantStatus: 503, wantBody: "fault filter abort"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &recordingHandler{}
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			srv := httptest.NewServer(Middleware(emptyTable, append(tc.opts, decideAlways(tc.d))...)(h))
			defer srv.Close()
			resp, err := client.Get(srv.URL + "/p")
			if err != nil {
				t.Fatal(err)
			}
			checkResponse(t, resp, tc.wantStatus, tc.wantBody, tc.wantHeader)
			if h.calls.Load() != 0 {
				t.Errorf("the handler ran; a local reply must not reach it")
			}
		})
	}
}

func TestMiddlewareRewrite(t *testing.T) {
	tests := []struct {
		name      string
		target    string
		d         func(route.Decision) route.Decision
		wantPath  string
		wantRaw   string
		wantQuery string
		wantURI   string
		wantHost  string
		wantOrig  string
	}{
		{name: "prefix rewrite changes Path and RequestURI and keeps the query", target: "/api/v1/list?x=1",
			d: func(d route.Decision) route.Decision {
				d.Path, d.OriginalPath = "/v1/list?x=1", "/api/v1/list?x=1"
				return d
			}, wantPath: "/v1/list", wantQuery: "x=1", wantURI: "/v1/list?x=1", wantOrig: "/api/v1/list?x=1"},
		{name: "escaped rewrite keeps RawPath", target: "/a",
			d: func(d route.Decision) route.Decision {
				d.Path, d.OriginalPath = "/b%2Fc", "/a"
				return d
			}, wantPath: "/b/c", wantRaw: "/b%2Fc", wantURI: "/b%2Fc", wantOrig: "/a"},
		{name: "authority rewrite changes Host only", target: "/same",
			d: func(d route.Decision) route.Decision {
				d.Path, d.Authority = "/same", "reviews.internal"
				return d
			}, wantPath: "/same", wantURI: "/same", wantHost: "reviews.internal"},
		{name: "no rewrite leaves the request alone", target: "/same?q",
			d: func(d route.Decision) route.Decision {
				d.Path = "/same?q"
				return d
			}, wantPath: "/same", wantQuery: "q", wantURI: "/same?q"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &recordingHandler{}
			req := mustRequest(t, "GET", "http://placeholder"+tc.target, "")
			serve(t, h, req, decideAlways(tc.d(routed("a"))))
			r := h.last.Load()
			if r == nil {
				t.Fatal("the handler did not run")
			}
			wantHost := tc.wantHost
			if wantHost == "" {
				wantHost = "placeholder" // the client's Host header
			}
			got := []string{r.URL.Path, r.URL.RawPath, r.URL.RawQuery, r.RequestURI, r.Host, r.Header.Get("X-Envoy-Original-Path")}
			want := []string{tc.wantPath, tc.wantRaw, tc.wantQuery, tc.wantURI, wantHost, tc.wantOrig}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("[Path RawPath RawQuery RequestURI Host x-envoy-original-path] (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMiddlewareDecisionFrom(t *testing.T) {
	var got route.Decision
	var ok bool
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got, ok = DecisionFrom(r.Context()) })
	d := routed("reviews.default.svc.cluster.local")
	d.Rule = route.RuleRef{Index: 3, Name: "v2"}
	serve(t, h, mustRequest(t, "GET", "http://x/", ""), decideAlways(d))
	if !ok || got.Rule.Name != "v2" || got.Destination.Host != "reviews.default.svc.cluster.local" {
		t.Errorf("DecisionFrom = %+v, %v; want the middleware's decision", got.Rule, ok)
	}
	if _, ok := DecisionFrom(context.Background()); ok {
		t.Errorf("DecisionFrom(Background) reported a decision")
	}
}

func TestMiddlewareRequestView(t *testing.T) {
	var seenReq match.Request
	opts := []Option{
		WithIdentity(StaticIdentity("frontend-ns", map[string]string{"app": "frontend"})),
		WithGateway("istio-system/ingress"),
		decideBy(func(r *match.Request) route.Decision { seenReq = *r; return routed("a") }),
	}
	serve(t, &recordingHandler{}, mustRequest(t, "POST", "http://x/a/b?c=d", ""), opts...)
	got := []string{seenReq.Method, seenReq.Path, seenReq.SourceNamespace, seenReq.SourceLabels["app"], seenReq.Gateway}
	want := []string{"POST", "/a/b?c=d", "frontend-ns", "frontend", "istio-system/ingress"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request view [Method Path SourceNamespace app Gateway] (-want +got):\n%s", diff)
	}
}

func TestMiddlewareFaultDelay(t *testing.T) {
	d := routed("a")
	d.Fault = (&fault.Spec{Delay: &fault.Delay{Duration: 80 * time.Millisecond, Chance: fault.Million}}).Sample(0, 0)
	t.Run("delay holds the request before the handler", func(t *testing.T) {
		start := time.Now()
		st, _, body := serve(t, &recordingHandler{}, mustRequest(t, "GET", "http://x/", ""), decideAlways(d))
		if el := time.Since(start); el < 80*time.Millisecond || st != 200 || body != "handled" {
			t.Errorf("got %d %q after %v, want 200 handled after at least 80ms", st, body, el)
		}
	})
	t.Run("delay ends without calling the handler when the client goes away", func(t *testing.T) {
		long := routed("a")
		long.Fault = (&fault.Spec{Delay: &fault.Delay{Duration: 10 * time.Second, Chance: fault.Million}}).Sample(0, 0)
		h := &recordingHandler{}
		rec := httptest.NewRecorder()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		start := time.Now()
		Middleware(emptyTable, decideAlways(long))(h).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil).WithContext(ctx))
		if el := time.Since(start); el > 2*time.Second || h.calls.Load() != 0 {
			t.Errorf("returned after %v with %d handler calls, want an early return and no call", el, h.calls.Load())
		}
	})
}

func TestMiddlewareTimeout(t *testing.T) {
	d := routed("a")
	d.Timeout = 50 * time.Millisecond
	t.Run("handler too slow gets 504 upstream request timeout", func(t *testing.T) {
		var writeErr atomic.Pointer[error]
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
			time.Sleep(20 * time.Millisecond)
			_, err := io.WriteString(w, "late")
			writeErr.Store(&err)
		})
		start := time.Now()
		st, _, body := serve(t, h, mustRequest(t, "GET", "http://x/", ""), decideAlways(d))
		if st != 504 || body != BodyUpstreamTimeout {
			t.Errorf("got %d %q, want 504 %q", st, body, BodyUpstreamTimeout)
		}
		if el := time.Since(start); el > time.Second {
			t.Errorf("answered after %v", el)
		}
		waitFor(t, "the handler's late write", func() bool { return writeErr.Load() != nil })
		if err := *writeErr.Load(); !errors.Is(err, http.ErrHandlerTimeout) {
			t.Errorf("late write error = %v, want http.ErrHandlerTimeout", err)
		}
	})
	t.Run("handler ignoring the deadline still lets the client go at the timeout", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(1500 * time.Millisecond) })
		st, _, body, el := serveTimed(t, h, mustRequest(t, "GET", "http://x/", ""), decideAlways(d))
		if st != 504 || body != BodyUpstreamTimeout || el > time.Second {
			t.Errorf("got %d %q after %v, want 504 at about 50ms", st, body, el)
		}
	})
	t.Run("handler returning after the deadline without writing gets 504", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		st, _, body := serve(t, h, mustRequest(t, "GET", "http://x/", ""), decideAlways(d))
		if st != 504 || body != BodyUpstreamTimeout {
			t.Errorf("got %d %q, want 504 %q", st, body, BodyUpstreamTimeout)
		}
	})
	t.Run("handler answering in time is untouched and sees the deadline", func(t *testing.T) {
		var hasDeadline bool
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, hasDeadline = r.Context().Deadline()
			w.Header().Set("X-App", "1")
			w.WriteHeader(201)
			_, _ = io.WriteString(w, "made")
		})
		st, hdr, body := serve(t, h, mustRequest(t, "GET", "http://x/", ""), decideAlways(d))
		if st != 201 || body != "made" || hdr.Get("X-App") != "1" || !hasDeadline {
			t.Errorf("got %d %q X-App=%q deadline=%v, want 201 made X-App=1 deadline=true", st, body, hdr.Get("X-App"), hasDeadline)
		}
	})
	t.Run("handler that started answering keeps its status past the deadline", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			http.NewResponseController(w).Flush()
			<-r.Context().Done()
		})
		st, _, _ := serve(t, h, mustRequest(t, "GET", "http://x/", ""), decideAlways(d))
		if st != 200 {
			t.Errorf("status = %d, want the 200 already sent", st)
		}
	})
}

func TestMiddlewareWithServeMux(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/{item}", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "item "+r.PathValue("item")) })
	d := routed("a")
	d.Path, d.OriginalPath = "/v2/book", "/v1/book"
	st, _, body := serve(t, mux, mustRequest(t, "GET", "http://x/v1/book", ""), decideAlways(d))
	if st != 200 || body != "item book" {
		t.Errorf("got %d %q, want the mux to route the rewritten path: 200 %q", st, body, "item book")
	}
}
