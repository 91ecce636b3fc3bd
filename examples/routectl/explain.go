package main

import (
	"fmt"
	"io"
)

func init() {
	register(command{
		name: "explain",
		usage: "explain -f PATH [-f PATH...] [flags] METHOD URL | --protocol tcp|tls [--dest ADDRESS:PORT] [--sni NAME] [flags]" +
			" -- show why a request or connection is routed as it is: every VirtualService, rule and clause tried",
		example: "routectl explain -f ./istio/ -H 'end-user: jason' GET http://reviews:9080/reviews/0\n" +
			"  routectl explain -f ./istio/ --protocol tcp --dest 10.1.0.5:5432 --source-labels app=admin",
		run: runExplain,
	})
}

// runExplain prints the trace of one decision, as text or (-o json) JSON:
// the library's (route.Table.Explain, ExplainTCP, ExplainTLS), for a TCP
// or TLS connection with the connection described after the view.
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
	if rf.l4() {
		ex := rf.explainL4(tbl, &req)
		if *format == "json" {
			return writeJSON(stdout, stderr, c.name, ex)
		}
		ex.write(stdout)
		return exitOK
	}
	ex := tbl.Explain(&req)
	if *format == "json" {
		return writeJSON(stdout, stderr, c.name, ex)
	}
	fmt.Fprint(stdout, ex.String())
	return exitOK
}
