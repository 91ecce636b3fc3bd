package route

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// TestHostTableAgreesWithMap: the frozen table answers every key as the
// map it was built from, for short keys, keys longer than an entry holds,
// and keys it does not have, at every fill level.
func TestHostTableAgreesWithMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 7, 8, 9, 100, 5000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			m := map[string]*hostRef{}
			for i := range n {
				k := "svc" + strconv.Itoa(i) + ".example.com"
				if i%7 == 3 {
					k = strings.Repeat("x", hostKeyMax-2+i%5) + strconv.Itoa(i) // around the inline limit
				}
				m[k] = &hostRef{}
			}
			tbl := newHostTable(m)
			for k, want := range m {
				if got := tbl.get(k); got != want {
					t.Fatalf("get(%q) = %p, want %p", k, got, want)
				}
			}
			for range 1000 {
				k := "svc" + strconv.Itoa(n+r.IntN(1000)) + ".example.com"
				if r.IntN(2) == 0 {
					k = strings.Repeat("x", hostKeyMax+r.IntN(3))
				}
				if got, want := tbl.get(k), m[k]; got != want {
					t.Fatalf("get(%q) = %p, want %p", k, got, want)
				}
			}
		})
	}
	var empty *hostTable
	if got := empty.get("a"); got != nil {
		t.Errorf("nil table: get = %p, want nil", got)
	}
}

// FuzzHostTable builds a table from the input's comma-separated keys and
// looks up each key and each of its suffixes: the answers must be the
// map's.
func FuzzHostTable(f *testing.F) {
	f.Add("a,b.c,reviews.default.svc.cluster.local")
	f.Add(strings.Repeat("y", hostKeyMax) + "," + strings.Repeat("y", hostKeyMax+1) + ",")
	f.Fuzz(func(t *testing.T, keys string) {
		m := map[string]*hostRef{}
		for _, k := range strings.Split(keys, ",") {
			m[k] = &hostRef{}
		}
		tbl := newHostTable(m)
		for _, k := range strings.Split(keys, ",") {
			for i := range len(k) + 1 {
				if got, want := tbl.get(k[i:]), m[k[i:]]; got != want {
					t.Fatalf("get(%q) = %p, want %p", k[i:], got, want)
				}
			}
		}
	})
}
