// Command bookinfo runs Istio's bookinfo application in one process on
// loopback — productpage, details, reviews v1/v2/v3 and ratings — with
// every service-to-service call going through meshroute's
// sidecar-in-a-library (routehttp.NewTransport), and walks through the
// routing configurations of Istio's traffic-management documentation: all
// traffic to v1, a header and cookie match, weighted splits, a timeout,
// retries, delay and abort faults, a rewrite and a redirect.
//
// For each step it prints the YAML in force, sends a batch of requests,
// shows what served them (versions, status codes, latencies) and checks
// that the behaviour is the one configured. It exits 0 only if every step
// behaved as configured.
//
// Usage:
//
//	go run ./examples/bookinfo [-scale 0.05] [-seed 1] [-quiet]
//
// The configuration's durations (timeouts, delays) are multiplied by
// -scale so the walkthrough takes seconds; -scale 1 runs them for real.
package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/meshroute/meshroute/route"
)

//go:embed config/*.yaml
var configFS embed.FS

// destinationRules is in force in every step.
const destinationRules = "00-destination-rules.yaml"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bookinfo:", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(1)
	}
}

// run parses args, runs the walkthrough and writes it to stdout. It
// returns an error naming every batch that did not behave as configured.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bookinfo", flag.ContinueOnError)
	fs.SetOutput(stdout)
	scale := fs.Float64("scale", 0.05, "multiply the configuration's timeouts and delays by this factor (0 < scale <= 1); 1 runs them for real")
	seed := fs.Uint64("seed", 1, "seed of the weighted picks and fault sampling; the same seed gives the same counts")
	quiet := fs.Bool("quiet", false, "do not print the YAML of each step")
	fs.Usage = func() {
		fmt.Fprintln(stdout, "usage: go run ./examples/bookinfo [-scale 0.05] [-seed 1] [-quiet]")
		fmt.Fprintln(stdout, "\nRuns Istio's bookinfo on loopback and checks each routing step behaves as configured.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags only; try -h)", fs.Arg(0))
	}
	if !(*scale > 0 && *scale <= 1) {
		return fmt.Errorf("-scale %v: want a factor in (0, 1], e.g. 0.05 to run a 10s timeout in 500ms", *scale)
	}
	s := scaler(*scale)

	drs, err := configFile(destinationRules, s)
	if err != nil {
		return err
	}
	cfg, err := route.LoadBytes(drs, destinationRules)
	if err != nil {
		return err
	}
	src := &lockedSource{src: rand.NewPCG(*seed, *seed)}
	// The seeds' 15s default route timeout is not scaled: it stays far
	// above every scaled duration, so only the configured timeouts fire.
	store, err := route.NewStore(cfg, route.WithRand(src))
	if err != nil {
		return err
	}
	m, err := newMesh(store)
	if err != nil {
		return err
	}
	defer m.close()

	start := time.Now()
	fmt.Fprintf(stdout, "bookinfo on 127.0.0.1: productpage, details, reviews v1 v2 v3, ratings\n")
	fmt.Fprintf(stdout, "every call between services goes through routehttp.NewTransport; durations × %v (-scale), seed %d\n", *scale, *seed)
	if !*quiet {
		fmt.Fprintf(stdout, "\nIn force in every step (%s):\n", destinationRules)
		printYAML(stdout, drs)
	}
	var failed []string
	all := steps(s)
	for i, st := range all {
		if err := ctx.Err(); err != nil {
			return err
		}
		text, err := configFile(st.file, s)
		if err != nil {
			return err
		}
		cfg, err := route.LoadBytes(append(append(drs, "\n---\n"...), text...), st.file)
		if err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
		if err := store.Update(cfg); err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
		fmt.Fprintf(stdout, "\n── Step %d/%d: %s ──\n", i+1, len(all), st.title)
		if !*quiet {
			fmt.Fprintf(stdout, "%s:\n", st.file)
			printYAML(stdout, text)
		}
		undo := func() {}
		if st.setup != nil {
			undo = st.setup(m)
		}
		rows := make([]row, len(st.batches))
		for j, b := range st.batches {
			res := send(ctx, m, b)
			rows[j] = row{b: b, r: res, problem: b.want.verify(res)}
			if rows[j].problem != "" {
				failed = append(failed, fmt.Sprintf("step %d %q: %s", i+1, b.label, rows[j].problem))
			}
		}
		undo()
		if !*quiet {
			fmt.Fprintln(stdout)
		}
		printTable(stdout, rows)
		if st.note != "" {
			fmt.Fprintf(stdout, "  note: %s\n", st.note)
		}
	}
	fmt.Fprintf(stdout, "\n%d steps in %v: ", len(all), time.Since(start).Round(time.Millisecond))
	if len(failed) > 0 {
		fmt.Fprintf(stdout, "%d batches did not behave as configured\n", len(failed))
		return errors.New(strings.Join(failed, "; "))
	}
	fmt.Fprintln(stdout, "every batch behaved as configured ✓")
	return nil
}

// durationLine finds the configuration's durations.
var durationLine = regexp.MustCompile(`(?m)^(\s*(?:timeout|perTryTimeout|fixedDelay):\s*)"?([0-9.]+)(ms|s)"?\s*$`)

// configFile returns config/name with its durations multiplied by s.
func configFile(name string, s scaler) ([]byte, error) {
	b, err := configFS.ReadFile("config/" + name)
	if err != nil {
		return nil, err
	}
	if s == 1 {
		return b, nil
	}
	return durationLine.ReplaceAllFunc(b, func(line []byte) []byte {
		sub := durationLine.FindSubmatch(line)
		d, err := time.ParseDuration(string(sub[2]) + string(sub[3]))
		if err != nil {
			return line
		}
		secs := strconv.FormatFloat(s.d(d).Seconds(), 'f', -1, 64)
		return []byte(fmt.Sprintf("%s%ss   # %v × %v", sub[1], secs, d, float64(s)))
	}), nil
}

func printYAML(w io.Writer, b []byte) {
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		fmt.Fprintf(w, "    %s\n", line)
	}
}

// lockedSource makes a seeded generator safe for the concurrent requests
// of a batch.
type lockedSource struct {
	mu  sync.Mutex
	src rand.Source
}

func (l *lockedSource) Uint64() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.src.Uint64()
}
