package route

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"unsafe"
)

// hostTable is a frozen open-addressing table from domain names to host
// records, for the request path: an entry holds its key's bytes, a tag of
// its hash and the record in one 64-byte line, so a lookup that finds its
// host reads one line of the table where a Go map reads its control
// word, its slot and the key's bytes elsewhere. Keys longer than an entry
// holds go to a Go map.
//
// Lookups ignore ASCII case: the hash and the comparison fold each 8-byte
// word of the key as they read it (foldWord), so the request path neither
// scans a request's host for upper-case letters nor copies it to fold it.
// The keys it is built from must be folded already (the view's domains
// are).
type hostTable struct {
	seed    uint64
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

// newHostTable freezes m, whose keys have no ASCII upper-case letters,
// into a table at most half full; nil for an empty m.
func newHostTable(m map[string]*hostRef) *hostTable {
	if len(m) == 0 {
		return nil
	}
	size := 8
	for size < 2*len(m) {
		size *= 2
	}
	t := &hostTable{seed: rand.Uint64() | 1, mask: uint32(size - 1), entries: make([]hostEntry, size)}
	for k, r := range m {
		if len(k) > hostKeyMax {
			if t.long == nil {
				t.long = map[string]*hostRef{}
			}
			t.long[k] = r
			continue
		}
		h := foldHash(k, t.seed)
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

// get returns the record of key k, ASCII case ignored, nil when the table
// (possibly nil) has none.
func (t *hostTable) get(k string) *hostRef {
	if t == nil {
		return nil
	}
	if len(k) > hostKeyMax {
		if t.long == nil {
			return nil
		}
		var buf [255]byte
		return t.long[foldASCIIInto(buf[:], k)]
	}
	h := foldHash(k, t.seed)
	tag := uint32(h >> 32)
	for i := uint32(h) & t.mask; ; i = (i + 1) & t.mask {
		e := &t.entries[i]
		if e.ref == nil {
			return nil
		}
		if e.tag == tag && int(e.klen) == len(k) && equalFold(&e.key, k) {
			return e.ref
		}
	}
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

// foldHash hashes s (len(s) ≤ hostKeyMax) so that s and any string
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

// equalFold reports whether s (len(s) ≤ hostKeyMax) equals the first
// len(s) bytes of key, a folded key, ignoring ASCII case in s. It
// compares words, the last one overlapping the one before.
func equalFold(key *[hostKeyMax]byte, s string) bool {
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
