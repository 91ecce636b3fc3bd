package route

import (
	"strings"
	"unsafe"

	"github.com/meshroute/meshroute/match"
)

// The rule index is built with pointers (a map of slot lists, a radix trie
// of nodes) and then frozen into the flat forms below: a few arrays with
// no pointer to follow between them, so a lookup on a table of 10,000
// rules touches a handful of neighbouring cache lines.

// slotMap maps a key (an exact path) to the ascending slots filed under
// it. A key with one slot, nearly all of them, keeps a copy of the slot
// in its table entry, so that a request for an exact path reads the key
// and the clause to test from one pair of cache lines, rather than the
// entry and then the slot in the host's slot array.
type slotMap struct {
	one  *strTable[exactSlot]
	many [][]int32
}

// exactSlot is a slotMap entry's value: the only slot filed under the
// key, copied, and its position idx in the host's order; or, when the key
// has several slots, idx < 0 and many[-1-idx] lists them.
type exactSlot struct {
	sl  slot
	idx int32
}

// newSlotMap freezes m, whose slots are those of slots; nil when m is
// empty.
func newSlotMap(m map[string][]int32, slots []slot) *slotMap {
	if len(m) == 0 {
		return nil
	}
	sm := &slotMap{}
	one := make(map[string]exactSlot, len(m))
	for k, ss := range m {
		if len(ss) == 1 {
			one[k] = exactSlot{sl: slots[ss[0]], idx: ss[0]}
			continue
		}
		one[k] = exactSlot{idx: int32(-1 - len(sm.many))}
		sm.many = append(sm.many, ss)
	}
	sm.one = newStrTable(one, false)
	sm.one.each(func(e *exactSlot) {
		if e.idx >= 0 {
			packSlotStrings(unsafe.Slice(&e.sl, 1)) // the uri beside the copy
		}
	})
	return sm
}

// try returns the first slot filed under key that is below best and fully
// matches req, or best; when that slot is the entry's copy, hit points at
// it (nil otherwise).
func (sm *slotMap) try(x *ruleIndex, key string, best int32, req *match.Request, path string) (_ int32, hit *slot) {
	e := sm.one.find(key)
	switch {
	case e == nil:
		return best, nil
	case e.idx >= 0:
		if e.idx < best && e.sl.matches(req, path) {
			return e.idx, &e.sl
		}
		return best, nil
	}
	return x.try(sm.many[-1-e.idx], best, req, path), nil
}

// all returns every slot in the map (tests and benchmarks).
func (sm *slotMap) all() []int32 {
	var out []int32
	for _, e := range sm.one.values() {
		if e.idx >= 0 {
			out = append(out, e.idx)
		} else {
			out = append(out, sm.many[-1-e.idx]...)
		}
	}
	return out
}

// flatTrie is a frozen radix trie of uri prefixes (trieNode): nodes[0] is
// the root, labels holds every edge label back to back, slots every node's
// slot list, and kids every node's dense child table (0 for no child: the
// root is nobody's child).
type flatTrie struct {
	nodes  []flatNode
	labels string
	slots  []int32
	kids   []uint32
}

// flatNode is one node of a flatTrie: its edge label, slots and children
// are ranges of the trie's arrays.
type flatNode struct {
	label, labelLen uint32
	slots, nslots   uint32
	kids            uint32
	nkids           uint16
	lo              byte // the first byte the child table covers
}

// freezeTrie flattens the trie rooted at root; nil for none.
func freezeTrie(root *trieNode) *flatTrie {
	if root == nil {
		return nil
	}
	var labels strings.Builder
	t := &flatTrie{}
	var add func(n *trieNode) uint32
	add = func(n *trieNode) uint32 {
		i := uint32(len(t.nodes))
		t.nodes = append(t.nodes, flatNode{
			label: uint32(labels.Len()), labelLen: uint32(len(n.label)),
			slots: uint32(len(t.slots)), nslots: uint32(len(n.slots)),
			lo: n.lo, nkids: uint16(len(n.kids)),
		})
		labels.WriteString(n.label)
		t.slots = append(t.slots, n.slots...)
		if len(n.kids) == 0 {
			return i
		}
		// Reserve the child table first, then fill it as the children
		// are added (depth first, so a node's subtree is contiguous).
		k := uint32(len(t.kids))
		t.nodes[i].kids = k
		t.kids = append(t.kids, make([]uint32, len(n.kids))...)
		for j, c := range n.kids {
			if c != nil {
				ci := add(c)
				t.kids[k+uint32(j)] = ci
			}
		}
		return i
	}
	add(root)
	t.labels = labels.String()
	return t
}

// walk follows key through the trie and, at every node whose prefix key
// starts with, tries the node's slots below best against req (whose
// normalised path is path); it returns the smallest that fully matches, or
// best. key is path itself, or path folded to lower case for a folding
// trie.
func (x *ruleIndex) walk(t *flatTrie, best int32, req *match.Request, path, key string) int32 {
	n := &t.nodes[0]
	for {
		if n.nslots > 0 {
			if ss := t.slots[n.slots : n.slots+n.nslots]; ss[0] < best {
				best = x.try(ss, best, req, path)
			}
		}
		if key == "" {
			return best
		}
		c := key[0]
		if c < n.lo || uint32(c-n.lo) >= uint32(n.nkids) {
			return best
		}
		ki := t.kids[n.kids+uint32(c-n.lo)]
		if ki == 0 {
			return best
		}
		n = &t.nodes[ki]
		label := t.labels[n.label : n.label+n.labelLen]
		if len(key) < len(label) || key[:len(label)] != label {
			return best
		}
		key = key[len(label):]
	}
}

// all returns every slot in the trie (tests and benchmarks).
func (t *flatTrie) all() []int32 { return append([]int32(nil), t.slots...) }

// bytesString views b as a string without copying; b must not change
// while the string is in use.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
