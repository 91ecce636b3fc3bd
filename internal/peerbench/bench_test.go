package peerbench

import "testing"

// BenchmarkPeers measures every router's lookup on every workload:
// BenchmarkPeers/<workload>/<router>. A router that leaves rules out is
// measured on the rest, and meshroute again on that same subset as
// BenchmarkPeers/<workload>/meshroute-subset-<router>, so each ratio
// compares the same requests. A router that expresses none of a workload
// is skipped with the reason.
func BenchmarkPeers(b *testing.B) {
	for _, name := range WorkloadNames {
		b.Run(name, func(b *testing.B) {
			w, err := NewWorkload(name)
			if err != nil {
				b.Fatal(err)
			}
			for _, c := range Plan(w, Routers) {
				if c.Empty() {
					b.Run(BenchName(c.Router.Name), func(b *testing.B) {
						b.Skipf("%s cannot express %s: %s", c.Router.Name, name, c.Why())
					})
					continue
				}
				if c.Partial() {
					b.Run(c.BaselineName(), benchCase(c.Baseline()))
				}
				b.Run(BenchName(c.Router.Name), benchCase(c))
			}
		})
	}
}

func benchCase(c Case) func(*testing.B) {
	return func(b *testing.B) {
		l, err := c.Router.Build(c.Workload)
		if err != nil {
			b.Fatal(err)
		}
		if bad, first := CheckSample(l, c.Workload, CheckLimit); bad > 0 {
			b.Logf("%s: %d of the requests checked disagree with Expected; first: %s", c.Router.Name, bad, first)
		}
		if c.Partial() {
			b.Logf("%s leaves out %s", c.Router.Name, c.Why())
		}
		Bench(l, len(c.Workload.Requests))(b)
	}
}
