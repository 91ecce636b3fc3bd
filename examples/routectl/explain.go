package main

import (
	"fmt"
	"io"
)

func init() {
	register(command{
		name:    "explain",
		usage:   "explain -f PATH [-f PATH...] [flags] METHOD URL -- show why a request is routed as it is: every VirtualService, rule and clause tried",
		example: "routectl explain -f ./istio/ -H 'end-user: jason' GET http://reviews:9080/reviews/0",
		run:     runExplain,
	})
}

// runExplain prints the trace of one decision, as text or (-o json) JSON.
func runExplain(args []string, stdout, stderr io.Writer) int {
	c := commands["explain"]
	fs := newFlagSet(c, stderr)
	var rf requestFlags
	rf.add(fs)
	format := fs.String("o", "text", "output format: text or json")
	if code, done := parseFlags(c, fs, args, stdout, stderr); done {
		return code
	}
	if *format != "text" && *format != "json" {
		return usageError(stderr, c.name, fmt.Errorf("-o %q: want text or json", *format))
	}
	req, tbl, code, ok := rf.requestAndTable(c, fs.Args(), stderr)
	if !ok {
		return code
	}
	ex := tbl.Explain(&req)
	if *format == "json" {
		return writeJSON(stdout, stderr, c.name, ex)
	}
	fmt.Fprint(stdout, ex.String())
	return exitOK
}
