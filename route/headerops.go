package route

import (
	"net/http"
	"strings"
)

// HeaderValue is one header name and value of a set or add operation.
type HeaderValue struct {
	Name  string // canonical MIME form for HTTP; lower-case form is derived
	Value string
}

// headerOps is the compiled, immutable list of operations at one level.
type headerOps struct {
	remove []string // canonical names
	set    []HeaderValue
	add    []HeaderValue
	// lower holds the names of remove, set and add, in that order, in
	// lower case for gRPC metadata: made at compile time so that applying
	// operations to metadata allocates no names (nil: derived when used).
	lower []string
}

// metadataName returns the lower-case form of the i-th name of the level
// (remove, then set, then add).
func (l *headerOps) metadataName(i int, canonical string) string {
	if l.lower != nil {
		return l.lower[i]
	}
	return strings.ToLower(canonical)
}

// withLowerNames fills l.lower from the level's canonical names.
func (l *headerOps) withLowerNames() *headerOps {
	l.lower = make([]string, 0, len(l.remove)+len(l.set)+len(l.add))
	for _, n := range l.remove {
		l.lower = append(l.lower, strings.ToLower(n))
	}
	for _, kv := range l.set {
		l.lower = append(l.lower, strings.ToLower(kv.Name))
	}
	for _, kv := range l.add {
		l.lower = append(l.lower, strings.ToLower(kv.Name))
	}
	return l
}

// HeaderOps is a compiled list of header operations (Istio's
// Headers.HeaderOperations), already merged across route and destination
// levels in Envoy's order. The zero value does nothing.
type HeaderOps struct {
	levels []*headerOps // applied in order; each level removes, then sets/adds
}

// Empty reports whether applying the operations would change nothing.
func (h HeaderOps) Empty() bool { return len(h.levels) == 0 }

// Apply carries out the operations on an HTTP header: at each level,
// removals first, then set (replace) and add (append). Empty values were
// dropped at compile time, as Envoy drops them. The set values of a level
// share one new array, each header holding a slice of it with room for
// nothing more, so that the caller may change or append to them freely.
func (h HeaderOps) Apply(hdr http.Header) {
	for _, l := range h.levels {
		for _, n := range l.remove {
			delete(hdr, n)
		}
		if len(l.set) > 0 {
			vals := make([]string, len(l.set))
			for i, kv := range l.set {
				vals[i] = kv.Value
				hdr[kv.Name] = vals[i : i+1 : i+1]
			}
		}
		for _, kv := range l.add {
			hdr[kv.Name] = append(hdr[kv.Name], kv.Value)
		}
	}
}

// Set returns the set operations across all levels (a copy).
func (h HeaderOps) Set() []HeaderValue {
	return h.collect(func(l *headerOps) []HeaderValue { return l.set })
}

// Add returns the add operations across all levels (a copy).
func (h HeaderOps) Add() []HeaderValue {
	return h.collect(func(l *headerOps) []HeaderValue { return l.add })
}

// Remove returns the removed header names across all levels (a copy).
func (h HeaderOps) Remove() []string {
	var out []string
	for _, l := range h.levels {
		out = append(out, l.remove...)
	}
	return out
}

func (h HeaderOps) collect(f func(*headerOps) []HeaderValue) []HeaderValue {
	var out []HeaderValue
	for _, l := range h.levels {
		out = append(out, f(l)...)
	}
	return out
}
