package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
	"github.com/meshroute/meshroute/route/routehttp"
	"github.com/meshroute/meshroute/subset"
)

// servicePort is the port every bookinfo service is addressed on, as in
// the Istio sample; the real listeners are on 127.0.0.1:0.
const servicePort = 9080

// Headers the demo propagates from productpage to reviews to ratings, as
// bookinfo propagates end-user and its tracing headers.
const (
	hdrEndUser = "End-User"
	hdrCookie  = "Cookie"
	// hdrRatingsDelay makes ratings take that long to answer (a Go
	// duration), so the timeout step has a slow upstream.
	hdrRatingsDelay = "X-Demo-Ratings-Delay"
)

var propagated = []string{hdrEndUser, hdrCookie, hdrRatingsDelay}

// reviewsAnswer is what reviews returns and productpage passes on.
type reviewsAnswer struct {
	Version string `json:"version"`
	// Path is the path reviews received (after any rewrite).
	Path string `json:"path"`
	// RatingsStatus is the status of reviews' call to ratings (v2 and v3
	// only), 0 when reviews did not call ratings or the call failed.
	RatingsStatus int `json:"ratingsStatus,omitempty"`
	// RatingsTime is how long the call to ratings took, as reviews saw it.
	RatingsTime time.Duration `json:"ratingsTime,omitempty"`
}

// pageAnswer is what productpage returns.
type pageAnswer struct {
	DetailsStatus int           `json:"detailsStatus"`
	ReviewsStatus int           `json:"reviewsStatus"`
	Reviews       reviewsAnswer `json:"reviews"`
}

// mesh is the running bookinfo application: the services on loopback,
// the endpoint registry and one sidecar-in-a-library client per calling
// workload, all routed by one route.Store.
type mesh struct {
	store *route.Store
	reg   *subset.Registry

	servers []*httptest.Server
	// productpage is the page's URL; the demo's user calls it directly, as
	// an ingress would.
	productpage string
	// pageClient is productpage's outbound client; the rewrite and
	// redirect step calls reviews with it directly.
	pageClient *http.Client

	ratingsHits atomic.Int64 // requests ratings served (attempts included)
	ratingsEP   subset.Endpoint
	deadEP      subset.Endpoint // a ratings v1 endpoint that refuses connections
}

// newMesh starts the services and wires the sidecar clients to store.
func newMesh(store *route.Store) (*mesh, error) {
	m := &mesh{store: store, reg: subset.NewRegistry()}
	start := func(h http.Handler) (uint32, error) {
		s := httptest.NewServer(h)
		m.servers = append(m.servers, s)
		_, p, err := net.SplitHostPort(s.Listener.Addr().String())
		if err != nil {
			return 0, err
		}
		n, err := strconv.ParseUint(p, 10, 16)
		return uint32(n), err
	}
	endpoint := func(port uint32, version string) subset.Endpoint {
		return subset.Endpoint{Address: "127.0.0.1", Port: port, Labels: map[string]string{"version": version}}
	}
	register := func(name string, eps ...subset.Endpoint) {
		m.reg.SetService(subset.Service{
			Host:      name + ".default.svc.cluster.local",
			Ports:     []subset.ServicePort{{Number: servicePort, Name: "http", Protocol: "HTTP"}},
			Endpoints: eps,
		})
	}

	ratingsPort, err := start(http.HandlerFunc(m.ratings))
	if err != nil {
		return nil, m.closeWith(err)
	}
	m.ratingsEP = endpoint(ratingsPort, "v1")
	register("ratings", m.ratingsEP)
	dead, err := closedPort()
	if err != nil {
		return nil, m.closeWith(err)
	}
	m.deadEP = endpoint(dead, "v1")

	detailsPort, err := start(http.HandlerFunc(details))
	if err != nil {
		return nil, m.closeWith(err)
	}
	register("details", endpoint(detailsPort, "v1"))

	var reviewsEPs []subset.Endpoint
	for _, v := range []string{"v1", "v2", "v3"} {
		rv := &reviews{version: v, client: m.sidecar("reviews", v)}
		port, err := start(rv)
		if err != nil {
			return nil, m.closeWith(err)
		}
		reviewsEPs = append(reviewsEPs, endpoint(port, v))
	}
	register("reviews", reviewsEPs...)

	m.pageClient = m.sidecar("productpage", "v1")
	page := &productpage{client: m.pageClient}
	pagePort, err := start(page)
	if err != nil {
		return nil, m.closeWith(err)
	}
	register("productpage", endpoint(pagePort, "v1"))
	m.productpage = fmt.Sprintf("http://127.0.0.1:%d/productpage", pagePort)
	return m, nil
}

