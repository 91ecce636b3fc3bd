package main

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/route"
)

func init() {
	register(command{
		name:    "table",
		usage:   "table -f PATH [-f PATH...] -- list every VirtualService rule, one row each, as a mesh dashboard shows them",
		example: "routectl table -f ./istio/",
		run:     runTable,
	})
}

// tableRow is one rule as routectl table prints it.
type tableRow struct {
	vs, gateways, hosts, match, destination, actions, protocol string
}

// runTable prints one aligned row per http, tcp and tls rule.
func runTable(args []string, stdout, stderr io.Writer) int {
	c := commands["table"]
	fs := newFlagSet(c, stderr)
	var files stringList
	fs.Var(&files, "f", "configuration file or directory, - for standard input (repeatable)")
	ns := fs.String("namespace", "default", "namespace of objects whose metadata names none")
	if code, done := parseFlags(c, fs, args, stdout, stderr); done {
		return code
	}
	files = append(files, fs.Args()...) // PATHs after the flags are accepted too
	if len(files) == 0 {
		return usageError(stderr, c.name, errors.New("no configuration: give -f PATH (a file, a directory, or - for standard input)"))
	}
	cfg, err := route.LoadPaths(files, route.WithStdin(stdin), route.WithDefaultNamespace(*ns))
	var problems route.Problems
	if err != nil && !errors.As(err, &problems) {
		return usageError(stderr, c.name, err)
	}
	if err != nil {
		fmt.Fprintf(stderr, "routectl table: %v (listing what loaded; run \"routectl validate\" for every problem)\n", err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VIRTUAL SERVICE\tGATEWAYS\tHOSTS\tMATCH\tDESTINATION\tACTIONS\tPROTOCOL")
	for _, vs := range cfg.VirtualServices {
		for _, r := range tableRows(vs) {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.vs, r.gateways, r.hosts, r.match, r.destination, r.actions, r.protocol)
		}
	}
	tw.Flush()
	if len(cfg.VirtualServices) == 0 {
		fmt.Fprintln(stderr, "routectl table: no VirtualService in", files.String())
	}
	return exitOK
}

// tableRows returns the rows of one VirtualService: its http rules, then
// tcp, then tls.
func tableRows(vs *route.VirtualService) []tableRow {
	s := vs.Spec
	base := tableRow{vs: vs.Namespace + "/" + vs.Name, gateways: listOr(s.GetGateways(), "mesh"), hosts: listOr(s.GetHosts(), "-")}
	var rows []tableRow
	for _, h := range s.GetHttp() {
		r := base
		r.protocol = "HTTP"
		r.match = httpMatches(h.GetMatch())
		r.destination = httpDestinations(h)
		r.actions = httpActions(h)
		rows = append(rows, r)
	}
	for _, t := range s.GetTcp() {
		r := base
		r.protocol = "TCP"
		var clauses []string
		for _, m := range t.GetMatch() {
			clauses = append(clauses, l4Match(nil, m.GetDestinationSubnets(), m.GetPort(), m.GetSourceLabels(), m.GetSourceNamespace(), m.GetGateways()))
		}
		r.match = orList(clauses)
		r.destination = routeDestinations(t.GetRoute())
		r.actions = "-"
		rows = append(rows, r)
	}
	for _, t := range s.GetTls() {
		r := base
		r.protocol = "TLS"
		var clauses []string
		for _, m := range t.GetMatch() {
			clauses = append(clauses, l4Match(m.GetSniHosts(), m.GetDestinationSubnets(), m.GetPort(), m.GetSourceLabels(), m.GetSourceNamespace(), m.GetGateways()))
		}
		r.match = orList(clauses)
		r.destination = routeDestinations(t.GetRoute())
		r.actions = "-"
		rows = append(rows, r)
	}
	return rows
}

// httpDestinations renders a rule's weighted destinations, or its
// delegate.
func httpDestinations(h *networking.HTTPRoute) string {
	if d := h.GetDelegate(); d != nil {
		ns := d.GetNamespace()
		if ns == "" {
			ns = "."
		}
		return "delegate " + ns + "/" + d.GetName()
	}
	var parts []string
	for _, d := range h.GetRoute() {
		parts = append(parts, destination(d.GetDestination(), d.GetWeight(), len(h.GetRoute())))
	}
	return listOr(parts, "-")
}

func routeDestinations(rs []*networking.RouteDestination) string {
	var parts []string
	for _, d := range rs {
		parts = append(parts, destination(d.GetDestination(), d.GetWeight(), len(rs)))
	}
	return listOr(parts, "-")
}

// destination renders host[:port][/subset][ weight%].
func destination(d *networking.Destination, weight int32, n int) string {
	s := d.GetHost()
	if p := d.GetPort().GetNumber(); p != 0 {
		s += fmt.Sprintf(":%d", p)
	}
	if d.GetSubset() != "" {
		s += "/" + d.GetSubset()
	}
	if n > 1 {
		s += fmt.Sprintf(" %d%%", weight)
	}
	return s
}
