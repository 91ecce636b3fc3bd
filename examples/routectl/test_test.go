package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// testdata/reviews_test.yaml has two passing and two failing cases.
func TestTestReportsEachFailingCaseWithADiff(t *testing.T) {
	code, out, errOut := run(t, "", "test", "-v", "testdata/reviews_test.yaml")
	if code != exitFail {
		t.Errorf("exit %d, want %d (a case failed); stderr %s", code, exitFail, errOut)
	}
	for _, want := range []string{
		"PASS testdata/reviews_test.yaml: foo bar goes to v2\n",
		"PASS testdata/reviews_test.yaml: everyone else goes to v1\n",
		"FAIL testdata/reviews_test.yaml: wrong on purpose, header values are case-sensitive (-want +got):\n",
		"FAIL testdata/reviews_test.yaml: wrong on purpose, unknown hosts pass through (-want +got):\n",
		"2 passed, 2 failed\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The diffs name the fields that differ with the wanted and got values.
	for _, want := range []string{`Subset:`, `"v2"`, `"v1"`, `Action:`, `"noRoute"`, `"route"`} {
		if !strings.Contains(out, want) {
			t.Errorf("diffs lack %s:\n%s", want, out)
		}
	}
}

func TestTestAllPassing(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "ok_test.yaml", `config: [`+filepath.Join(mustAbs(t, "testdata"), "reviews.yaml")+`]
tests:
- request: {url: "http://reviews/", headers: {foo: bar}}
  want: {subset: v2}
`)
	code, out, errOut := run(t, "", "test", file)
	if code != exitOK || out != "1 passed, 0 failed\n" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0 and one pass", code, out, errOut)
	}
}

func TestTestConfigFromFlag(t *testing.T) {
	code, out, _ := run(t, `tests:
- name: default is v1
  request: {url: "http://reviews/"}
  want: {subset: v1}
`, "test", "-f", "testdata/reviews.yaml", "-")
	if code != exitOK || out != "1 passed, 0 failed\n" {
		t.Errorf("exit %d, stdout %q; want 0 and one pass", code, out)
	}
}

func TestTestErrorsSayWhatToDo(t *testing.T) {
	tests := []struct {
		name, in string
		args     []string
		want     string
	}{
		{"no file", "", nil, "no FILE given"},
		{"misspelt key", "tests:\n- request: {url: http://reviews/}\n  want: {subsett: v1}\n", []string{"-f", "testdata/reviews.yaml", "-"}, `unknown field "subsett"`},
		{"no tests", "config: [x.yaml]\n", []string{"-"}, "no tests"},
		{"no configuration", "tests:\n- request: {url: http://reviews/}\n  want: {subset: v1}\n", []string{"-"}, "no configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := run(t, tt.in, append([]string{"test"}, tt.args...)...)
			if code != exitUsage || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tt.want)
			}
		})
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
