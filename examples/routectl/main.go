// Command routectl works with Istio networking configuration the way
// meshroute reads it: validate it, ask what a request or a TCP or TLS
// connection would do (decide), explain a decision, print the compiled
// table, and run test cases.
//
// Usage:
//
//	routectl COMMAND [flags] [args]
//	routectl help COMMAND
//
// decide and explain take an HTTP request as METHOD URL, or, with
// --protocol tcp or tls, a connection described by flags alone:
//
//	routectl decide -f ./istio/ GET http://reviews:9080/reviews/0
//	routectl decide -f ./istio/ --protocol tcp --dest 10.1.0.5:5432 --source-labels app=admin
//	routectl explain -f ./istio/ --protocol tls --sni login.example.com --gateway istio-system/ingress
//
// --dest is the address (an IP, which destinationSubnets and ServiceEntry
// addresses match, or the host name dialled) and port the connection was
// opened to, --sni the TLS server name; --port, --gateway,
// --source-labels and --source-namespace mean what they mean for a
// request. A tls connection's port defaults to 443.
//
// Each command lives in its own file and registers itself from init with
// register, so adding a command never touches this file:
//
//	func init() {
//		register(command{
//			name:    "decide",
//			usage:   "decide -f PATH [-f PATH...] [flags] METHOD URL | --protocol tcp|tls ... -- print what Envoy would do with one request or connection",
//			example: "routectl decide -f ./istio/ GET http://reviews:9080/reviews/0",
//			run:     runDecide,
//		})
//	}
//
// Exit status: 0 on success, 1 when the command's answer is "no" (invalid
// configuration, failed test), 2 on usage or I/O errors.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Exit statuses shared by all commands.
const (
	exitOK    = 0 // success
	exitFail  = 1 // the command ran and its answer is negative (e.g. invalid config)
	exitUsage = 2 // bad command line, or an I/O error
)

// command is one routectl sub-command.
type command struct {
	name string // what the user types: "validate"
	// usage is "NAME [flags] ARGS -- one-line summary"; the part after " -- "
	// is shown in the command list.
	usage string
	// example is a complete command line shown by "routectl help NAME".
	example string
	// run executes the command with the arguments after its name and
	// returns the exit status. It must not call os.Exit, so tests can call
	// it directly. Read standard input through the package variable stdin.
	run func(args []string, stdout, stderr io.Writer) int
}

// stdin is what "-" reads; tests replace it.
var stdin io.Reader = os.Stdin

var commands = map[string]command{}

// register adds a command; it panics on a duplicate name, which is a
// programming error caught by any test run.
func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("routectl: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

func main() { os.Exit(runMain(os.Args[1:], os.Stdout, os.Stderr)) }

// runMain dispatches args to a command and returns the exit status.
func runMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		printUsage(stdout)
		return exitOK
	case "help":
		if len(args) == 1 {
			printUsage(stdout)
			return exitOK
		}
		c, ok := commands[args[1]]
		if !ok {
			fmt.Fprintf(stderr, "routectl: unknown command %q\n", args[1])
			printUsage(stderr)
			return exitUsage
		}
		printCommandHelp(stdout, c, nil)
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "routectl: unknown command %q\n", args[0])
		printUsage(stderr)
		return exitUsage
	}
	return c.run(args[1:], stdout, stderr)
}

// printUsage lists the commands.
func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: routectl COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, summary(commands[n]))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "routectl help COMMAND" or "routectl COMMAND -h" for a command's flags and an example.`)
}

func summary(c command) string {
	if _, s, ok := strings.Cut(c.usage, " -- "); ok {
		return s
	}
	return ""
}

// printCommandHelp prints a command's usage line, its flags (when fs is
// not nil) and its example.
func printCommandHelp(w io.Writer, c command, fs *flag.FlagSet) {
	use, sum, _ := strings.Cut(c.usage, " -- ")
	fmt.Fprintf(w, "usage: routectl %s\n", use)
	if sum != "" {
		fmt.Fprintf(w, "\n%s\n", sum)
	}
	if fs != nil {
		var flags strings.Builder
		fs.SetOutput(&flags)
		fs.PrintDefaults()
		if flags.Len() > 0 {
			fmt.Fprintf(w, "\nflags:\n%s", flags.String())
		}
	}
	if c.example != "" {
		fmt.Fprintf(w, "\nexample:\n  %s\n", c.example)
	}
}

// newFlagSet returns a flag set for c that reports parse errors on stderr;
// parse it with parseFlags, which prints the command's help on -h. Inside
// a run function, take c from the registry (c := commands["decide"]): a
// package variable holding the command would refer to its own run
// function, an initialization cycle.
//
//	fs := newFlagSet(c, stderr)
//	strict := fs.Bool("strict", false, "treat warnings as errors")
//	if code, done := parseFlags(c, fs, args, stdout, stderr); done {
//		return code
//	}
func newFlagSet(c command, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // parseFlags prints help where it belongs
	return fs
}

// parseFlags parses args with fs. On -h it prints c's help (usage, flags,
// example) to stdout; on a bad flag it points to the help on stderr. done
// is true when the command must stop and return code.
func parseFlags(c command, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case err == flag.ErrHelp:
		printCommandHelp(stdout, c, fs)
		return exitOK, true
	case err != nil:
		fmt.Fprintf(stderr, "Run \"routectl help %s\" for usage.\n", c.name)
		return exitUsage, true
	}
	return exitOK, false
}