// sidecar returns the outbound client of workload app/version: an
// http.Client over routehttp.NewTransport with the workload's identity, so
// sourceLabels matches see app and version. Redirects are returned, not
// followed, as a proxy returns them.
func (m *mesh) sidecar(app, version string) *http.Client {
	rt := policy.NewRuntime(m.reg)
	id := routehttp.StaticIdentity("default", map[string]string{"app": app, "version": version})
	return &http.Client{
		Transport:     routehttp.NewTransport(m.store, rt, routehttp.WithIdentity(id)),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// setRatingsDown adds (or removes) the ratings v1 endpoint that refuses
// connections.
func (m *mesh) setRatingsDown(down bool) {
	eps := []subset.Endpoint{m.ratingsEP}
	if down {
		eps = append(eps, m.deadEP)
	}
	m.reg.Set("ratings.default.svc.cluster.local", eps)
}

func (m *mesh) close() {
	for _, s := range m.servers {
		s.Close()
	}
}

func (m *mesh) closeWith(err error) error {
	m.close()
	return err
}

// closedPort returns a loopback port nothing listens on.
func closedPort() (uint32, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		return 0, err
	}
	return uint32(port), nil
}

// ratings answers after the delay hdrRatingsDelay asks for.
func (m *mesh) ratings(w http.ResponseWriter, r *http.Request) {
	m.ratingsHits.Add(1)
	if d, err := time.ParseDuration(r.Header.Get(hdrRatingsDelay)); err == nil && d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"id":0,"ratings":{"Reviewer1":5,"Reviewer2":4}}`)
}

func details(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"id":0,"author":"William Shakespeare","year":1595,"type":"paperback"}`)
}

// reviews is one version of the reviews service; v2 and v3 call ratings.
type reviews struct {
	version string
	client  *http.Client
}

func (rv *reviews) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ans := reviewsAnswer{Version: rv.version, Path: r.URL.RequestURI()}
	if rv.version != "v1" {
		start := time.Now()
		resp, err := call(r.Context(), rv.client, "http://ratings:9080/ratings/0", r.Header)
		ans.RatingsTime = time.Since(start)
		if err == nil {
			ans.RatingsStatus = resp.StatusCode
		}
	}
	writeJSON(w, ans)
}

// productpage calls details and reviews through its sidecar client.
type productpage struct{ client *http.Client }

func (p *productpage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ans pageAnswer
	if resp, err := call(r.Context(), p.client, "http://details:9080/details/0", r.Header); err == nil {
		ans.DetailsStatus = resp.StatusCode
	}
	resp, err := call(r.Context(), p.client, "http://reviews:9080/reviews/0", r.Header)
	if err == nil {
		ans.ReviewsStatus = resp.StatusCode
		if resp.StatusCode == http.StatusOK {
			if err := json.Unmarshal(resp.body, &ans.Reviews); err != nil {
				ans.ReviewsStatus = http.StatusBadGateway
			}
		}
	}
	writeJSON(w, ans)
}

// response is a read response: status, headers and body.
type response struct {
	StatusCode int
	Header     http.Header
	body       []byte
}

// call GETs url with client, passing on the propagated headers of in.
func call(ctx context.Context, client *http.Client, url string, in http.Header) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	for _, h := range propagated {
		if v := in.Values(h); len(v) > 0 {
			req.Header[h] = v
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return &response{StatusCode: resp.StatusCode, Header: resp.Header, body: body}, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Write(b)
}

// headerList turns "Name: value" strings into a header.
func headerList(kv ...string) http.Header {
	h := http.Header{}
	for _, s := range kv {
		name, value, _ := strings.Cut(s, ":")
		h.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return h
}
