package route

import "hash/maphash"

// hostTable is a frozen open-addressing table from domain names to host
// records, for the request path: an entry holds its key's bytes, a tag of
// its hash and the record in one 64-byte line, so a lookup that finds its
// host reads one line of the table where a Go map reads its control
// word, its slot and the key's bytes elsewhere. Keys longer than an entry
// holds go to a Go map.
type hostTable struct {
	seed    maphash.Seed
	mask    uint32
	entries []hostEntry
	long    map[string]*hostRef
}

// hostKeyMax is the longest key a hostEntry holds (64-byte entries).
const hostKeyMax = 51

type hostEntry struct {
	ref  *hostRef // nil: an empty entry
	tag  uint32   // the hash's high half
	klen uint8
	key  [hostKeyMax]byte
}

// newHostTable freezes m into a table at most half full; nil for an
// empty m.
func newHostTable(m map[string]*hostRef) *hostTable {
	if len(m) == 0 {
		return nil
	}
	size := 8
	for size < 2*len(m) {
		size *= 2
	}
	t := &hostTable{seed: maphash.MakeSeed(), mask: uint32(size - 1), entries: make([]hostEntry, size)}
	for k, r := range m {
		if len(k) > hostKeyMax {
			if t.long == nil {
				t.long = map[string]*hostRef{}
			}
			t.long[k] = r
			continue
		}
		h := maphash.String(t.seed, k)
		i := uint32(h) & t.mask
		for t.entries[i].ref != nil {
			i = (i + 1) & t.mask
		}
		e := &t.entries[i]
		e.ref, e.tag, e.klen = r, uint32(h>>32), uint8(len(k))
		copy(e.key[:], k)
	}
	return t
}

// get returns the record of key k, nil when the table (possibly nil) has
// none.
func (t *hostTable) get(k string) *hostRef {
	if t == nil {
		return nil
	}
	if len(k) > hostKeyMax {
		return t.long[k]
	}
	h := maphash.String(t.seed, k)
	tag := uint32(h >> 32)
	for i := uint32(h) & t.mask; ; i = (i + 1) & t.mask {
		e := &t.entries[i]
		if e.ref == nil {
			return nil
		}
		if e.tag == tag && int(e.klen) == len(k) && string(e.key[:len(k)]) == k {
			return e.ref
		}
	}
}
