package main

import "io"

func init() {
	register(command{
		name: "decide",
		usage: "decide -f PATH [-f PATH...] [flags] METHOD URL | --protocol tcp|tls [--dest ADDRESS:PORT] [--sni NAME] [flags]" +
			" -- print, as one JSON object, what Envoy would do with one request or one TCP or TLS connection",
		example: "routectl decide -f ./istio/ --source-labels app=productpage -H 'end-user: jason' GET http://reviews:9080/reviews/0\n" +
			"  routectl decide -f ./istio/ --protocol tls --sni login.example.com --dest 10.0.0.7:443",
		run: runDecide,
	})
}

// runDecide prints the decision for one request, or one TCP or TLS
// connection, as JSON; a connection's decision has the request's keys but
// the HTTP-only ones (path, authority, timeout, retries, ...). Exit status
// 0 for any decision (no route is an answer), 2 on usage or load errors.
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
	d := rf.decide(tbl, &req)
	out := decisionJSON(tbl.Config(), &d)
	if rf.l4() {
		out.Timeout = "" // a TCP or TLS route has no timeout
	}
	return writeJSON(stdout, stderr, c.name, out)
}
