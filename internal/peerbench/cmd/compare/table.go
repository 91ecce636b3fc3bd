package main

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/meshroute/meshroute/internal/peerbench"
)

type table struct {
	rows  []row
	notes []string
}

type row struct {
	workload, router string
	rules, requests  int
	ns, allocs       float64
	ratio            float64 // ns / meshroute's ns on the same requests
	note             string
	measured         bool
}

func (t *table) add(workload, router string, c peerbench.Case, r, base result) {
	rw := row{workload: workload, router: router, rules: len(c.Workload.Rules), requests: len(c.Workload.Requests),
		ns: r.ns, allocs: r.allocs, measured: true}
	if base.ns > 0 {
		rw.ratio = r.ns / base.ns
	}
	if r.bad > 0 {
		rw.note = fmt.Sprintf("WRONG on %d checked requests, e.g. %s", r.bad, r.first)
	}
	t.rows = append(t.rows, rw)
}

// print writes the table, then the notes on what each router left out.
func (t *table) print(out io.Writer) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\trouter\trules\trequests\tns/op\tallocs/op\t× meshroute\t\tnote")
	for _, r := range t.rows {
		if !r.measured {
			fmt.Fprintf(tw, "%s\t%s\t\t\t\t\t\t\t%s\n", r.workload, r.router, r.note)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t\t%s\n", r.workload, r.router, r.rules, r.requests,
			strconv.FormatFloat(r.ns, 'f', 1, 64), strconv.FormatFloat(r.allocs, 'f', 2, 64),
			strconv.FormatFloat(r.ratio, 'f', 2, 64), r.note)
	}
	tw.Flush()
	fmt.Fprintln(out)
	fmt.Fprintln(out, "× meshroute: the router's ns/op divided by meshroute's on the same rules and requests")
	fmt.Fprintln(out, "(meshroute-subset-<router> rows are meshroute measured on that router's subset).")
	if len(t.notes) > 0 {
		fmt.Fprintln(out, "What each router could not express (those rules and their requests are left out):")
		for _, n := range t.notes {
			fmt.Fprintln(out, "  "+n)
		}
	}
}
