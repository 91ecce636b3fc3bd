package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

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

// print writes the table — text columns left-aligned, numbers
// right-aligned — then the notes on what each router left out.
func (t *table) print(out io.Writer) {
	cells := [][]string{{"workload", "router", "rules", "requests", "ns/op", "allocs/op", "× meshroute", "note"}}
	for _, r := range t.rows {
		if !r.measured {
			cells = append(cells, []string{r.workload, r.router, "", "", "", "", "", r.note})
			continue
		}
		cells = append(cells, []string{r.workload, r.router, strconv.Itoa(r.rules), strconv.Itoa(r.requests),
			strconv.FormatFloat(r.ns, 'f', 1, 64), strconv.FormatFloat(r.allocs, 'f', 2, 64),
			strconv.FormatFloat(r.ratio, 'f', 2, 64), r.note})
	}
	width := make([]int, len(cells[0]))
	for _, row := range cells {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, row := range cells {
		var b strings.Builder
		for i, c := range row {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			switch {
			case i == len(row)-1:
				b.WriteString(c)
			case i < 2:
				b.WriteString(c + pad + "  ")
			default:
				b.WriteString(pad + c + "  ")
			}
		}
		fmt.Fprintln(out, strings.TrimRight(b.String(), " "))
	}
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
