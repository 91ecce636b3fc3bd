package route

import (
	"unsafe"

	"github.com/meshroute/meshroute/match"
)

// minIndexedTLS is the number of TLS rules in a view from which DecideTLS
// uses an sniIndex instead of trying the rules in order.
const minIndexedTLS = 8

// sniIndex finds the first TLS rule of a view whose clause matches a
// connection, by server name: rules are filed under each sniHosts entry of
// each clause — exact names in exact, "*.suffix" under ".suffix" in
// suffix, "*" and rules without match in any — as ascending positions in
// the view's tlsAll. A lookup gathers the lists for the SNI (the exact
// name and every label-boundary suffix) and tries their entries in order
// below the best found so far, so the answer is the first matching rule
// in configuration order, as the linear walk finds.
type sniIndex struct {
	exact  map[string][]int32
	suffix map[string][]int32
	any    []int32
	// other are rules with a clause that is not a *match.TLSMatch (none
	// today): always tried.
	other []int32
}

// buildSNIIndex files the rules of entries.
func buildSNIIndex(entries []l4Entry) *sniIndex {
	x := &sniIndex{exact: map[string][]int32{}, suffix: map[string][]int32{}}
	for i := range entries {
		k := int32(i)
		r := entries[i].rule
		if len(r.matches) == 0 {
			x.any = append(x.any, k)
			continue
		}
		for _, lm := range r.matches {
			tm, ok := lm.m.(*match.TLSMatch)
			if !ok {
				x.other = appendOnce(x.other, k)
				continue
			}
			for _, h := range tm.SNIHosts() {
				switch {
				case h == "*":
					x.any = appendOnce(x.any, k)
				case len(h) > 1 && h[0] == '*':
					x.suffix[h[1:]] = appendOnce(x.suffix[h[1:]], k)
				default:
					x.exact[h] = appendOnce(x.exact[h], k)
				}
			}
		}
	}
	return x
}

// appendOnce appends k unless it is already last (entries arrive in
// ascending order, so a repeat can only be the last element).
func appendOnce(s []int32, k int32) []int32 {
	if n := len(s); n > 0 && s[n-1] == k {
		return s
	}
	return append(s, k)
}

// first returns the position in entries of the first rule that is on
// the connection's listener (sc) and matches req, or -1.
func (x *sniIndex) first(entries []l4Entry, sc tlsScope, req *match.Request) int32 {
	best := int32(len(entries))
	best = tryL4(x.any, best, entries, sc, req)
	best = tryL4(x.other, best, entries, sc, req)
	sni := req.SNI
	if sni == "" {
		return noneIfAt(best, len(entries)) // only rules without match take it
	}
	var buf [255]byte
	if len(sni) <= len(buf) {
		n := copy(buf[:], sni)
		for i := 0; i < n; i++ {
			if c := buf[i]; 'A' <= c && c <= 'Z' {
				buf[i] = c + 'a' - 'A'
			}
		}
		sni = unsafe.String(&buf[0], n)
	} else {
		sni = lowerASCII(sni)
	}
	best = tryL4(x.exact[sni], best, entries, sc, req)
	for i := 1; i < len(sni); i++ {
		if sni[i] == '.' {
			best = tryL4(x.suffix[sni[i:]], best, entries, sc, req)
		}
	}
	return noneIfAt(best, len(entries))
}

func noneIfAt(best int32, n int) int32 {
	if int(best) == n {
		return -1
	}
	return best
}

// tryL4 returns the first position in ks below best whose rule is on the
// connection's listener and matches req, or best.
func tryL4(ks []int32, best int32, entries []l4Entry, sc tlsScope, req *match.Request) int32 {
	for _, k := range ks {
		if k >= best {
			return best
		}
		if !sc.has(k) {
			continue
		}
		if _, ok := entries[k].rule.match(req); ok {
			return k
		}
	}
	return best
}

// tlsScope says which of a view's TLS rules a connection can meet: on a
// sidecar, those whose VirtualService has filter chains on the
// connection's port (l4Listeners.tlsOn); on a gateway (on nil) all of
// them, the gateway server's port deciding there.
type tlsScope struct {
	on   []*tlsListen
	port uint32
}

// has reports whether the rule at position k of the view's tlsAll is on
// the connection's listener.
func (sc tlsScope) has(k int32) bool {
	return sc.on == nil || sc.on[k].on(sc.port)
}

// decideTLS is decideL4 over the view's TLS rules that are on the
// connection's listener (see tlsScope), through the view's sniIndex when
// it has one, else in order.
func (t *Table) decideTLS(v *view, req *match.Request) (Decision, bool) {
	sc := tlsScope{port: requestPort(req)}
	if l := t.l4Listeners(v); l != nil && !v.isGateway {
		sc.on = l.tlsOn
	}
	if v.tlsIndex == nil {
		for k := range v.tlsAll {
			if !sc.has(int32(k)) {
				continue
			}
			if d, ok := t.decideL4(v, v.tlsAll[k:k+1], req); ok {
				return d, true
			}
		}
		return Decision{}, false
	}
	k := v.tlsIndex.first(v.tlsAll, sc, req)
	if k < 0 {
		return Decision{}, false
	}
	return t.decideL4(v, v.tlsAll[k:k+1], req)
}
