package route

import "strconv"

// fieldPath is a field path such as "spec.http[1].route[0].weight", built
// lazily: the validator walks every field of every object but reports a
// problem about few of them, so a path is a chain of segments on the
// stack, each pointing at its parent, and becomes a string only when a
// Problem is created (String).
//
// A fieldPath points into its callers' frames: pass it down by value, never
// keep it beyond the call that received it.
type fieldPath struct {
	up   *fieldPath
	name string // appended as is, e.g. "spec.http" or ".route"
	// mapKey, for a keyed segment, is a map key appended after name as
	// mapKeyPath appends it.
	mapKey string
	index  int // for an indexed segment, appended after name as "[index]"
	kind   segmentKind
}

type segmentKind uint8

const (
	segPlain segmentKind = iota
	segIndex
	segKey
)

// field returns the path name, e.g. field("spec.hosts").
func field(name string) fieldPath { return fieldPath{name: name} }

// fieldAt returns the path name[i], e.g. fieldAt("spec.http", 1).
func fieldAt(name string, i int) fieldPath { return fieldPath{name: name, index: i, kind: segIndex} }

// dot returns p followed by name, e.g. p.dot(".route"): the old p+".route".
func (p *fieldPath) dot(name string) fieldPath { return fieldPath{up: p, name: name} }

// at returns p followed by name[i], e.g. p.at(".route", 0): the old
// idx(p+".route", 0); name may be "" for idx(p, i).
func (p *fieldPath) at(name string, i int) fieldPath {
	return fieldPath{up: p, name: name, index: i, kind: segIndex}
}

// key returns p followed by name and the map key k, e.g.
// p.key(".headers", "x-user"): the old mapKeyPath(p+".headers", k).
func (p *fieldPath) key(name, k string) fieldPath {
	return fieldPath{up: p, name: name, mapKey: k, kind: segKey}
}

// String builds the path.
func (p fieldPath) String() string {
	var buf [128]byte
	return string(p.appendTo(buf[:0]))
}

// appendTo appends the path to b, its parents first.
func (p *fieldPath) appendTo(b []byte) []byte {
	if p.up != nil {
		b = p.up.appendTo(b)
	}
	b = append(b, p.name...)
	switch p.kind {
	case segIndex:
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(p.index), 10)
		b = append(b, ']')
	case segKey:
		b = append(b, mapKeyPath("", p.mapKey)...)
	}
	return b
}
