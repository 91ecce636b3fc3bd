package route

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"unsafe"
)

// strTable is a frozen table from strings to V, for the request path's
// lookups (domains, exact paths). Probing reads an open-addressing index
// of 8-byte words, a hash tag and an entry number, small enough to stay
// in cache, so a key the table lacks costs no miss; a tag that matches
// leads to its entry in a dense array, which holds the key's bytes and
// then the value, so a hit reads one run of neighbouring cache lines
// where a Go map reads its slot, the key's bytes elsewhere, and whatever
// the value points to. A value may be a whole record (the domain table of
// small hosts holds them, inlineHostRef): find returns a pointer into the
// table. Keys longer than an entry holds go to a Go map.
//
// A folding table's lookups ignore ASCII case: the hash and the
// comparison fold each 8-byte word of the key as they read it, so the
// request path neither scans a request's host for upper-case letters nor
// copies it to fold it. Its keys must be folded already (the view's
// domains are). Every table hashes with the case folded (foldHash); only
// the comparison differs.
type strTable[V any] struct {
	seed    uint64
	mask    uint32
	fold    bool
	index   []uint64 // 0: empty; else tagOf(hash) | (entry number + 1)
	entries []strEntry[V]
	long    map[string]*V
}

// tagOf is the tag of a hash: its high half, in place (the low half of
// an index word is the entry number).
func tagOf(h uint64) uint64 { return h &^ (1<<32 - 1) }

// strKeyMax is the longest key a strEntry holds (64-byte entries for an
// 8-byte V).
const strKeyMax = 55

// strEntry is one entry of a strTable.
type strEntry[V any] struct {
	klen uint8 // the key's length
	key  [strKeyMax]byte
	val  V
}

// hostTable is a view's frozen table of domains (folding).
type hostTable = strTable[*hostRef]

// newHostTable freezes the domain map m (keys folded).
func newHostTable(m map[string]*hostRef) *hostTable { return newStrTable(m, true) }

// newStrTable freezes m into a table whose index is at most half full;
// nil for an empty m. When fold is set, lookups ignore ASCII case and m's
// keys must have no ASCII upper-case letters.
func newStrTable[V any](m map[string]V, fold bool) *strTable[V] {
	return newStrTableSeed(m, fold, rand.Uint64()|1)
}

// newStrTableSeed is newStrTable hashing with seed, so that tables built
// with one seed can be probed with one hash (findHashed).
func newStrTableSeed[V any](m map[string]V, fold bool, seed uint64) *strTable[V] {
	if len(m) == 0 {
		return nil
	}
	size := 8
	for size < 2*len(m) {
		size *= 2
	}
	t := &strTable[V]{seed: seed, mask: uint32(size - 1), fold: fold, index: make([]uint64, size)}
	n := 0
	for k := range m {
		if len(k) <= strKeyMax {
			n++
		}
	}
	t.entries = make([]strEntry[V], 0, n)
	for k, v := range m {
		if len(k) > strKeyMax {
			if t.long == nil {
				t.long = map[string]*V{}
			}
			long := v // only these escape: &v would move every v to the heap
			t.long[k] = &long
			continue
		}
		h := foldHash(k, t.seed)
		i := uint32(h) & t.mask
		for t.index[i] != 0 {
			i = (i + 1) & t.mask
		}
		t.index[i] = tagOf(h) | uint64(len(t.entries)+1)
		t.entries = append(t.entries, strEntry[V]{klen: uint8(len(k)), val: v})
		copy(t.entries[len(t.entries)-1].key[:], k)
	}
	return t
}

// find returns the value of key k (ASCII case ignored when the table
// folds) in the table, possibly nil; nil when it has none.
func (t *strTable[V]) find(k string) *V {
	if t == nil {
		return nil
	}
	if len(k) > strKeyMax {
		if t.fold && t.long != nil {
			var buf [255]byte
			k = foldASCIIInto(buf[:], k)
		}
		return t.long[k]
	}
	return t.findHashed(k, foldHash(k, t.seed))
}

// findHashed is find for a key of at most strKeyMax bytes whose hash h
// (foldHash with the table's seed) the caller has computed.
func (t *strTable[V]) findHashed(k string, h uint64) *V {
	if t == nil {
		return nil
	}
	tag := tagOf(h)
	for i := uint32(h) & t.mask; ; i = (i + 1) & t.mask {
		x := t.index[i]
		if x == 0 {
			return nil
		}
		if x&^(1<<32-1) == tag {
			e := &t.entries[uint32(x)-1]
			if int(e.klen) == len(k) && t.equal(&e.key, k) {
				return &e.val
			}
		}
	}
}

// lookup is find by value.
func (t *strTable[V]) lookup(k string) (V, bool) {
	if p := t.find(k); p != nil {
		return *p, true
	}
	var zero V
	return zero, false
}

// equal compares a lookup key with an entry's key of the same length.
func (t *strTable[V]) equal(key *[strKeyMax]byte, k string) bool {
	if t.fold {
		return equalFold(key, k)
	}
	return unsafe.String(&key[0], len(k)) == k
}

