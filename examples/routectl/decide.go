package main

import "io"

func init() {
	register(command{
		name:    "decide",
		usage:   "decide -f PATH [-f PATH...] [flags] METHOD URL -- print, as one JSON object, what Envoy would do with one request",
		example: "routectl decide -f ./istio/ --source-labels app=productpage -H 'end-user: jason' GET http://reviews:9080/reviews/0",
		run:     runDecide,
	})
}

// runDecide prints the decision for one request as JSON. Exit status 0
// for any decision (no route is an answer), 2 on usage or load errors.
func runDecide(args []string, stdout, stderr io.Writer) int {
	c := commands["decide"]
	fs := newFlagSet(c, stderr)
	var rf requestFlags
	rf.add(fs)
	if code, done := parseFlags(c, fs, args, stdout, stderr); done {
		return code
	}
	req, tbl, code, ok := rf.requestAndTable(c, fs.Args(), stderr)
	if !ok {
		return code
	}
	d := tbl.Decide(&req)
	return writeJSON(stdout, stderr, c.name, decisionJSON(tbl.Config(), &d))
}
