package main

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/meshroute/meshroute/route"
	"github.com/meshroute/meshroute/route/routetest"
)

func init() {
	register(command{
		name:    "test",
		usage:   "test [flags] FILE... -- check routing expectations written in YAML; exit 1 with a diff per failing case",
		example: "routectl test ./routing_test.yaml   # the file lists config: [paths] and tests: [{name, request, want}]",
		run:     runTest,
	})
}

// testFile is the YAML routectl test reads.
type testFile struct {
	// Config lists configuration files or directories, relative to the
	// test file.
	Config []string         `json:"config"`
	Tests  []routetest.Case `json:"tests"`
}

// runTest runs every case of every FILE and prints PASS or FAIL with a
// go-cmp diff per case. Exit status: 0 when all pass, 1 when any fails, 2
// on usage or load errors.
func runTest(args []string, stdout, stderr io.Writer) int {
	c := commands["test"]
	fs := newFlagSet(c, stderr)
	var files stringList
	fs.Var(&files, "f", "configuration file or directory added to every FILE's config (repeatable)")
	ns := fs.String("namespace", "default", "namespace of objects whose metadata names none, and of the caller")
	seed := fs.Uint64("seed", 1, "seed for weighted picks and fault sampling, so weighted expectations are reproducible")
	istio := fs.Bool("istio", false, "today's Istio semantics instead of the seeds' (no default timeout, faults without percentage never fire)")
	verbose := fs.Bool("v", false, "print passing cases too")
	if code, done := parseFlags(c, fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() == 0 {
		return usageError(stderr, c.name, errors.New("no FILE given: a YAML file with config: [paths] and tests: [{name, request: {method, url, headers}, want: {subset, ...}}]"))
	}
	var passed, failed int
	for _, name := range fs.Args() {
		tf, err := readTestFile(name)
		if err != nil {
			return usageError(stderr, c.name, err)
		}
		paths := append([]string(nil), files...)
		for _, p := range tf.Config {
			if !filepath.IsAbs(p) && p != "-" {
				p = filepath.Join(filepath.Dir(name), p)
			}
			paths = append(paths, p)
		}
		if len(paths) == 0 {
			return usageError(stderr, c.name, fmt.Errorf("%s: no configuration: list files under config:, or give -f PATH", name))
		}
		cfg, err := route.LoadPaths(paths, route.WithStdin(stdin), route.WithDefaultNamespace(*ns))
		if err != nil {
			return usageError(stderr, c.name, fmt.Errorf("%s: %v (run \"routectl validate %s\")", name, err, strings.Join(paths, " ")))
		}
		opts := []route.Option{route.WithNamespace(*ns), route.WithRand(rand.NewPCG(*seed, *seed))}
		if *istio {
			opts = append(opts, route.IstioSemantics())
		}
		tbl, err := route.Compile(cfg, opts...)
		if err != nil {
			return usageError(stderr, c.name, fmt.Errorf("%s: %v", name, err))
		}
		for i, tc := range tf.Tests {
			label := tc.Name
			if label == "" {
				label = fmt.Sprintf("tests[%d] %s %s", i, methodOr(tc.Request.Method), tc.Request.URL)
			}
			diff, err := routetest.Check(tbl, tc)
			switch {
			case err != nil:
				failed++
				fmt.Fprintf(stdout, "FAIL %s: %s: %v\n", name, label, err)
			case diff != "":
				failed++
				fmt.Fprintf(stdout, "FAIL %s: %s (-want +got):\n%s", name, label, indent(diff))
			default:
				passed++
				if *verbose {
					fmt.Fprintf(stdout, "PASS %s: %s\n", name, label)
				}
			}
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return exitFail
	}
	return exitOK
}

// readTestFile reads and strictly decodes a test file, so a misspelt key
// is an error rather than an expectation silently not checked.
func readTestFile(name string) (*testFile, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, err
	}
	var tf testFile
	if err := yaml.UnmarshalStrict(b, &tf); err != nil {
		return nil, fmt.Errorf("%s: %v (keys: config, tests; a test has name, request {method, url, headers, sourceLabels, sourceNamespace, gateway, port} and want {action, virtualService, rule, ruleName, host, subset, port, path, authority, status, location, timeout, retries, destinationRule})", name, err)
	}
	if len(tf.Tests) == 0 {
		return nil, fmt.Errorf("%s: no tests (list them under the tests key)", name)
	}
	return &tf, nil
}

func methodOr(m string) string {
	if m == "" {
		return "GET"
	}
	return m
}

func indent(s string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		if line != "" {
			b.WriteString("    " + line)
		}
	}
	return b.String()
}
