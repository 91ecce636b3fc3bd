package main

import (
	"embed"
	"fmt"
	"io"
	"path"
	"strings"
)

//go:embed templates/*.yaml
var templateFS embed.FS

func init() {
	register(command{
		name:    "template",
		usage:   "template [NAME] -- print a commented VirtualService to start from (no NAME: list them)",
		example: "routectl template http-retry > retry.yaml && routectl validate retry.yaml",
		run:     runTemplate,
	})
}

// templateNames lists the templates, as the seeds name them.
func templateNames() []string {
	entries, _ := templateFS.ReadDir("templates")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	return names
}

// templateSummary is a template's first comment line.
func templateSummary(name string) string {
	b, err := templateFS.ReadFile(path.Join("templates", name+".yaml"))
	if err != nil {
		return ""
	}
	first, _, _ := strings.Cut(string(b), "\n")
	first, _, _ = strings.Cut(first, ":")
	return strings.TrimSpace(strings.TrimPrefix(first, "#"))
}

// runTemplate prints the named template, or the list of templates.
func runTemplate(args []string, stdout, stderr io.Writer) int {
	c := commands["template"]
	fs := newFlagSet(c, stderr)
	if code, done := parseFlags(c, fs, args, stdout, stderr); done {
		return code
	}
	switch fs.NArg() {
	case 0:
		for _, n := range templateNames() {
			fmt.Fprintf(stdout, "%-24s %s\n", n, templateSummary(n))
		}
		return exitOK
	case 1:
	default:
		return usageError(stderr, c.name, fmt.Errorf("want one template NAME, got %d", fs.NArg()))
	}
	name := strings.TrimSuffix(fs.Arg(0), ".yaml")
	b, err := templateFS.ReadFile(path.Join("templates", name+".yaml"))
	if err != nil || strings.Contains(name, "/") {
		return usageError(stderr, c.name, fmt.Errorf("no template %q; choose one of: %s", fs.Arg(0), strings.Join(templateNames(), ", ")))
	}
	stdout.Write(b)
	return exitOK
}
