package route

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/durationpb"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
)

// hostileVS is a VirtualService for "svc" with one HTTP rule, written in
// YAML flow style so a case can put escapes ("\r\n", "\0") in a
// double-quoted value.
const hostileVS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: h, namespace: default}
spec:
  hosts: [svc]
  http:
  - %s
`

// codeAt is one error the validator reports: its code and field.
type codeAt struct{ Code, Field string }

func TestHostileConfigurationIsRefused(t *testing.T) {
	const dest = `route: [{destination: {host: svc}}]`
	tests := []struct {
		name string
		rule string
		want []codeAt
	}{
		{"request header set value with CR LF is refused",
			`{headers: {request: {set: {x-a: "a\r\nx-injected: 1"}}}, ` + dest + `}`,
			[]codeAt{{"header-value", "spec.http[0].headers.request.set.x-a"}}},
		{"request header add value with NUL is refused",
			`{headers: {request: {add: {x-a: "a\0b"}}}, ` + dest + `}`,
			[]codeAt{{"header-value", "spec.http[0].headers.request.add.x-a"}}},
		{"response header set value with LF is refused",
			`{headers: {response: {set: {x-a: "a\nset-cookie: s=1"}}}, ` + dest + `}`,
			[]codeAt{{"header-value", "spec.http[0].headers.response.set.x-a"}}},
		{"destination header value with CR is refused",
			`{route: [{destination: {host: svc}, headers: {request: {set: {x-a: "a\rb"}}}}]}`,
			[]codeAt{{"header-value", "spec.http[0].route[0].headers.request.set.x-a"}}},
		{"direct response header value with CR LF is refused",
			`{directResponse: {status: 200, body: {string: ok}}, headers: {response: {set: {x-a: "1\r\nx-b: 2"}}}}`,
			[]codeAt{{"header-value", "spec.http[0].headers.response.set.x-a"}}},
		{"host header value with CR LF is refused",
			`{headers: {request: {set: {host: "a.example\r\nx-b: 2"}}}, ` + dest + `}`,
			[]codeAt{{"header-value", "spec.http[0].headers.request.set.host"}}},
		{"redirect authority with CR LF is refused",
			`{redirect: {authority: "a.example\r\nset-cookie: s=1"}}`,
			[]codeAt{{"control-character", "spec.http[0].redirect.authority"}}},
		{"redirect authority that is not a host is refused",
			`{redirect: {authority: "a.example/evil"}}`,
			[]codeAt{{"authority", "spec.http[0].redirect.authority"}}},
		{"redirect authority with a broken escape is refused",
			`{redirect: {authority: "%"}}`,
			[]codeAt{{"authority", "spec.http[0].redirect.authority"}}},
		{"redirect uri with LF is refused",
			`{redirect: {uri: "/a\nb"}}`,
			[]codeAt{{"control-character", "spec.http[0].redirect.uri"}}},
		{"redirect prefixRewrite with NUL is refused",
			`{match: [{uri: {prefix: /a}}], redirect: {prefixRewrite: "/b\0"}}`,
			[]codeAt{{"control-character", "spec.http[0].redirect.prefixRewrite"}}},
		{"redirect uri without a leading slash is refused",
			`{redirect: {uri: "new"}}`,
			[]codeAt{{"uri-path", "spec.http[0].redirect.uri"}}},
		{"rewrite uri with CR is refused",
			`{rewrite: {uri: "/a\rb"}, ` + dest + `}`,
			[]codeAt{{"control-character", "spec.http[0].rewrite.uri"}}},
		{"rewrite uri without a leading slash is refused",
			`{match: [{uri: {prefix: /a}}], rewrite: {uri: "b"}, ` + dest + `}`,
			[]codeAt{{"uri-path", "spec.http[0].rewrite.uri"}}},
		{"rewrite uri with a broken percent escape is refused",
			`{rewrite: {uri: "/a%zz"}, ` + dest + `}`,
			[]codeAt{{"uri-path", "spec.http[0].rewrite.uri"}}},
		{"rewrite authority with LF is refused",
			`{rewrite: {authority: "a\nb"}, ` + dest + `}`,
			[]codeAt{{"control-character", "spec.http[0].rewrite.authority"}}},
		{"regex rewrite template with CR LF is refused",
			`{rewrite: {uriRegexRewrite: {match: "^/a", rewrite: "/b\r\n"}}, ` + dest + `}`,
			[]codeAt{{"control-character", "spec.http[0].rewrite.uriRegexRewrite.rewrite"}}},
		{"direct response body with CR LF is accepted: a body is not a header",
			`{directResponse: {status: 200, body: {string: "line1\r\nline2\u0000"}}}`,
			nil},
		{"rewrite uri with a query and an escape is accepted",
			`{rewrite: {uri: "/b%2F?x=1"}, ` + dest + `}`,
			nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := LoadBytes([]byte(fmt.Sprintf(hostileVS, tc.rule)), "hostile.yaml")
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			var got []codeAt
			for _, p := range Validate(cfg).Errors() {
				got = append(got, codeAt{p.Code, p.Field})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Validate errors (-want +got):\n%s", diff)
			}
			if _, err := Compile(cfg); (err != nil) != (len(tc.want) > 0) {
				t.Errorf("Compile error = %v, want an error: %v", err, len(tc.want) > 0)
			}
		})
	}
}

// regexVS routes uri regex `pattern` to v1 and anything else to v2.
func regexVS(pattern string) string {
	return fmt.Sprintf(hostileVS, `{match: [{uri: {regex: '`+pattern+`'}}], route: [{destination: {host: svc, subset: v1}}]}
  - {route: [{destination: {host: svc, subset: v2}}]}`)
}

// timeDecide returns the fastest of n Decide calls on q (the fastest, so
// that other processes on a shared machine do not inflate the numbers).
func timeDecide(tbl *Table, q *match.Request, n int) (Decision, time.Duration) {
	var d Decision
	best := time.Duration(1<<63 - 1)
	for i := 0; i < n; i++ {
		start := time.Now()
		d = tbl.Decide(q)
		if e := time.Since(start); e < best {
			best = e
		}
	}
	return d, best
}

func TestRegexp2CatastrophicPatternIsCutByItsTimeout(t *testing.T) {
	for _, timeout := range []time.Duration{20 * time.Millisecond, 0, -time.Second} {
		t.Run(fmt.Sprintf("WithRegexTimeout(%v)", timeout), func(t *testing.T) {
			checkRegexp2Bounded(t, WithRegexTimeout(timeout))
		})
	}
}

// checkRegexp2Bounded checks a catastrophic pattern under regexp2 with
// opt: a timeout of 0 or less still means the default 10ms, never none.
func checkRegexp2Bounded(t *testing.T, opt Option) {
	tbl := compileYAML(t, regexVS(`/(a+)+$`), WithRegexEngine(Regexp2), opt)
	tests := []struct {
		name       string
		path       string
		wantSubset string
	}{
		{"a path the pattern matches takes the regex rule", "/aaaa", "v1"},
		// Backtracking on 40 a's and a "!" takes 2^40 steps; the
		// timeout turns it into "no match", so the next rule takes it.
		{"catastrophic backtracking times out and counts as no match", "/" + strings.Repeat("a", 40) + "!", "v2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			d := tbl.Decide(req("GET", "svc", tc.path))
			elapsed := time.Since(start)
			if d.Destination.Subset != tc.wantSubset {
				t.Errorf("subset %q, want %q", d.Destination.Subset, tc.wantSubset)
			}
			// The timeout, regexp2's coarse clock and scheduling on a
			// shared, loaded machine.
			if elapsed > 2*time.Second {
				t.Errorf("Decide took %v; the regexp2 timeout should bound it", elapsed)
			}
			t.Logf("%s: %v", tc.path[:min(len(tc.path), 12)], elapsed)
		})
	}
}

func TestRE2StaysLinearOnACatastrophicPattern(t *testing.T) {
	tbl := compileYAML(t, regexVS(`/(a+)+$`))
	// Both sizes are past the input length where Go's regexp leaves its
	// bit-state backtracker for the NFA, so the constant factor is the
	// same and only the growth is measured.
	const small, large = 100_000, 800_000
	path := func(n int) string { return "/" + strings.Repeat("a", n) + "!" }
	d, tSmall := timeDecide(tbl, req("GET", "svc", path(small)), 3)
	if d.Destination.Subset != "v2" {
		t.Fatalf("subset %q, want v2 (no match)", d.Destination.Subset)
	}
	_, tLarge := timeDecide(tbl, req("GET", "svc", path(large)), 3)
	ratio := float64(tLarge) / float64(tSmall)
	t.Logf("RE2 (a+)+$: %d bytes %v, %d bytes %v, ratio %.1f (linear: 8, quadratic: 64)", small, tSmall, large, tLarge, ratio)
	// Linear time gives 8, quadratic 64; backtracking would not finish.
	// 24 leaves room for caches and a noisy machine.
	if ratio > 24 {
		t.Errorf("8x the input took %.1fx the time (%v -> %v); RE2 matching should be linear", ratio, tSmall, tLarge)
	}
}

func TestOneMegabyteHeaderDoesNotStallDecide(t *testing.T) {
	big := strings.Repeat("a", 1<<20)
	yaml := fmt.Sprintf(hostileVS, `{match: [{headers: {x-big: {regex: "(a+)+b"}}}], route: [{destination: {host: svc, subset: v1}}]}
  - {match: [{headers: {x-big: {prefix: "aaa"}}}], route: [{destination: {host: svc, subset: v2}}]}`)
	tests := []struct {
		name string
		opts []Option
	}{
		{"RE2 scans a 1 MB header in linear time", nil},
		{"regexp2 gives up on a 1 MB header at its timeout", []Option{WithRegexEngine(Regexp2)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl := compileYAML(t, yaml, tc.opts...)
			q := req("GET", "svc", "/")
			q.Header = http.Header{"X-Big": {big[:64<<10]}}
			_, small := timeDecide(tbl, q, 3)
			q.Header = http.Header{"X-Big": {big}}
			d, took := timeDecide(tbl, q, 3)
			if d.Destination.Subset != "v2" {
				t.Errorf("subset %q, want v2 (the regex does not match, the prefix does)", d.Destination.Subset)
			}
			t.Logf("Decide with a 64 KB header: %v, with a 1 MB header: %v", small, took)
			// 16 times the input may take 16 times as long (3x slack for
			// a noisy machine), never more: that would be a stall. The
			// absolute cap holds even under -race.
			if took > 48*small+50*time.Millisecond || took > 30*time.Second {
				t.Errorf("Decide took %v with a 1 MB header, %v with 64 KB", took, small)
			}
		})
	}
}

// manyRules is a VirtualService for "svc" with n rules, rule i matching
// the exact path /r/i, with a timeout so each rule compiles something.
func manyRules(n int) *Config {
	rules := make([]*networking.HTTPRoute, n)
	for i := range rules {
		rules[i] = &networking.HTTPRoute{
			Name:    "r" + strconv.Itoa(i),
			Match:   []*networking.HTTPMatchRequest{{Uri: &networking.StringMatch{MatchType: &networking.StringMatch_Exact{Exact: "/r/" + strconv.Itoa(i)}}}},
			Route:   []*networking.HTTPRouteDestination{{Destination: &networking.Destination{Host: "svc"}}},
			Timeout: durationpb.New(time.Second),
		}
	}
	vs := &networking.VirtualService{Hosts: []string{"svc"}, Http: rules}
	return &Config{VirtualServices: []*VirtualService{{Meta: Meta{Name: "many", Namespace: "default"}, Spec: vs}}}
}

func TestHundredThousandRulesCompileAndDecideInBoundedTime(t *testing.T) {
	const n = 100_000
	cfg := manyRules(n)
	start := time.Now()
	tbl, err := Compile(cfg)
	compileTime := time.Since(start)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	tests := []struct {
		name     string
		path     string
		wantRule int
	}{
		{"first rule", "/r/0", 0},
		{"last rule", "/r/99999", n - 1},
		{"no rule", "/none", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, took := timeDecide(tbl, req("GET", "svc", tc.path), 5)
			if d.Rule.Index != tc.wantRule {
				t.Errorf("rule %d, want %d", d.Rule.Index, tc.wantRule)
			}
			t.Logf("Decide %s: %v", tc.path, took)
			if took > 100*time.Millisecond {
				t.Errorf("Decide took %v on %d rules", took, n)
			}
		})
	}
	var notes []codeAt
	for _, p := range Validate(cfg) {
		notes = append(notes, codeAt{p.Code, p.Field})
	}
	if diff := cmp.Diff([]codeAt{{"unreachable-skipped", "spec.http"}}, notes); diff != "" {
		t.Errorf("Validate problems on %d rules (-want +got):\n%s", n, diff)
	}
	t.Logf("Compile %d rules: %v", n, compileTime)
	if compileTime > time.Minute {
		t.Errorf("Compile of %d rules took %v", n, compileTime)
	}
}