// each calls f with every value in the table, possibly nil.
func (t *strTable[V]) each(f func(*V)) {
	if t == nil {
		return
	}
	for i := range t.entries {
		f(&t.entries[i].val)
	}
	for _, v := range t.long {
		f(v)
	}
}

// values returns every value in the table (tests and benchmarks).
func (t *strTable[V]) values() []V {
	var out []V
	t.each(func(v *V) { out = append(out, *v) })
	return out
}

// get is lookup's value alone: the zero V (a nil record) when the table
// has no k.
func (t *strTable[V]) get(k string) V {
	v, _ := t.lookup(k)
	return v
}

// SWAR constants: every byte 0x7f, 0x80, 0x20 (the ASCII case bit).
const (
	lsb7     = 0x7f7f7f7f7f7f7f7f
	msb      = 0x8080808080808080
	caseBits = 0x2020202020202020
)

// lowerLetters returns the case bit (0x20) of each byte of w that is an
// ASCII lower-case letter, 'a' to 'z'.
func lowerLetters(w uint64) uint64 {
	low := w & lsb7
	geA := low + 0x1f1f1f1f1f1f1f1f     // a byte's top bit: its low seven bits ≥ 'a'
	gtZ := low + 0x0505050505050505     // … > 'z'
	return (geA &^ gtZ &^ w & msb) >> 2 // &^ w: bytes ≥ 0x80 are not letters
}

// sameFold reports whether the eight bytes of sw equal those of kw, a
// folded word, but for the case of ASCII letters: they may differ only in
// the case bit of bytes that are letters in kw.
func sameFold(sw, kw uint64) bool {
	d := sw ^ kw
	return d == 0 || d&^lowerLetters(kw) == 0
}

// loadWord reads the eight bytes of s at i (i+8 ≤ len(s)) as a
// little-endian word.
func loadWord(s string, i int) uint64 {
	_ = s[i+7] // bounds check
	return binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8))
}

// load32 reads the four bytes of s at i (i+4 ≤ len(s)).
func load32(s string, i int) uint64 {
	_ = s[i+3] // bounds check
	return uint64(binary.LittleEndian.Uint32(unsafe.Slice(unsafe.StringData(s[i:]), 4)))
}

// shortWord packs s into a word when len(s) ≤ 8: its bytes when it has
// fewer than four, else its first and last four bytes (overlapping).
func shortWord(s string) uint64 {
	n := len(s)
	if n >= 4 {
		return load32(s, 0) | load32(s, n-4)<<32
	}
	var w uint64
	for i := n - 1; i >= 0; i-- {
		w = w<<8 | uint64(s[i])
	}
	return w
}

// mix is the 64×64→128-bit multiply folded to 64 bits (as wyhash).
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

const (
	mixK1 = 0xa0761d6478bd642f
	mixK2 = 0xe7037ed1a0b428db
	mixK3 = 0x8ebc6af09c88c6e3
	mixK4 = 0x589965cc75374cc3
)

// foldHash hashes s (len(s) ≤ strKeyMax) so that s and any string
// equal to it but for the case of ASCII letters hash alike: it hashes
// each byte with its case bit set, which maps the upper and lower case of
// a letter to the same byte (and a few other pairs, such as '@' and '`',
// that equalFold then tells apart). A string of up to eight bytes is one
// word (shortWord); a longer one is read as 16-byte chunks at 0, 16, 32,
// the last chunk being its last 16 bytes (overlapping the one before),
// each chunk mixed on its own so that the multiplies overlap.
func foldHash(s string, seed uint64) uint64 {
	n := len(s)
	seed ^= uint64(n) * mixK1
	if n <= 8 {
		return mix(seed^(caseBits|shortWord(s)), mixK2)
	}
	last := mix(seed^mixK3^(caseBits|loadWord(s, max(n-16, 0))), mixK4^(caseBits|loadWord(s, n-8)))
	if n <= 16 {
		return last
	}
	h := mix(seed^(caseBits|loadWord(s, 0)), mixK2^(caseBits|loadWord(s, 8)))
	if n > 32 {
		h ^= mix(seed^mixK2^(caseBits|loadWord(s, 16)), mixK3^(caseBits|loadWord(s, 24)))
	}
	if n > 48 {
		h ^= mix(seed^mixK4^(caseBits|loadWord(s, 32)), mixK1^(caseBits|loadWord(s, 40)))
	}
	return h ^ last
}

// equalFold reports whether s (len(s) ≤ strKeyMax) equals the first
// len(s) bytes of key, a folded key, ignoring ASCII case in s. It
// compares words, the last one overlapping the one before.
func equalFold(key *[strKeyMax]byte, s string) bool {
	n := len(s)
	k := unsafe.String(&key[0], n)
	if n <= 8 {
		return sameFold(shortWord(s), shortWord(k))
	}
	for i := 0; i+8 < n; i += 8 {
		if !sameFold(loadWord(s, i), loadWord(k, i)) {
			return false
		}
	}
	return sameFold(loadWord(s, n-8), loadWord(k, n-8))
}
