package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/meshroute/meshroute/route"
)

func init() {
	register(command{
		name:    "validate",
		usage:   "validate [flags] PATH... -- check Istio configuration and print one line per problem",
		example: "routectl validate ./istio/ extra.yaml   # or: kubectl get vs,dr -A -o yaml | routectl validate -",
		run:     runValidate,
	})
}

// runValidate loads PATHs (files, directories, "-" for standard input),
// validates them, prints "error: ...", "warning: ..." and "info: ..." lines
// on stdout and a summary on stderr. Exit status: 0 when every object is
// valid (warnings allowed), 1 when any is invalid (or, with -strict, has a
// warning), 2 on usage or I/O errors.
func runValidate(args []string, stdout, stderr io.Writer) int {
	c := commands["validate"]
	fs := newFlagSet(c, stderr)
	ns := fs.String("namespace", "default", "namespace of objects whose metadata names none")
	strict := fs.Bool("strict", false, "exit 1 on warnings too")
	quiet := fs.Bool("quiet", false, "print errors only (no warnings or info notes)")
	asJSON := fs.Bool("json", false, "print one JSON object per problem (severity, file, doc, kind, namespace, name, field, value, rule, code, message)")
	if code, done := parseFlags(c, fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "routectl validate: no PATH given (a file, a directory, or - for standard input)")
		fmt.Fprintln(stderr, `Run "routectl help validate" for usage.`)
		return exitUsage
	}
	cfg, err := route.LoadPaths(fs.Args(), route.WithStdin(stdin), route.WithDefaultNamespace(*ns))
	var problems route.Problems
	if err != nil && !errors.As(err, &problems) {
		fmt.Fprintf(stderr, "routectl validate: %v\n", err)
		return exitUsage
	}
	// Load problems are errors; Validate adds the loader's warnings.
	problems = append(problems, route.Validate(cfg)...)
	var nErr, nWarn, nInfo int
	for _, p := range problems {
		switch p.Severity {
		case route.SeverityError:
			nErr++
		case route.SeverityWarning:
			nWarn++
		default:
			nInfo++
		}
		if *quiet && p.Severity != route.SeverityError {
			continue
		}
		if *asJSON {
			writeProblemJSON(stdout, p)
			continue
		}
		fmt.Fprintln(stdout, p.String())
	}
	fmt.Fprintf(stderr, "%s checked: %s, %s, %s", plural(cfg.Len(), "object"), plural(nErr, "error"), plural(nWarn, "warning"), plural(nInfo, "note"))
	if n := len(cfg.Skipped); n > 0 {
		fmt.Fprintf(stderr, " (%s of other kinds skipped)", plural(n, "object"))
	}
	fmt.Fprintln(stderr)
	switch {
	case nErr > 0:
		return exitFail
	case *strict && nWarn > 0:
		return exitFail
	}
	return exitOK
}

// problemJSON is the -json form of a problem: its fields, and the line
// the text form prints as message.
type problemJSON struct {
	Severity  string `json:"severity"`
	File      string `json:"file,omitempty"`
	Doc       int    `json:"doc,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	Field     string `json:"field,omitempty"`
	Value     string `json:"value,omitempty"`
	Rule      string `json:"rule"`
	Code      string `json:"code"`
	Message   string `json:"message"`
}

func writeProblemJSON(w io.Writer, p *route.Problem) {
	b, _ := json.Marshal(problemJSON{
		Severity: p.Severity.String(), File: p.Source.File, Doc: p.Source.Doc,
		Kind: p.Object.Kind, Namespace: p.Object.Namespace, Name: p.Object.Name,
		Field: p.Field, Value: p.Value, Rule: p.Rule, Code: p.Code, Message: p.Error(),
	})
	fmt.Fprintf(w, "%s\n", b)
}

// plural formats a count with its noun: "1 error", "2 errors".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
