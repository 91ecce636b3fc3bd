package policy

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzFindCookie checks the allocation-free cookie scanner against
// net/http's parser on the cookies both accept.
func FuzzFindCookie(f *testing.F) {
	for _, s := range []string{"a=b; user=u1", "user=\"quoted\"", "user=", ";;user=x;", "x=1;user=2;user=3", "=; user"} {
		f.Add(s, "user")
	}
	f.Fuzz(func(t *testing.T, line, name string) {
		got, ok := findCookie(line, name)
		if ok && (!strings.Contains(line, name) || !strings.Contains(line, got)) {
			t.Fatalf("findCookie(%q, %q) = %q, not taken from the line", line, name, got)
		}
		req := http.Request{Header: http.Header{"Cookie": {line}}}
		c, err := req.Cookie(name)
		// net/http skips malformed pairs and takes a bare "name" as an
		// empty cookie, where Envoy takes the first name= pair; compare
		// only lines net/http accepts whole, and cookies with a value.
		parts := 0
		for _, p := range strings.Split(line, ";") {
			if strings.TrimSpace(p) != "" {
				parts++
			}
		}
		if len(req.Cookies()) != parts {
			return
		}
		if err == nil && c.Value != "" && (!ok || got != c.Value) {
			t.Fatalf("findCookie(%q, %q) = %q, %v; net/http found %q", line, name, got, ok, c.Value)
		}
	})
}

// FuzzQueryValue checks that a found value is a whole name=value segment.
func FuzzQueryValue(f *testing.F) {
	for _, s := range []string{"a=1&s=x", "s", "s=&s=2", "&&s=3&", "x=s=1"} {
		f.Add(s, "s")
	}
	f.Fuzz(func(t *testing.T, query, name string) {
		v, ok := queryValue(query, name)
		if !ok {
			return
		}
		seg := name + "=" + v
		found := false
		for _, p := range strings.Split(query, "&") {
			if p == seg || (v == "" && p == name) {
				found = true
			}
		}
		if !found {
			t.Fatalf("queryValue(%q, %q) = %q, not a segment of the query", query, name, v)
		}
	})
}
