package match

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	networking "istio.io/api/networking/v1alpha3"
)

type hm = networking.HTTPMatchRequest

func TestHTTPMatchRules(t *testing.T) {
	tests := []struct {
		name     string
		m        *hm
		gateways []string
		req      Request
		want     bool
	}{
		// §3: an HTTPMatchRequest with no conditions.
		{"empty match matches every request", &hm{}, nil, get("/anything?x=1"), true},
		{"nil match matches every request", nil, nil, get("/"), true},
		{"all conditions must hold (AND)", &hm{Uri: prefix("/api"), Method: exact("POST")}, nil, get("/api"), false},

		// §3.2 uri
		{"no uri matches every path", &hm{Method: exact("GET")}, nil, get("/x/y"), true},
		{"uri {} is prefix / (Istio default)", &hm{Uri: present()}, nil, get("/x"), true},
		{"uri exact ignores the query string", &hm{Uri: exact("/a")}, nil, get("/a?x=1"), true},
		{"uri exact is not a prefix", &hm{Uri: exact("/a")}, nil, get("/a/b"), false},
		{"uri exact has no trailing-slash tolerance", &hm{Uri: exact("/a")}, nil, get("/a/"), false},
		{"uri prefix has no segment boundary", &hm{Uri: prefix("/foo")}, nil, get("/foobar"), true},
		{"uri prefix matches the bare path", &hm{Uri: prefix("/foo")}, nil, get("/foo"), true},
		{"uri prefix matches before the query string", &hm{Uri: prefix("/foo")}, nil, get("/foo?x"), true},
		{"uri prefix never sees the query string", &hm{Uri: prefix("/a?x")}, nil, get("/a?x=1"), false},
		{"uri empty prefix matches everything", &hm{Uri: prefix("")}, nil, get("/z"), true},
		{"uri regex is a full match", &hm{Uri: regex("/a")}, nil, get("/a/b"), false},
		{"uri regex matches the whole path", &hm{Uri: regex("/a/.*")}, nil, get("/a/b"), true},
		{"uri regex ignores the query string", &hm{Uri: regex("/a")}, nil, get("/a?x=1"), true},
		{"uri regex with redundant anchors", &hm{Uri: regex("^/a$")}, nil, get("/a"), true},
		{"uri is case-sensitive by default", &hm{Uri: exact("/api")}, nil, get("/API"), false},
		{"ignoreUriCase folds uri exact", &hm{Uri: exact("/api"), IgnoreUriCase: true}, nil, get("/API"), true},
		{"ignoreUriCase folds uri prefix", &hm{Uri: prefix("/Api/"), IgnoreUriCase: true}, nil, get("/aPI/v1"), true},
		{"ignoreUriCase does not affect uri regex", &hm{Uri: regex("/api"), IgnoreUriCase: true}, nil, get("/API"), false},
		{"ignoreUriCase with (?i) regex folds", &hm{Uri: regex("(?i)/api"), IgnoreUriCase: true}, nil, get("/API"), true},
		{"ignoreUriCase does not affect headers", &hm{IgnoreUriCase: true, Headers: map[string]*networking.StringMatch{"x": exact("a")}}, nil, get("/", "x", "A"), false},
		{"ignoreUriCase folds ASCII only (Kelvin sign is not k)", &hm{Uri: exact("/k"), IgnoreUriCase: true}, nil, get("/\u212a"), false},
		{"uri is matched after dot-segment removal", &hm{Uri: exact("/b")}, nil, get("/a/../b"), true},
		{"uri prefix is matched after dot-segment removal", &hm{Uri: prefix("/admin")}, nil, get("/public/../admin/x"), true},
		{"uri dot segments cannot climb above the root", &hm{Uri: exact("/etc")}, nil, get("/../../etc"), true},
		{"uri is matched after backslash conversion", &hm{Uri: exact("/a/b")}, nil, get(`/a\b`), true},
		{"uri percent-encoding is not decoded", &hm{Uri: exact("/a")}, nil, get("/%61"), false},
		{"uri slashes are not merged", &hm{Uri: exact("/a/b")}, nil, get("/a//b"), false},

		// §3.3 method, scheme
		{"method exact matches", &hm{Method: exact("GET")}, nil, get("/"), true},
		{"method is case-sensitive", &hm{Method: exact("get")}, nil, get("/"), false},
		{"method regex full match", &hm{Method: regex("GET|HEAD")}, nil, get("/"), true},
		{"scheme exact matches", &hm{Scheme: exact("https")}, nil, with(get("/"), func(r *Request) { r.Scheme = "https" }), true},
		{"scheme is case-sensitive", &hm{Scheme: exact("HTTP")}, nil, get("/"), false},

		// §3.4 authority
		{"authority compares the raw host including port", &hm{Authority: exact("reviews")}, nil, get("/"), false},
		{"authority exact with port matches", &hm{Authority: exact("reviews:9080")}, nil, get("/"), true},
		{"authority prefix matches a host with port", &hm{Authority: prefix("reviews")}, nil, get("/"), true},
		{"authority is case-sensitive", &hm{Authority: exact("Reviews:9080")}, nil, get("/"), false},
		{"authority regex (?i) folds case", &hm{Authority: regex("(?i)REVIEWS:9080")}, nil, get("/"), true},

		// §3.5 headers
		{"header names are case-insensitive", &hm{Headers: map[string]*networking.StringMatch{"End-User": exact("jason")}}, nil, get("/", "end-user", "jason"), true},
		{"header values are case-sensitive", &hm{Headers: map[string]*networking.StringMatch{"end-user": exact("jason")}}, nil, get("/", "end-user", "Jason"), false},
		{"missing header never matches a positive match", &hm{Headers: map[string]*networking.StringMatch{"end-user": prefix("")}}, nil, get("/"), false},
		{"header {} means present", &hm{Headers: map[string]*networking.StringMatch{"x-a": present()}}, nil, get("/", "x-a", "1"), true},
		{"header {} accepts an empty value", &hm{Headers: map[string]*networking.StringMatch{"x-a": present()}}, nil, get("/", "x-a", ""), true},
		{"header {} fails when absent", &hm{Headers: map[string]*networking.StringMatch{"x-a": present()}}, nil, get("/"), false},
		{`header regex "*" means present`, &hm{Headers: map[string]*networking.StringMatch{"x-a": regex("*")}}, nil, get("/", "x-a", "zz"), true},
		{`header regex "*" fails when absent`, &hm{Headers: map[string]*networking.StringMatch{"x-a": regex("*")}}, nil, get("/"), false},
		{`header exact "" matches a present empty value`, &hm{Headers: map[string]*networking.StringMatch{"x-a": exact("")}}, nil, get("/", "x-a", ""), true},
		{`header exact "" does not match a missing header`, &hm{Headers: map[string]*networking.StringMatch{"x-a": exact("")}}, nil, get("/"), false},
		{`header exact "" does not match a non-empty value`, &hm{Headers: map[string]*networking.StringMatch{"x-a": exact("")}}, nil, get("/", "x-a", "v"), false},
		{"header regex is a full match", &hm{Headers: map[string]*networking.StringMatch{"x-a": regex(`\d+$`)}}, nil, get("/", "x-a", "a123"), false},
		{"several header values are joined with a comma", &hm{Headers: map[string]*networking.StringMatch{"x-a": exact("a,b")}}, nil, get("/", "x-a", "a", "x-a", "b"), true},
		{"joined header values do not match one value", &hm{Headers: map[string]*networking.StringMatch{"x-a": exact("a")}}, nil, get("/", "x-a", "a", "x-a", "b"), false},
		{"joined header prefix spans values", &hm{Headers: map[string]*networking.StringMatch{"x-a": prefix("a,b")}}, nil, get("/", "x-a", "a", "x-a", "bc"), true},
		{"joined header regex sees the comma", &hm{Headers: map[string]*networking.StringMatch{"x-a": regex(`a,\w+`)}}, nil, get("/", "x-a", "a", "x-a", "bc"), true},
		{"headers are read from gRPC metadata", &hm{Headers: map[string]*networking.StringMatch{"X-User": exact("u")}}, nil,
			Request{Path: "/pkg.S/M", Metadata: map[string][]string{"x-user": {"u"}}}, true},
		{"pseudo-header :method reads the method", &hm{Headers: map[string]*networking.StringMatch{":method": exact("GET")}}, nil, get("/"), true},
		{"pseudo-header :authority reads the authority", &hm{Headers: map[string]*networking.StringMatch{":authority": exact("reviews:9080")}}, nil, get("/"), true},
		{"pseudo-header :scheme reads the scheme", &hm{Headers: map[string]*networking.StringMatch{":scheme": exact("http")}}, nil, get("/"), true},
		{"pseudo-header :path includes the query string", &hm{Headers: map[string]*networking.StringMatch{":path": exact("/a?x=1")}}, nil, get("/a?x=1"), true},
		{"pseudo-header :path sees the normalised path", &hm{Headers: map[string]*networking.StringMatch{":path": exact("/b?x=/../y")}}, nil, get("/a/../b?x=/../y"), true},
		{"header key uri is an ordinary header", &hm{Headers: map[string]*networking.StringMatch{"uri": exact("/a")}}, nil, get("/a"), false},
		{"header key uri matches a header named uri", &hm{Headers: map[string]*networking.StringMatch{"uri": exact("/a")}}, nil, get("/b", "uri", "/a"), true},
		{"header key method is an ordinary header", &hm{Headers: map[string]*networking.StringMatch{"method": exact("GET")}}, nil, get("/"), false},
		{"header key host reads the authority", &hm{Headers: map[string]*networking.StringMatch{"host": exact("reviews:9080")}}, nil, get("/"), true},
		{"JWT claim keys never match without a verified JWT", &hm{Headers: map[string]*networking.StringMatch{"@request.auth.claims.group": exact("admin")}}, nil,
			Request{Path: "/", Metadata: map[string][]string{"@request.auth.claims.group": {"admin"}}}, false},
		{"JWT claim keys in withoutHeaders hold without a JWT", &hm{WithoutHeaders: map[string]*networking.StringMatch{"@request.auth.claims.group": present()}}, nil, get("/"), true},

		// §3.7 queryParams
		{"query exact matches the raw value", &hm{QueryParams: map[string]*networking.StringMatch{"a": exact("1")}}, nil, get("/?a=1"), true},
		{"query values are not percent-decoded", &hm{QueryParams: map[string]*networking.StringMatch{"a": exact(" ")}}, nil, get("/?a=%20"), false},
		{"query raw percent-encoded value matches literally", &hm{QueryParams: map[string]*networking.StringMatch{"a": exact("%20")}}, nil, get("/?a=%20"), true},
		{"query plus is not a space", &hm{QueryParams: map[string]*networking.StringMatch{"a": exact("x y")}}, nil, get("/?a=x+y"), false},
		{"query first occurrence wins", &hm{QueryParams: map[string]*networking.StringMatch{"a": exact("2")}}, nil, get("/?a=1&a=2"), false},
		{`query exact "" matches ?key`, &hm{QueryParams: map[string]*networking.StringMatch{"debug": exact("")}}, nil, get("/?debug"), true},
		{`query exact "" matches ?key=`, &hm{QueryParams: map[string]*networking.StringMatch{"debug": exact("")}}, nil, get("/?debug="), true},
		{`query exact "" does not match ?key=x`, &hm{QueryParams: map[string]*networking.StringMatch{"debug": exact("")}}, nil, get("/?debug=x"), false},
		{`query exact "" does not match an absent key`, &hm{QueryParams: map[string]*networking.StringMatch{"debug": exact("")}}, nil, get("/?other"), false},
		{"query {} means present", &hm{QueryParams: map[string]*networking.StringMatch{"a": present()}}, nil, get("/?b=1&a=zz"), true},
		{`query regex "*" means present`, &hm{QueryParams: map[string]*networking.StringMatch{"a": regex("*")}}, nil, get("/?a"), true},
		{"query {} fails when absent", &hm{QueryParams: map[string]*networking.StringMatch{"a": present()}}, nil, get("/?b=1"), false},
		{"query keys are case-sensitive", &hm{QueryParams: map[string]*networking.StringMatch{"a": present()}}, nil, get("/?A=1"), false},
		{"query keys are not percent-decoded", &hm{QueryParams: map[string]*networking.StringMatch{"a b": present()}}, nil, get("/?a%20b=1"), false},
		{"query prefix matches the start of the value", &hm{QueryParams: map[string]*networking.StringMatch{"v": prefix("ab")}}, nil, get("/?v=abc"), true},
		{"query regex is a full match", &hm{QueryParams: map[string]*networking.StringMatch{"n": regex(`\d+$`)}}, nil, get("/?n=a123"), false},
		{"query regex matches digits", &hm{QueryParams: map[string]*networking.StringMatch{"n": regex(`\d+$`)}}, nil, get("/?n=123"), true},
		{"query without a query string fails", &hm{QueryParams: map[string]*networking.StringMatch{"n": present()}}, nil, get("/"), false},

		// §3.8 port
		{"port 0 matches any port", &hm{}, nil, get("/"), true},
		{"port must equal the request port", &hm{Port: 8080}, nil, get("/"), false},
		{"port equal to the request port matches", &hm{Port: 9080}, nil, get("/"), true},
		{"port set does not match an unknown request port", &hm{Port: 9080}, nil, with(get("/"), func(r *Request) { r.Port = 0 }), false},

		// §3.9 sourceLabels, sourceNamespace, gateways
		{"sourceLabels must be a subset of the caller's labels", &hm{SourceLabels: map[string]string{"app": "productpage"}}, nil,
			with(get("/"), func(r *Request) { r.SourceLabels = map[string]string{"app": "productpage", "version": "v1"} }), true},
		{"sourceLabels with a different value fail", &hm{SourceLabels: map[string]string{"version": "v2"}}, nil,
			with(get("/"), func(r *Request) { r.SourceLabels = map[string]string{"version": "v1"} }), false},
		{"sourceLabels fail for a caller without labels", &hm{SourceLabels: map[string]string{"app": "x"}}, nil, get("/"), false},
		{"sourceNamespace must equal the caller's namespace", &hm{SourceNamespace: "prod"}, nil,
			with(get("/"), func(r *Request) { r.SourceNamespace = "dev" }), false},
		{"sourceNamespace equal matches", &hm{SourceNamespace: "prod"}, nil,
			with(get("/"), func(r *Request) { r.SourceNamespace = "prod" }), true},
		{"gateways must list the request's gateway", &hm{}, []string{"istio-system/gw"}, get("/"), false},
		{"gateways listing the request's gateway match", &hm{}, []string{"istio-system/gw"},
			with(get("/"), func(r *Request) { r.Gateway = "istio-system/gw" }), true},
		{"an empty request gateway is mesh", &hm{}, []string{"mesh"}, with(get("/"), func(r *Request) { r.Gateway = "" }), true},
		{"gateways set: sourceLabels are not checked", &hm{SourceLabels: map[string]string{"app": "x"}}, []string{"mesh"}, get("/"), true},
		{"gateways set: sourceNamespace is not checked", &hm{SourceNamespace: "other"}, []string{"mesh"}, get("/"), true},
		{"gateways set: port is still checked", &hm{Port: 1}, []string{"mesh"}, get("/"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := CompileHTTPMatch(tt.m, tt.gateways, nil)
			if err != nil {
				t.Fatalf("CompileHTTPMatch: %v", err)
			}
			if got := m.Match(&tt.req); got != tt.want {
				_, why := m.Explain(&tt.req)
				t.Errorf("Match(%q) = %v, want %v (match %s; explain %q)", tt.req.Path, got, tt.want, m, why)
			}
			ok, why := m.Explain(&tt.req)
			if ok != tt.want {
				t.Errorf("Explain ok = %v, want %v", ok, tt.want)
			}
			if ok != (why == "") {
				t.Errorf("Explain reason %q does not agree with ok=%v", why, ok)
			}
		})
	}
}

