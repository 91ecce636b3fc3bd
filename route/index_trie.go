package route

import (
	"regexp/syntax"
	"unicode/utf8"
)

// trieNode is a node of a radix trie of uri prefixes: the path from the
// root spells a prefix, and slots are the clauses (ascending) whose prefix
// ends exactly here. Children are found by their label's first byte in a
// dense array starting at byte lo.
type trieNode struct {
	label string // the bytes from the parent to this node; lower case in a folding trie
	slots []int32
	lo    byte
	kids  []*trieNode
}

func (n *trieNode) child(c byte) *trieNode {
	if c < n.lo || int(c-n.lo) >= len(n.kids) {
		return nil
	}
	return n.kids[c-n.lo]
}

func (n *trieNode) setChild(c byte, k *trieNode) {
	switch {
	case len(n.kids) == 0:
		n.lo, n.kids = c, []*trieNode{k}
		return
	case c < n.lo:
		kids := make([]*trieNode, int(n.lo-c)+len(n.kids))
		copy(kids[n.lo-c:], n.kids)
		n.lo, n.kids = c, kids
	case int(c-n.lo) >= len(n.kids):
		kids := make([]*trieNode, int(c-n.lo)+1)
		copy(kids, n.kids)
		n.kids = kids
	}
	n.kids[c-n.lo] = k
}

// trieInsert adds slot s under prefix key (slots arrive in ascending
// order) and returns the root.
func trieInsert(root *trieNode, key string, s int32) *trieNode {
	if root == nil {
		root = &trieNode{}
	}
	n := root
	for key != "" {
		c := key[0]
		k := n.child(c)
		if k == nil {
			n.setChild(c, &trieNode{label: key, slots: []int32{s}})
			return root
		}
		l := 0
		for l < len(k.label) && l < len(key) && k.label[l] == key[l] {
			l++
		}
		if l < len(k.label) { // split k's edge at l
			mid := &trieNode{label: k.label[:l]}
			k.label = k.label[l:]
			mid.setChild(k.label[0], k)
			n.setChild(c, mid)
			k = mid
		}
		n, key = k, key[l:]
	}
	n.slots = append(n.slots, s)
	return root
}

// regexLiteralPrefix returns the literal ASCII text every full match of an
// RE2 pattern starts with ("/re/r7/" for `/re/r7/[0-9]+`), or "" when it
// has none or the pattern does not parse. Only case-sensitive literals
// count, and a leading ^ is skipped (the pattern is matched whole anyway).
func regexLiteralPrefix(pattern string) string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return ""
	}
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	var out []byte
walk:
	for _, s := range subs {
		switch s.Op {
		case syntax.OpBeginText, syntax.OpBeginLine:
			if len(out) > 0 {
				break walk
			}
		case syntax.OpLiteral:
			if s.Flags&syntax.FoldCase != 0 {
				break walk
			}
			for _, r := range s.Rune {
				if r >= utf8.RuneSelf {
					break walk
				}
				out = append(out, byte(r))
			}
		default:
			break walk
		}
	}
	return string(out)
}
