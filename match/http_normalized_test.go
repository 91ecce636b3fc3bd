package match

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	networking "istio.io/api/networking/v1alpha3"
)

// TestMatchNormalizedAgreesWithMatch pins MatchNormalized: given
// NormalizePath(req.PathOnly()) it answers as Match, and the uri is checked
// against the path it is given, not the request's.
func TestMatchNormalizedAgreesWithMatch(t *testing.T) {
	tests := []struct {
		name string
		m    *hm
		req  Request
		path string // "" means NormalizePath(req.PathOnly())
		want bool
	}{
		{"normalised path answers as Match for a dot segment", &hm{Uri: exact("/b")}, get("/a/../b"), "", true},
		{"normalised path answers as Match for a query string", &hm{Uri: prefix("/a")}, get("/a?x=1"), "", true},
		{"the other conditions still apply", &hm{Uri: prefix("/a"), Method: exact("POST")}, get("/a"), "", false},
		{"headers still apply", &hm{Headers: map[string]*networking.StringMatch{"x": exact("1")}}, get("/", "x", "1"), "", true},
		{"the uri is checked against the given path", &hm{Uri: exact("/given")}, get("/request"), "/given", true},
		{"the request path is not consulted for the uri", &hm{Uri: exact("/request")}, get("/request"), "/given", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := CompileHTTPMatch(tt.m, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			path := tt.path
			if path == "" {
				path = NormalizePath(tt.req.PathOnly())
				if got, want := m.MatchNormalized(&tt.req, path), m.Match(&tt.req); got != want {
					t.Errorf("MatchNormalized = %v, Match = %v", got, want)
				}
			}
			if diff := cmp.Diff(tt.want, m.MatchNormalized(&tt.req, path)); diff != "" {
				t.Errorf("MatchNormalized(-want +got):\n%s", diff)
			}
		})
	}
}

// TestMatchNormalizedNilRequest: a nil request never matches.
func TestMatchNormalizedNilRequest(t *testing.T) {
	m, _ := CompileHTTPMatch(nil, nil, nil)
	if m.MatchNormalized(nil, "/") {
		t.Error("a nil request matched")
	}
}
