package route

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Compile's validation checks match regexes by compiling them with its
// cached RE2 engine; its problems must be the ones Validate reports by
// parsing them.
func TestValidateConfigCompilesMatchRegexesWithTheSameVerdict(t *testing.T) {
	for _, re := range []string{
		"/re/r1/[0-9]+", "a|b", `\Qa`, `a\`, "[a", "*", "a)|(b", "(a)(b)", "(?i)x", `(?=a)a`, `(a)\1`, "",
	} {
		t.Run(strconv.Quote(re), func(t *testing.T) {
			yaml := fmt.Sprintf(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r, namespace: default}
spec:
  hosts: [r.example.com]
  http:
  - match:
    - uri: {regex: %s}
      headers: {x-a: {regex: %s}}
    route:
    - destination: {host: backend}
`, strconv.Quote(re), strconv.Quote(re))
			cfg, err := LoadBytes([]byte(yaml), "r.yaml")
			if err != nil {
				t.Fatal(err)
			}
			c := &compiler{opts: defaultOptions()}
			want := problemStrings(validate(cfg, false, nil))
			got := problemStrings(validateConfig(cfg, c.validationRegexes()))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("problems (-parsed +compiled):\n%s", diff)
			}
			if got := problemStrings(Validate(cfg)); len(got) < len(want) {
				t.Errorf("Validate reports %d problems, fewer than Compile's %d", len(got), len(want))
			}
		})
	}
}

func problemStrings(ps Problems) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
