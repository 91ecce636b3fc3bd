package main

import (
	"fmt"
	"net/http"
	"time"
)

// step is one configuration of the walkthrough: the file in force (with
// the DestinationRules), an optional change to the running services, and
// the batches of requests whose outcome must follow the configuration.
type step struct {
	title string
	file  string // in config/
	// setup changes the services for the step and returns the undo.
	setup   func(m *mesh) func()
	batches []batch
	// note explains a surprise the table shows.
	note string
}

// hop says whose status a productpage request reports.
type hop uint8

const (
	hopReviews hop = iota // productpage → reviews
	hopRatings            // reviews (v2, v3) → ratings
	hopDirect             // productpage's sidecar → reviews, no page
)

// batch is n identical requests and what their outcomes must show.
type batch struct {
	label    string
	n        int
	headers  []string // "Name: value"
	hop      hop
	path     string // hopDirect: path on reviews
	parallel int    // requests in flight at once; 0 or 1: one at a time
	want     check
}

// steps returns the walkthrough with its delays scaled by s.
func steps(s scaler) []step {
	return []step{
		{
			title: "All traffic to reviews v1",
			file:  "01-all-v1.yaml",
			batches: []batch{
				{label: "GET /productpage", n: 30, want: allVersion("v1")},
			},
		},
		{
			title: "Jason sees reviews v2 (header or cookie), everyone else v1",
			file:  "02-jason.yaml",
			note: "the seeds' cookie regex allows no space after ';', so the way browsers join cookies " +
				"(\"session=1; user=jason\") does not match it",
			batches: []batch{
				{label: "end-user: jason", n: 15, headers: []string{"End-User: jason"}, want: allVersion("v2")},
				{label: "cookie: session=1;user=jason", n: 15, headers: []string{"Cookie: session=1;user=jason"}, want: allVersion("v2")},
				// The seeds' regex allows no space after ';', so the way
				// browsers join cookies does not match it.
				{label: "cookie: session=1; user=jason", n: 15, headers: []string{"Cookie: session=1; user=jason"}, want: allVersion("v1")},
				{label: "cookie: user=jasonx", n: 15, headers: []string{"Cookie: user=jasonx"}, want: allVersion("v1")},
				{label: "no user", n: 15, want: allVersion("v1")},
			},
		},
		{
			title: "Weighted split 75/25 between v1 and v2",
			file:  "03-split-75-25.yaml",
			batches: []batch{
				{label: "GET /productpage", n: 400, want: split(map[string]float64{"v1": 75, "v2": 25}, 7)},
			},
		},
		{
			title: "Weighted split 50/50 between v1 and v3",
			file:  "04-split-50-v3.yaml",
			batches: []batch{
				{label: "GET /productpage", n: 400, want: split(map[string]float64{"v1": 50, "v3": 50}, 7)},
			},
		},
		{
			title: "A 10s timeout on ratings",
			file:  "05-timeout.yaml",
			batches: []batch{
				{label: "ratings answers in " + s.label(time.Second), n: 10, hop: hopRatings, parallel: 10,
					headers: []string{hdrRatingsDelay + ": " + s.d(time.Second).String()},
					want:    statusAfter(http.StatusOK, 0)},
				{label: "ratings answers in " + s.label(30*time.Second), n: 5, hop: hopRatings, parallel: 5,
					headers: []string{hdrRatingsDelay + ": " + s.d(30*time.Second).String()},
					want:    statusAfter(http.StatusGatewayTimeout, s.d(10*time.Second))},
			},
		},
		{
			title: "Retries: 3 attempts, 2s per try",
			file:  "06-retries.yaml",
			note: "refused connections are retried (connect-failure); a per-try timeout is retried only when " +
				"retryOn has 5xx or gateway-error, and the default retryOn has neither, as in Envoy",
			setup: func(m *mesh) func() {
				m.setRatingsDown(true)
				return func() { m.setRatingsDown(false) }
			},
			batches: []batch{
				// Refused connections are retried (connect-failure) on the
				// other endpoint: every request reaches ratings once.
				{label: "1 of 2 ratings endpoints refuses connections", n: 20, hop: hopRatings,
					want: both(statusAfter(http.StatusOK, 0), ratingsHits(20))},
				// A per-try timeout is retried only under 5xx or
				// gateway-error, which the default retryOn lacks: one
				// attempt each, cut at 2s.
				{label: "ratings answers in " + s.label(10*time.Second), n: 3, hop: hopRatings, parallel: 3,
					headers: []string{hdrRatingsDelay + ": " + s.d(10*time.Second).String()},
					want:    both(statusAfter(http.StatusGatewayTimeout, s.d(2*time.Second)), ratingsHits(3))},
			},
		},
		{
			title: "Fault: a 5s delay on 10% of ratings calls",
			file:  "07-delay.yaml",
			batches: []batch{
				{label: "GET /productpage", n: 200, hop: hopRatings, parallel: 10,
					want: slowShare(s.d(4*time.Second), 10, 6)},
			},
		},
		{
			title: "Fault: HTTP 400 on 10% of ratings calls",
			file:  "08-abort.yaml",
			batches: []batch{
				{label: "GET /productpage", n: 200, hop: hopRatings, want: statusShare(http.StatusBadRequest, 10, 6)},
			},
		},
		{
			title: "Rewrite and redirect (productpage's sidecar calls reviews directly)",
			file:  "09-rewrite-redirect.yaml",
			batches: []batch{
				{label: "GET /wpcatalog/books", n: 5, hop: hopDirect, path: "/wpcatalog/books", want: servedAt("v2", "/newcatalog/books")},
				{label: "GET /consumercatalog?page=2", n: 5, hop: hopDirect, path: "/consumercatalog?page=2", want: servedAt("v2", "/newcatalog?page=2")},
				{label: "GET /v1/getProductReviews?id=0", n: 3, hop: hopDirect, path: "/v1/getProductReviews?id=0",
					want: redirectTo(http.StatusMovedPermanently, "http://reviews:9080/reviews/0?id=0")},
				{label: "GET /reviews/0", n: 5, hop: hopDirect, path: "/reviews/0", want: servedAt("v1", "/reviews/0")},
			},
		},
	}
}

// scaler shrinks the configuration's durations so the walkthrough runs in
// seconds.
type scaler float64

// d returns d scaled.
func (s scaler) d(d time.Duration) time.Duration { return time.Duration(float64(d) * float64(s)) }

// label writes a configured duration and what it is scaled to: "10s
// (500ms)".
func (s scaler) label(d time.Duration) string {
	if s == 1 {
		return d.String()
	}
	return fmt.Sprintf("%v (%v)", d, s.d(d))
}
