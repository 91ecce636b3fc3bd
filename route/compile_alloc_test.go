package route

import "testing"

func TestArenaHandsOutDistinctZeroedValues(t *testing.T) {
	var a arena[routeDest]
	seen := map[*routeDest]bool{}
	for i := range 1000 {
		d := a.new()
		if seen[d] {
			t.Fatalf("value %d handed out twice", i)
		}
		seen[d] = true
		if d.weight != 0 || d.dest.Host != "" {
			t.Fatalf("value %d not zeroed: %+v", i, d)
		}
		d.weight = uint64(i) + 1
	}
}

func TestSliceArenaSlicesDoNotOverlap(t *testing.T) {
	var s sliceArena[int]
	if got := s.make(0); got != nil {
		t.Errorf("make(0) = %v, want nil", got)
	}
	var lists [][]int
	for i := range 500 {
		n := 1 + i%5
		l := s.make(n)
		if len(l) != 0 || cap(l) != n {
			t.Fatalf("make(%d): len %d cap %d", n, len(l), cap(l))
		}
		for j := range n - i%2 { // some lists stay short of their capacity
			l = append(l, i*10+j)
		}
		lists = append(lists, full(l))
	}
	// Appending to a full list reallocates instead of writing into the
	// next list.
	for i := range lists {
		lists[i] = append(lists[i], -1)
	}
	for i, l := range lists {
		n := 1 + i%5 - i%2
		if n == 0 {
			if len(l) != 1 || l[0] != -1 {
				t.Fatalf("list %d = %v", i, l)
			}
			continue
		}
		for j := range n {
			if l[j] != i*10+j {
				t.Fatalf("list %d = %v: element %d overwritten", i, l, j)
			}
		}
	}
}