// TestWithoutHeadersTruthTable is spec §3.6's table, cell by cell.
func TestWithoutHeadersTruthTable(t *testing.T) {
	columns := []struct {
		name  string
		value *string
	}{{"absent", nil}, {"bar", ptr("bar")}, {"baz", ptr("baz")}, {"empty", ptr("")}}
	rows := []struct {
		name  string
		entry *networking.StringMatch
		want  [4]bool
	}{
		{"{} (presence)", present(), [4]bool{true, false, false, false}},
		{`regex "*" (presence)`, regex("*"), [4]bool{true, false, false, false}},
		{"exact: bar", exact("bar"), [4]bool{true, false, true, true}},
		{"prefix: ba", prefix("ba"), [4]bool{true, false, false, true}},
		{`exact: ""`, exact(""), [4]bool{false, true, true, false}},
		{`regex: ".*"`, regex(".*"), [4]bool{false, false, false, false}},
	}
	for _, row := range rows {
		m, err := CompileHTTPMatch(&hm{WithoutHeaders: map[string]*networking.StringMatch{"x-foo": row.entry}}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, col := range columns {
			t.Run(row.name+"/header "+col.name, func(t *testing.T) {
				req := get("/")
				if col.value != nil {
					req = get("/", "X-Foo", *col.value)
				}
				if got := m.Match(&req); got != row.want[i] {
					t.Errorf("withoutHeaders {x-foo: %s} with header %s = %v, want %v", row.name, col.name, got, row.want[i])
				}
			})
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestHTTPMatchExplain(t *testing.T) {
	tests := []struct {
		name string
		m    *hm
		gw   []string
		req  Request
		want string
	}{
		{"uri prefix failure", &hm{Uri: prefix("/reviews")}, nil, get("/ratings"), `uri: "/ratings" does not start with "/reviews"`},
		{"uri exact failure", &hm{Uri: exact("/a")}, nil, get("/b?q"), `uri: "/b" is not "/a"`},
		{"uri regex failure", &hm{Uri: regex("/v[0-9]")}, nil, get("/vx"), `uri: "/vx" does not match regex "/v[0-9]"`},
		{"uri ignore case failure", &hm{Uri: exact("/a"), IgnoreUriCase: true}, nil, get("/b"), `uri: "/b" is not "/a" (ignoring case)`},
		{"missing header", &hm{Headers: map[string]*networking.StringMatch{"end-user": exact("jason")}}, nil, get("/"), `header end-user: missing`},
		{"wrong header value", &hm{Headers: map[string]*networking.StringMatch{"End-User": exact("jason")}}, nil, get("/", "end-user", "bob"), `header end-user: "bob" is not "jason"`},
		{"joined header value is shown", &hm{Headers: map[string]*networking.StringMatch{"x": exact("a")}}, nil, get("/", "x", "a", "x", "b"), `header x: "a,b" is not "a"`},
		{"withoutHeaders present", &hm{WithoutHeaders: map[string]*networking.StringMatch{"x": present()}}, nil, get("/", "x", "1"), `without header x: present`},
		{"withoutHeaders value", &hm{WithoutHeaders: map[string]*networking.StringMatch{"x": exact("1")}}, nil, get("/", "x", "1"), `without header x: "1" is "1"`},
		{"withoutHeaders prefix", &hm{WithoutHeaders: map[string]*networking.StringMatch{"x": prefix("ba")}}, nil, get("/", "x", "bar"), `without header x: "bar" starts with "ba"`},
		{"withoutHeaders regex on a missing header", &hm{WithoutHeaders: map[string]*networking.StringMatch{"x": regex(".*")}}, nil, get("/"), `without header x: missing counts as "" matches regex ".*"`},
		{"withoutHeaders missing counts as empty", &hm{WithoutHeaders: map[string]*networking.StringMatch{"x": exact("")}}, nil, get("/"), `without header x: missing counts as "" is ""`},
		{"method failure", &hm{Method: exact("POST")}, nil, get("/"), `method: "GET" is not "POST"`},
		{"authority failure", &hm{Authority: exact("reviews")}, nil, get("/"), `authority: "reviews:9080" is not "reviews"`},
		{"query missing", &hm{QueryParams: map[string]*networking.StringMatch{"debug": exact("")}}, nil, get("/"), `query debug: missing`},
		{"query value", &hm{QueryParams: map[string]*networking.StringMatch{"debug": exact("")}}, nil, get("/?debug=1"), `query debug: "1" is not ""`},
		{"port failure", &hm{Port: 80}, nil, get("/"), `port: 9080 is not 80`},
		{"gateway failure", &hm{}, []string{"ns/gw"}, get("/"), `gateways: "mesh" is not one of ["ns/gw"]`},
		{"source label missing", &hm{SourceLabels: map[string]string{"app": "a"}}, nil, get("/"), `sourceLabels: app missing, want "a"`},
		{"source namespace failure", &hm{SourceNamespace: "prod"}, nil, get("/"), `sourceNamespace: "" is not "prod"`},
		{"JWT claim", &hm{Headers: map[string]*networking.StringMatch{"@request.auth.claims.group": exact("a")}}, nil, get("/"), `claim .group (no verified JWT): missing`},
		{"first failing condition is reported", &hm{Uri: prefix("/x"), Method: exact("POST")}, nil, get("/y"), `uri: "/y" does not start with "/x"`},
		{"match reports no reason", &hm{Uri: prefix("/")}, nil, get("/y"), ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := CompileHTTPMatch(tt.m, tt.gw, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, got := m.Explain(&tt.req)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Explain (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHTTPMatchString(t *testing.T) {
	tests := []struct {
		name string
		m    *hm
		gw   []string
		want string
	}{
		{"empty match is uri prefix /", &hm{}, nil, `uri prefix "/"`},
		{"uri and header", &hm{Uri: prefix("/api"), Headers: map[string]*networking.StringMatch{"end-user": exact("jason")}}, nil, `uri prefix "/api" && header end-user = "jason"`},
		{"every kind in order", &hm{
			Port: 80, SourceNamespace: "ns", SourceLabels: map[string]string{"b": "2", "a": "1"},
			Uri: regex("/v[0-9]"), Method: exact("GET"), Scheme: exact("https"), Authority: prefix("foo"),
			Headers:        map[string]*networking.StringMatch{"Z": present(), "a": exact("x")},
			WithoutHeaders: map[string]*networking.StringMatch{"debug": present()},
			QueryParams:    map[string]*networking.StringMatch{"q": prefix("p")},
		}, nil, `port 80 && source label a = "1" && source label b = "2" && source namespace "ns" && uri regex "/v[0-9]" && method = "GET" && scheme = "https" && authority prefix "foo" && header a = "x" && header z present && !(header debug present) && query q prefix "p"`},
		{"gateways replace source selectors", &hm{SourceNamespace: "ns"}, []string{"mesh", "ns/gw"}, `gateway in ["mesh" "ns/gw"] && uri prefix "/"`},
		{"ignore case is shown", &hm{Uri: exact("/A"), IgnoreUriCase: true}, nil, `uri = "/A" (ignore case)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := CompileHTTPMatch(tt.m, tt.gw, nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, m.String()); diff != "" {
				t.Errorf("String (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHTTPMatchIsCatchAll(t *testing.T) {
	tests := []struct {
		name string
		m    *hm
		gw   []string
		want bool
	}{
		{"no uri is a catch-all", &hm{}, nil, true},
		{"uri prefix / is a catch-all", &hm{Uri: prefix("/")}, nil, true},
		{"uri regex .* is a catch-all", &hm{Uri: regex(".*")}, nil, true},
		{"uri prefix /api is not", &hm{Uri: prefix("/api")}, nil, false},
		{"uri exact / is not", &hm{Uri: exact("/")}, nil, false},
		{"a header condition is not", &hm{Headers: map[string]*networking.StringMatch{"a": present()}}, nil, false},
		{"a withoutHeaders condition is not", &hm{WithoutHeaders: map[string]*networking.StringMatch{"a": present()}}, nil, false},
		{"a query condition is not", &hm{QueryParams: map[string]*networking.StringMatch{"a": present()}}, nil, false},
		{"a method condition is not", &hm{Method: exact("GET")}, nil, false},
		{"a scheme condition is not", &hm{Scheme: exact("http")}, nil, false},
		{"an authority condition is not", &hm{Authority: exact("a")}, nil, false},
		{"port does not count", &hm{Port: 80}, nil, true},
		{"source selectors do not count", &hm{SourceLabels: map[string]string{"a": "b"}, SourceNamespace: "x"}, nil, true},
		{"gateways do not count", &hm{}, []string{"ns/gw"}, true},
		{"ignoreUriCase does not count", &hm{IgnoreUriCase: true}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := CompileHTTPMatch(tt.m, tt.gw, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.IsCatchAll(); got != tt.want {
				t.Errorf("IsCatchAll() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHTTPMatchURI(t *testing.T) {
	tests := []struct {
		name string
		m    *hm
		want StringMatcher
	}{
		{"unset uri is prefix /", &hm{}, Prefix("/")},
		{"uri {} is prefix /", &hm{Uri: present()}, Prefix("/")},
		{"uri prefix", &hm{Uri: prefix("/api")}, Prefix("/api")},
		{"uri exact with ignore case", &hm{Uri: exact("/A"), IgnoreUriCase: true}, StringMatcher{Kind: KindExact, Value: "/A", IgnoreCase: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := CompileHTTPMatch(tt.m, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, m.URI(), cmp.AllowUnexported(StringMatcher{})); diff != "" {
				t.Errorf("URI (-want +got):\n%s", diff)
			}
		})
	}
	m, err := CompileHTTPMatch(&hm{Uri: regex("/v[0-9]"), IgnoreUriCase: true}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if u := m.URI(); u.Kind != KindRegex || u.Value != "/v[0-9]" || u.IgnoreCase {
		t.Errorf("regex uri with ignoreUriCase: URI() = %+v, want regex /v[0-9] without IgnoreCase", u)
	}
}

func TestCompileHTTPMatchErrors(t *testing.T) {
	tests := []struct {
		name string
		m    *hm
		want string
	}{
		{"bad uri regex names the field", &hm{Uri: regex("(")}, "uri: invalid RE2 regex"},
		{"empty method regex names the field", &hm{Method: regex("")}, "method: regex must not be empty"},
		{"bad scheme regex", &hm{Scheme: regex("[")}, "scheme: invalid RE2 regex"},
		{"bad authority regex", &hm{Authority: regex("(?<=a)b")}, "authority: invalid RE2 regex"},
		{"bad header regex names the header", &hm{Headers: map[string]*networking.StringMatch{"x-a": regex("(")}}, "headers[x-a]: invalid RE2 regex"},
		{"bad withoutHeaders regex names the header", &hm{WithoutHeaders: map[string]*networking.StringMatch{"x-a": regex("(")}}, "withoutHeaders[x-a]: invalid RE2 regex"},
		{"bad query regex names the key", &hm{QueryParams: map[string]*networking.StringMatch{"q": regex("(")}}, "queryParams[q]: invalid RE2 regex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CompileHTTPMatch(tt.m, nil, nil)
			if err == nil || !hasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

func TestNilRequestNeverMatches(t *testing.T) {
	h, _ := CompileHTTPMatch(nil, nil, nil)
	l4, _ := CompileL4Match(nil, nil)
	tlsm, _ := CompileTLSMatch(&networking.TLSMatchAttributes{SniHosts: []string{"*"}}, nil)
	type res struct {
		OK  bool
		Why string
	}
	var got []res
	for _, f := range []func(*Request) (bool, string){h.Explain, l4.Explain, tlsm.Explain} {
		ok, why := f(nil)
		got = append(got, res{ok, why})
	}
	want := []res{{false, "no request"}, {false, "no request"}, {false, "no request"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if h.Match(nil) || l4.Match(nil) || tlsm.Match(nil) {
		t.Error("a nil request matched")
	}
}
