package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"text/tabwriter"
	"time"
)

// send runs batch b against the mesh and gathers the outcomes.
func send(ctx context.Context, m *mesh, b batch) *result {
	outs := make([]outcome, b.n)
	hits := m.ratingsHits.Load()
	par := max(b.parallel, 1)
	var wg sync.WaitGroup
	next := make(chan int)
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				outs[i] = one(ctx, m, b)
			}
		}()
	}
	for i := range b.n {
		next <- i
	}
	close(next)
	wg.Wait()
	return &result{outs: outs, ratingsHits: m.ratingsHits.Load() - hits}
}

// one sends one request of batch b.
func one(ctx context.Context, m *mesh, b batch) outcome {
	hdr := headerList(b.headers...)
	start := time.Now()
	if b.hop == hopDirect {
		resp, err := call(ctx, m.pageClient, "http://reviews:9080"+b.path, hdr)
		o := outcome{latency: time.Since(start)}
		if err != nil {
			return o
		}
		o.status = resp.StatusCode
		o.location = resp.Header.Get("Location")
		if resp.StatusCode == http.StatusOK {
			var ans reviewsAnswer
			if json.Unmarshal(resp.body, &ans) == nil {
				o.version, o.path = ans.Version, ans.Path
			}
		}
		return o
	}
	client := &http.Client{}
	resp, err := call(ctx, client, m.productpage, hdr)
	o := outcome{latency: time.Since(start)}
	if err != nil || resp.StatusCode != http.StatusOK {
		return o
	}
	var page pageAnswer
	if json.Unmarshal(resp.body, &page) != nil {
		return o
	}
	o.version, o.path, o.ratingsTime = page.Reviews.Version, page.Reviews.Path, page.Reviews.RatingsTime
	o.status = page.ReviewsStatus
	if b.hop == hopRatings {
		o.status = page.Reviews.RatingsStatus
	}
	if page.DetailsStatus != http.StatusOK {
		o.status = 0 // details must always answer
	}
	return o
}

// row is one batch as the table shows it.
type row struct {
	b       batch
	r       *result
	problem string
}

var hopNames = [...]string{hopReviews: "reviews", hopRatings: "ratings", hopDirect: "reviews"}

// printTable prints one aligned line per batch and its verdict.
func printTable(w io.Writer, rows []row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  \tREQUESTS\tN\tSERVED BY\tSTATUS\tP50\tMAX\tWANT")
	for _, r := range rows {
		mark := "✓"
		if r.problem != "" {
			mark = "✗"
		}
		served := formatVersions(r.r.versions())
		if r.b.hop == hopDirect && len(r.r.outs) > 0 {
			switch o := r.r.outs[0]; {
			case o.location != "":
				served = "Location: " + o.location
			case o.path != "":
				served += " at " + o.path
			}
		}
		want := r.b.want.want
		if r.b.want.observed != nil {
			want += " (" + r.b.want.observed(r.r) + ")"
		}
		if r.problem != "" {
			want += " — got " + r.problem
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%s %s\t%s\t%s\t%s\n", mark, r.b.label, r.r.n(), served,
			hopNames[r.b.hop], formatStatuses(r.r.statuses()), ms(r.r.p50()), ms(r.r.max()), want)
	}
	tw.Flush()
}

// ms formats a latency in milliseconds with one decimal.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}
