package route

import "unsafe"

// Compile makes a few small objects per rule (the rule, its match clauses,
// its destinations and the slices pointing at them); allocating each on its
// own was a third of Compile's allocations, and the garbage collector pays
// per object. The compiler hands them out of arrays instead. Every object
// it hands out belongs to the Table being built (a failed Compile drops
// them all) or to the Compile call alone, so an array lives about as long
// as the objects in it.

// maxChunkBytes bounds one array: large enough to amortise the
// allocation, small enough that the unused tail of the last array stays
// small, and one of the allocator's size classes, so that an array wastes
// no rounding.
const maxChunkBytes = 16 << 10

// chunkSize is the length of the next array of T after allocating n
// elements so far: it doubles from 4, so a small configuration wastes
// little, up to maxChunkBytes.
func chunkSize[T any](n int) int {
	var zero T
	return max(min(max(n, 4), maxChunkBytes/int(unsafe.Sizeof(zero))), 1)
}

// arena hands out zeroed values of T from arrays.
type arena[T any] struct {
	free []T
	n    int // elements allocated so far
}

// new returns a pointer to a zeroed T.
func (a *arena[T]) new() *T {
	if len(a.free) == 0 {
		size := chunkSize[T](a.n)
		a.free = make([]T, size)
		a.n += size
	}
	p := &a.free[0]
	a.free = a.free[1:]
	return p
}

// sliceArena hands out slices of T from arrays, for short lists of known
// maximum length.
type sliceArena[T any] struct {
	free []T
	n    int
}

// make returns an empty slice with capacity n (nil for n == 0). Its
// capacity is exact, so an append beyond n reallocates rather than writing
// into the next slice; trim it with full to drop unused capacity.
func (s *sliceArena[T]) make(n int) []T {
	if n == 0 {
		return nil
	}
	if n > 64 {
		return make([]T, 0, n) // a long list gets its own array
	}
	if len(s.free) < n {
		size := max(chunkSize[T](s.n), n)
		s.free = make([]T, size)
		s.n += size
	}
	out := s.free[:0:n]
	s.free = s.free[n:]
	return out
}

// full returns s with its capacity cut to its length, so that no append
// to it can write into memory another slice was handed.
func full[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s[:len(s):len(s)]
}
