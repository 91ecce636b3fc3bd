package policy

import (
	"encoding/hex"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/meshroute/meshroute/match"
)

// FNV-1a, finished with a 64-bit mixer so that close keys spread over the
// whole ring. Computed without allocating.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// requestHash computes the consistent-hash key of req: the header value,
// the cookie, the source IP or the query parameter the policy names. When
// the cookie is absent and the policy gives a ttl it issues one (in
// l.SetCookie) and hashes its value, so the next request with the cookie
// lands on the same host. ok is false when the request carries no key;
// the balancer then picks at random, as Envoy does.
func (c *cluster) requestHash(req *match.Request, l *Lease) (uint64, bool) {
	cfg := &c.cfg
	switch cfg.hash {
	case hashHeader:
		v, vs, ok := req.HeaderValues(cfg.hashName, cfg.hashCanon)
		if !ok {
			return 0, false
		}
		if vs == nil {
			return mix(hashString(fnvOffset, v)), true
		}
		h := uint64(fnvOffset)
		for i, s := range vs {
			if i > 0 {
				h = hashString(h, ",")
			}
			h = hashString(h, s)
		}
		return mix(h), true
	case hashCookie:
		if v, ok := cookieValue(req, cfg.hashName); ok {
			return mix(hashString(fnvOffset, v)), true
		}
		if cfg.cookieTTL == nil {
			return 0, false
		}
		v := c.newCookieValue(req)
		l.SetCookie = c.cookie(v)
		return mix(hashString(fnvOffset, v)), true
	case hashSourceIP:
		if !req.SourceIP.IsValid() {
			return 0, false
		}
		b := req.SourceIP.As16()
		h := uint64(fnvOffset)
		for _, x := range b {
			h ^= uint64(x)
			h *= fnvPrime
		}
		return mix(h), true
	case hashQuery:
		if v, ok := queryValue(req.Query(), cfg.hashName); ok {
			return mix(hashString(fnvOffset, v)), true
		}
	}
	return 0, false
}

// cookieValue finds the named cookie in the request's Cookie headers
// without parsing them all.
func cookieValue(req *match.Request, name string) (string, bool) {
	v, vs, ok := req.HeaderValues("cookie", "Cookie")
	if !ok {
		return "", false
	}
	if vs == nil {
		return findCookie(v, name)
	}
	for _, s := range vs {
		if c, ok := findCookie(s, name); ok {
			return c, true
		}
	}
	return "", false
}

func findCookie(line, name string) (string, bool) {
	for line != "" {
		var part string
		part, line, _ = strings.Cut(line, ";")
		part = strings.TrimSpace(part)
		k, v, ok := strings.Cut(part, "=")
		if ok && strings.TrimSpace(k) == name {
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			return v, true
		}
	}
	return "", false
}

// queryValue returns the raw value of the first name= parameter in query.
func queryValue(query, name string) (string, bool) {
	for query != "" {
		var part string
		part, query, _ = strings.Cut(query, "&")
		k, v, _ := strings.Cut(part, "=")
		if k == name {
			return v, true
		}
	}
	return "", false
}

// newCookieValue derives the issued cookie's value from the caller's
// address (as Envoy does), or draws it at random when that is unknown.
func (c *cluster) newCookieValue(req *match.Request) string {
	var h uint64
	if req.SourceIP.IsValid() {
		h = mix(hashString(fnvOffset, req.SourceIP.String()))
	} else {
		h = c.rt.rnd()
	}
	var b [8]byte
	for i := range b {
		b[i] = byte(h >> (56 - 8*i))
	}
	return hex.EncodeToString(b[:])
}

// cookie builds the Set-Cookie for an issued hash cookie: its path, its
// ttl as Max-Age (0s: a session cookie), HttpOnly as Envoy sets it, and
// the policy's attributes (SameSite, Secure, Domain, Partitioned).
func (c *cluster) cookie(v string) *http.Cookie {
	ck := &http.Cookie{Name: c.cfg.hashName, Value: v, Path: c.cfg.cookiePath, HttpOnly: true}
	if ttl := *c.cfg.cookieTTL; ttl > 0 {
		ck.MaxAge = int(max(ttl.Seconds(), 1))
	}
	for _, a := range c.cfg.cookieAttrs {
		switch strings.ToLower(a.GetName()) {
		case "samesite":
			switch strings.ToLower(a.GetValue()) {
			case "strict":
				ck.SameSite = http.SameSiteStrictMode
			case "lax":
				ck.SameSite = http.SameSiteLaxMode
			case "none":
				ck.SameSite = http.SameSiteNoneMode
			}
		case "secure":
			ck.Secure = true
		case "domain":
			ck.Domain = a.GetValue()
		case "partitioned":
			ck.Partitioned = true
		}
	}
	return ck
}

// ringHash is Envoy's ketama-style ring: each host owns k points per unit
// of weight (k chosen by updateRingK so the ring has at least
// minimumRingSize points); a key goes to the first point at or after its
// hash.
type ringHash struct {
	points []uint64
	owners []*endpointState
}

func newRingHash(hosts []*endpointState, k uint64) *ringHash {
	type point struct {
		h uint64
		e *endpointState
	}
	var pts []point
	for _, e := range hosts {
		n := int(max(k*e.weight, 1))
		for i := 0; i < n; i++ {
			pts = append(pts, point{mix(hashString(fnvOffset, e.addr+"_"+strconv.Itoa(i))), e})
		}
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].h < pts[j].h })
	r := &ringHash{points: make([]uint64, len(pts)), owners: make([]*endpointState, len(pts))}
	for i, p := range pts {
		r.points[i], r.owners[i] = p.h, p.e
	}
	return r
}

func (r *ringHash) pick(h uint64, hashed bool, rnd func() uint64) *endpointState {
	if !hashed {
		h = rnd()
	}
	i := sort.Search(len(r.points), func(i int) bool { return r.points[i] >= h })
	if i == len(r.points) {
		i = 0
	}
	return r.owners[i]
}

// maglev is Google's Maglev lookup table (as Envoy builds it): each host
// fills table slots along its own permutation (offset, skip), weighted
// hosts taking proportionally more turns; a key goes to slot hash mod size.
type maglev struct {
	table []*endpointState
}

func newMaglev(hosts []*endpointState, size int) *maglev {
	m := uint64(size)
	n := len(hosts)
	offset := make([]uint64, n)
	skip := make([]uint64, n)
	next := make([]uint64, n)
	var maxW uint64
	for i, e := range hosts {
		offset[i] = mix(hashString(fnvOffset, e.addr)) % m
		skip[i] = mix(hashString(fnvOffset^0x9e3779b97f4a7c15, e.addr))%(m-1) + 1
		maxW = max(maxW, e.weight)
	}
	table := make([]*endpointState, m)
	filled := uint64(0)
	for round := uint64(0); filled < m; round++ {
		for i, e := range hosts {
			// host i takes a turn when its weighted share grows this round
			if (round+1)*e.weight/maxW == round*e.weight/maxW {
				continue
			}
			for {
				c := (offset[i] + next[i]*skip[i]) % m
				next[i]++
				if table[c] == nil {
					table[c] = e
					filled++
					break
				}
			}
			if filled == m {
				break
			}
		}
	}
	return &maglev{table: table}
}

func (mg *maglev) pick(h uint64, hashed bool, rnd func() uint64) *endpointState {
	if !hashed {
		h = rnd()
	}
	return mg.table[h%uint64(len(mg.table))]
}
