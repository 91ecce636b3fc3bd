// Command compare measures meshroute's Decide beside chi, gorilla/mux,
// httprouter and net/http's ServeMux on the routebench workloads and
// prints one table: workload, router, rules and requests measured, ns/op,
// allocs/op, and the router's time as a multiple of meshroute's on the
// same rules and requests. Under the table it lists what each router could
// not express.
//
// Usage:
//
//	cd internal/peerbench && go run ./cmd/compare [-benchtime 200ms] [-workloads routes=10,hosts=10000] [-routers chi,servemux]
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/meshroute/meshroute/internal/peerbench"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func run(args []string, out, logw io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(logw)
	benchtime := fs.String("benchtime", "200ms", "time (or Nx iterations) per benchmark, as go test -benchtime")
	workloads := fs.String("workloads", strings.Join(peerbench.WorkloadNames, ","), "comma-separated workloads: routes=N, hosts=N")
	routers := fs.String("routers", "", "comma-separated routers besides meshroute (default all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	testing.Init()
	if err := flag.Set("test.benchtime", *benchtime); err != nil {
		return fmt.Errorf("-benchtime %q: %v", *benchtime, err)
	}
	rs, err := pickRouters(*routers)
	if err != nil {
		return err
	}
	t := &table{}
	for _, name := range strings.Split(*workloads, ",") {
		fmt.Fprintf(logw, "measuring %s ...\n", name)
		if err := measureWorkload(t, strings.TrimSpace(name), rs); err != nil {
			return err
		}
	}
	t.print(out)
	return nil
}

func pickRouters(list string) ([]peerbench.Router, error) {
	if list == "" {
		return peerbench.Routers, nil
	}
	rs := []peerbench.Router{peerbench.Meshroute}
	for _, name := range strings.Split(list, ",") {
		r, ok := peerbench.RouterNamed(strings.TrimSpace(name))
		if !ok {
			return nil, fmt.Errorf("unknown router %q (have meshroute, chi, gorilla/mux, httprouter, servemux)", name)
		}
		if r.Name != peerbench.Meshroute.Name {
			rs = append(rs, r)
		}
	}
	return rs, nil
}

// measureWorkload measures every router on workload name and adds the
// rows to t. meshroute comes first; a router that leaves rules out is
// preceded by meshroute on its subset.
func measureWorkload(t *table, name string, rs []peerbench.Router) error {
	w, err := peerbench.NewWorkload(name)
	if err != nil {
		return err
	}
	var full result
	for _, c := range peerbench.Plan(w, rs) {
		if c.Empty() {
			t.rows = append(t.rows, row{workload: name, router: c.Router.Name, note: "cannot express: " + c.Why()})
			t.notes = append(t.notes, name+" "+c.Router.Name+": "+c.Why()+" (not measured)")
			continue
		}
		base := full
		if c.Partial() {
			b, err := measure(c.Baseline())
			if err != nil {
				return err
			}
			base = b
			t.add(name, c.BaselineName(), c.Baseline(), b, b)
			t.notes = append(t.notes, name+" "+c.Router.Name+": left out "+c.Why())
		}
		r, err := measure(c)
		if err != nil {
			return err
		}
		if c.Router.Name == peerbench.Meshroute.Name {
			full, base = r, r
		}
		t.add(name, c.Router.Name, c, r, base)
	}
	return nil
}

type result struct {
	ns, allocs float64
	bad        int
	first      string
}

func measure(c peerbench.Case) (result, error) {
	l, err := c.Router.Build(c.Workload)
	if err != nil {
		return result{}, err
	}
	bad, first := peerbench.CheckSample(l, c.Workload, peerbench.CheckLimit)
	br := testing.Benchmark(peerbench.Bench(l, len(c.Workload.Requests)))
	if br.N == 0 {
		return result{}, fmt.Errorf("%s on %s: benchmark did not run", c.Router.Name, c.Full.Name)
	}
	return result{
		ns:     float64(br.T.Nanoseconds()) / float64(br.N),
		allocs: float64(br.MemAllocs) / float64(br.N),
		bad:    bad,
		first:  first,
	}, nil
}
