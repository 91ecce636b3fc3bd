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
					k = strings.Repeat("x", strKeyMax-2+i%5) + strconv.Itoa(i) // around the inline limit
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
					k = strings.Repeat("x", strKeyMax+r.IntN(3))
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

// TestHostTableIgnoresASCIICase: a lookup finds its key whatever the
// case of the key's ASCII letters, at every length around the word sizes
// the hash reads, and only ASCII letters fold ('@' and '[' are the bytes
// beside 'A' and 'Z'; 'É' is not folded, as Envoy folds ASCII only).
func TestHostTableIgnoresASCIICase(t *testing.T) {
	m := map[string]*hostRef{}
	var keys []string
	for n := 1; n <= strKeyMax+2; n++ {
		k := strings.Repeat("abcdefghijklmnopqrstuvwxyz.-0123456789", 2)[:n]
		keys = append(keys, k)
		m[k] = &hostRef{}
	}
	m["é.example"] = &hostRef{}
	m["@[.example"] = &hostRef{}
	m["`{.example"] = &hostRef{}
	tbl := newHostTable(m)
	for _, k := range keys {
		for _, variant := range []string{k, strings.ToUpper(k), mixedCase(k)} {
			if got := tbl.get(variant); got != m[k] {
				t.Errorf("get(%q) = %p, want %p (the record of %q)", variant, got, m[k], k)
			}
		}
	}
	for _, c := range []struct{ key, want string }{
		{"É.EXAMPLE", ""},            // not ASCII: not folded
		{"é.EXAMPLE", "é.example"},   // the ASCII letters fold
		{"@[.EXAMPLE", "@[.example"}, // '@' and '[' are not letters
		{"`{.example", "`{.example"},
		{"@{.example", ""},
	} {
		if got, want := tbl.get(c.key), m[c.want]; got != want {
			t.Errorf("get(%q) = %p, want the record of %q (%p)", c.key, got, c.want, want)
		}
	}
}

// mixedCase upper-cases every other byte of s.
func mixedCase(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); i += 2 {
		if 'a' <= b[i] && b[i] <= 'z' {
			b[i] -= 'a' - 'A'
		}
	}
	return string(b)
}

// TestSameFold: two bytes are the same but for ASCII case exactly when
// lower-casing their ASCII letters makes them equal, for every pair of
// byte values, in every position of a word whose other bytes differ in
// case.
func TestSameFold(t *testing.T) {
	fold := func(c byte) byte {
		if 'A' <= c && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	for pos := range 8 {
		var sFill, kFill uint64 // "QqQqQqQq" against the folded "qqqqqqqq"
		for j := range 8 {
			if j != pos {
				sFill |= uint64("Qq"[j%2]) << (8 * j)
				kFill |= uint64('q') << (8 * j)
			}
		}
		for s := range 256 {
			for k := range 256 {
				if fold(byte(k)) != byte(k) {
					continue // keys are folded
				}
				want := fold(byte(s)) == byte(k)
				sw, kw := sFill|uint64(s)<<(8*pos), kFill|uint64(k)<<(8*pos)
				if got := sameFold(sw, kw); got != want {
					t.Fatalf("sameFold(%#016x, %#016x) = %v, want %v", sw, kw, got, want)
				}
			}
		}
	}
}

// FuzzHostTable builds a table from the input's comma-separated keys
// (folded, as the view's domains are) and looks up each key, each of its
// suffixes and their upper-case forms: the answers must be the map's.
func FuzzHostTable(f *testing.F) {
	f.Add("a,b.c,reviews.default.svc.cluster.local")
	f.Add(strings.Repeat("y", strKeyMax) + "," + strings.Repeat("y", strKeyMax+1) + ",")
	f.Add("Reviews.Default,ABCDEFGH,abcdefgh.i")
	f.Fuzz(func(t *testing.T, keys string) {
		m := map[string]*hostRef{}
		for _, k := range strings.Split(keys, ",") {
			m[lowerASCII(k)] = &hostRef{}
		}
		tbl := newHostTable(m)
		for _, k := range strings.Split(keys, ",") {
			for i := range len(k) + 1 {
				for _, q := range []string{k[i:], strings.ToUpper(k[i:])} {
					if got, want := tbl.get(q), m[lowerASCII(q)]; got != want {
						t.Fatalf("get(%q) = %p, want %p", q, got, want)
					}
				}
			}
		}
	})
}

// TestStrTableWithoutFolding: a table that does not fold (exact paths)
// tells keys apart by case, including keys that hash alike because only
// their case differs, and keys longer than an entry holds.
func TestStrTableWithoutFolding(t *testing.T) {
	long := "/" + strings.Repeat("segment/", 8) // longer than strKeyMax
	m := map[string]int{"/api": 1, "/API": 2, "/Api/v1/items": 3, long: 4, strings.ToUpper(long): 5}
	tbl := newStrTable(m, false)
	for _, c := range []struct {
		key  string
		want int
		ok   bool
	}{
		{"/api", 1, true},
		{"/API", 2, true},
		{"/aPi", 0, false},
		{"/Api/v1/items", 3, true},
		{"/api/v1/items", 0, false},
		{long, 4, true},
		{strings.ToUpper(long), 5, true},
		{strings.ToUpper(long[:20]) + long[20:], 0, false},
		{"", 0, false},
	} {
		if got, ok := tbl.lookup(c.key); got != c.want || ok != c.ok {
			t.Errorf("lookup(%q) = %d, %v; want %d, %v", c.key, got, ok, c.want, c.ok)
		}
	}
	if got := len(tbl.values()); got != len(m) {
		t.Errorf("values: %d, want %d", got, len(m))
	}
}
